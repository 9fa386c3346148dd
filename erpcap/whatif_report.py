"""The results of ``erpcap whatif``: ``whatif.json``, ``whatif.md`` and ``whatif.html``.

:func:`build_doc` turns the configurations' summaries into the document (gains against
legacy, the levers ranked, the legacy plan's estimate beside each lever and whether its
top recommendation is the lever that measured best); :func:`write_outputs` writes it in
the three forms. The page is self-contained: no script, no external file.
"""

from __future__ import annotations

import html
import json
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from erpcap.whatif_capacity import BOUND, gain, plan_check, plan_estimate, rank_levers

#: whatif.json's own version (docs/whatif.md).
WHATIF_VERSION = "1.0"


def build_doc(
    meta: Mapping[str, Any],
    results: Sequence[Mapping[str, Any]],
    legacy: Mapping[str, Any] | None,
    *,
    status: str,
) -> dict[str, Any]:
    """whatif.json from the run's settings, each configuration's summary, and the legacy
    run's findings (for its plan); ``status`` is ``completed``, ``running`` or ``interrupted``."""
    plan = (legacy or {}).get("plan")
    base = next(
        (r.get("capacity") or {} for r in results if r["name"] == "legacy" and r.get("capacity")),
        {},
    )
    configs = []
    for r in results:
        row = dict(r)
        cap = r.get("capacity") or {}
        row["gain"] = {
            "users": gain(cap.get("users"), base.get("users")),
            "ok_rps": gain(cap.get("ok_rps"), base.get("ok_rps")),
            # False when either side is a lower bound (its ladder never reached the target)
            "exact": BOUND not in (cap.get("basis"), base.get("basis")),
        }
        if r.get("lever"):
            row["plan_estimate"] = plan_estimate(plan, str(r["lever"]))
        configs.append(row)
    ranking = rank_levers([c for c in configs if c.get("status") == "completed"])
    return {
        "whatif_version": WHATIF_VERSION,
        "status": status,
        **meta,
        # False when the legacy run gave no plan (or one without recommendations): then
        # plan_estimate is null for every lever because there was nothing to compare
        "plan_available": bool((plan or {}).get("recommendations")),
        "configurations": configs,
        "ranking": ranking,
        "plan_check": plan_check(plan, ranking) if ranking else None,
    }


def write_outputs(folder: Path, doc: Mapping[str, Any]) -> list[Path]:
    """Write whatif.json, whatif.md and whatif.html into ``folder`` (each atomically)."""
    texts = {
        "whatif.json": json.dumps(doc, indent=2, ensure_ascii=False, default=str) + "\n",
        "whatif.md": markdown(doc),
        "whatif.html": page(doc),
    }
    paths = []
    for name, text in texts.items():
        path = folder / name
        tmp = path.with_name(f".{name}.{os.getpid()}.tmp")
        tmp.write_text(text, encoding="utf-8")
        os.replace(tmp, path)
        paths.append(path)
    return paths


def _num(value: Any, digits: int = 1) -> str:
    if value is None:
        return "–"
    if isinstance(value, float):
        return f"{value:.{digits}f}"
    return str(value)


def _times(value: Any, exact: Any = True) -> str:
    if value is None:
        return "–"
    return f"×{value:.2f}" + ("" if exact is not False else " (bound)")


def _users(cap: Mapping[str, Any]) -> str:
    users = cap.get("users")
    if users is None:
        return "–"
    return ("≥ " if cap.get("basis") == "at_least" else "") + f"{users:g}"


def _estimate(est: Mapping[str, Any] | None, available: bool = True) -> str:
    if not available:
        return "no plan"
    if not est:
        return "not recommended"
    parts = [f"#{est.get('rank')} {est.get('id')}"]
    if est.get("capacity_factor") is not None:
        parts.append(f"×{float(est['capacity_factor']):.2f} capacity")
    if est.get("db_time_share") is not None:
        parts.append(f"{float(est['db_time_share']) * 100:.0f} % of DB time")
    return ", ".join(parts)


def rows(doc: Mapping[str, Any]) -> list[list[str]]:
    """The table both forms show: one line per configuration."""
    out = []
    for c in doc.get("configurations") or []:
        cap = c.get("capacity") or {}
        usl = c.get("usl") or {}
        out.append(
            [
                str(c["name"]),
                str(c.get("status")),
                _users(cap),
                _num(cap.get("ok_rps")),
                _num(usl.get("slo_users")),
                _times((c.get("gain") or {}).get("users"), (c.get("gain") or {}).get("exact")),
                _times((c.get("gain") or {}).get("ok_rps"), (c.get("gain") or {}).get("exact")),
                _num(c.get("peak_ok_rps")),
                _estimate(c.get("plan_estimate"), bool(doc.get("plan_available")))
                if c.get("lever")
                else "",
                str(c.get("run_dir") or ""),
            ]
        )
    return out


HEADER = [
    "configuration",
    "status",
    "users at SLO",
    "ok req/s at SLO",
    "USL users at SLO",
    "gain (users)",
    "gain (req/s)",
    "peak ok req/s",
    "plan's estimate",
    "run directory",
]


def _headline(doc: Mapping[str, Any]) -> list[str]:
    lines = [
        f"Capacity at p95 ≤ {doc.get('slo_p95_ms'):g} ms on the reference ERP "
        f"({doc.get('db')}, scale {doc.get('scale')}), ladder "
        f"{' → '.join(str(u) for u in doc.get('steps') or [])} users, "
        f"{doc.get('step_seconds'):g} s per step. Status: {doc.get('status')}."
    ]
    ranking = doc.get("ranking") or []
    if ranking:
        lines.append(
            "Levers ranked by the capacity each bought: "
            + ", ".join(
                f"{r['rank']}. {r['lever']} ({_times(r.get('gain_users'))})" for r in ranking
            )
            + "."
        )
    check = doc.get("plan_check") or {}
    if check.get("agrees") is not None:
        verb = "is" if check["agrees"] else "is not"
        lines.append(
            f"The legacy plan's top recommendation ({check.get('top_recommendation')}) {verb} "
            f"the lever that measured best ({check.get('best_measured')})."
        )
    elif check.get("note"):
        note = str(check["note"]["en"])
        lines.append(note[:1].upper() + note[1:] + ".")
    for s in doc.get("skipped") or []:
        lines.append(f"Skipped {s['lever']}: {s['why']['en']}.")
    return lines


def markdown(doc: Mapping[str, Any]) -> str:
    """whatif.md: the headline and the table."""
    out = ["# erpcap whatif", "", *(f"{line}\n" for line in _headline(doc))]
    out.append("| " + " | ".join(HEADER) + " |")
    out.append("|" + "---|" * len(HEADER))
    out += ["| " + " | ".join(cell.replace("|", "/") for cell in r) + " |" for r in rows(doc)]
    out.append("")
    out.append(
        "Users at SLO: the largest load whose overall p95 is within the target, interpolated "
        "between steps (≥: the top step was within). Gains are against legacy."
    )
    return "\n".join(out) + "\n"


_STYLE = """
body{font-family:system-ui,sans-serif;margin:2em;max-width:75em;color:#222}
table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #ccc;padding:.3em .6em;
text-align:left}th{background:#f3f3f3}.bar{background:#4a7bd0;height:.8em;display:inline-block}
td.n{text-align:right}
"""


def page(doc: Mapping[str, Any]) -> str:
    """whatif.html: the headline, a bar per configuration and the table (self-contained)."""
    esc = html.escape
    caps = [(c.get("capacity") or {}).get("users") or 0.0 for c in doc.get("configurations") or []]
    top = max([float(x) for x in caps] + [1e-9])
    bars = "".join(
        f"<tr><td>{esc(str(c['name']))}</td><td><span class='bar' style='width:"
        f"{20 * float((c.get('capacity') or {}).get('users') or 0) / top:.2f}em'></span> "
        f"{esc(_users(c.get('capacity') or {}))}</td></tr>"
        for c in doc.get("configurations") or []
    )
    table = "".join(
        "<tr>"
        + "".join(f"<td>{esc(cell)}</td>" for cell in r[:-1])
        + (
            f"<td><a href='{esc(r[-1])}/report.html'>{esc(r[-1])}</a></td>"
            if r[-1]
            else "<td></td>"
        )
        + "</tr>"
        for r in rows(doc)
    )
    head = "".join(f"<th>{esc(h)}</th>" for h in HEADER)
    lines = "".join(f"<p>{esc(line)}</p>" for line in _headline(doc))
    return (
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>"
        f"<title>erpcap whatif</title><style>{_STYLE}</style></head><body>"
        f"<h1>erpcap whatif</h1>{lines}<h2>Users at the target</h2><table>{bars}</table>"
        f"<h2>Configurations</h2><table><tr>{head}</tr>{table}</table>"
        "<p>Users at SLO: the largest load whose overall p95 is within the target, interpolated "
        "between steps (≥: the top step was within). Gains are against legacy. Each "
        "configuration's run directory holds its full report.</p></body></html>\n"
    )
