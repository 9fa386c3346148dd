"""What-if: ``erpcap whatif`` on the reference ERP on PostgreSQL, and the sizing check.

Runs ``erpcap whatif`` (legacy, each lever alone — the replica lever needs a second
database and is left out —, all levers on) with one ladder, and reports per configuration
the capacity at p95 ≤ the target (users and successful req/s, interpolated between steps)
and its gain against legacy, in one run.

Then the sizing check, on a second ``erpcap whatif`` (legacy and indexes) with a finer
ladder and longer think times, so that the legacy knee lies at enough users for half of it
to hold several steps: the knee (where the light-load line λN meets the throughput
ceiling; ``capacity.knee.users`` when the analysis gives one) measured on the full ladder,
against the knee a USL fit (analysis/capacity/usl.py) of the steps up to half of it
predicts (its ceiling over its λ; goal: within 15 %), with the bottleneck law's ceiling from
the same steps' CPU demands beside it, and the users at the p95 target predicted from the
fit (R = N/X − Z, p95 as the lower steps' p95/mean ratio) against those measured.

    .venv/bin/python benchmarks/bench_whatif.py [--scale 1] [--steps 1,2,3,4,6,8,12,16,24,32,48]
        [--step-seconds 12] [--slo-p95-ms 500] [--db postgresql://postgres@127.0.0.1:5432/erpcap_bench]
        [--sizing-steps 2,4,...,48] [--sizing-think-scale 0.1]
        [--from WHATIF_FOLDER] [--sizing-from WHATIF_FOLDER] [--write-docs]

``--from`` / ``--sizing-from`` recompute the figures from earlier whatif folders (through
``erpcap.whatif.refresh``) instead of running them again.

Not a timed test: it prints the figures and, with ``--write-docs``, writes them into
docs/benchmarks.md ("What-if").
"""

from __future__ import annotations

import argparse
import json
import math
import re
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from erpcap.analysis.capacity.usl import fit_usl
from erpcap.whatif import refresh
from erpcap.whatif_capacity import capacity_at_slo

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs" / "benchmarks.md"
GOAL = 0.15


def run_whatif(
    args: argparse.Namespace, out: Path, extra: list[str]
) -> tuple[Path, float, list[str]]:
    argv = [
        sys.executable, "-m", "erpcap", "whatif", "--out", str(out), "--db", args.db,
        "--scale", str(args.scale), "--step-seconds", str(args.step_seconds),
        "--slo-p95-ms", str(args.slo_p95_ms), *extra,
    ]  # fmt: skip
    started = time.monotonic()
    result = subprocess.run(argv, stdout=subprocess.PIPE, text=True, timeout=4 * 3600)
    elapsed = time.monotonic() - started
    if result.returncode != 0:
        raise SystemExit(f"erpcap whatif failed ({result.returncode}): {result.stdout[-2000:]}")
    line = next(x for x in result.stdout.splitlines() if x.startswith("results:"))
    shown = ["erpcap", *argv[3:]]
    shown[shown.index("--out") + 1] = "runs"
    return Path(line.split(None, 1)[1]).parent, elapsed, shown


def command_of(folder: Path, db: str) -> tuple[float, list[str]]:
    """The wall time and the command of an earlier whatif, from its whatif.json."""
    doc = json.loads((folder / "whatif.json").read_text(encoding="utf-8"))
    elapsed = (
        datetime.fromisoformat(doc["ended_at"]) - datetime.fromisoformat(doc["started_at"])
    ).total_seconds()
    levers = [c["lever"] for c in doc["configurations"] if c.get("lever")]
    cmd = [
        "erpcap", "whatif", "--out", "runs", "--db", doc.get("db_url") or db,
        "--scale", f"{doc['scale']:g}", "--steps", ",".join(map(str, doc["steps"])),
        "--step-seconds", f"{doc['step_seconds']:g}", "--slo-p95-ms", f"{doc['slo_p95_ms']:g}",
        "--think-scale", f"{doc['think_scale']:g}",
    ]  # fmt: skip
    if "all" not in doc.get("configurations_planned", []):
        cmd += ["--levers", ",".join(levers), "--no-all"]
    return elapsed, cmd


def _predict_slo_users(
    x_of: Callable[[float], float], think_s: float, ratio: float, target_ms: float
) -> float | None:
    """The largest N (to 0.01) whose predicted p95 = ratio · (N / X(N) − Z) is within target."""

    def p95_ms(n: float) -> float:
        x = x_of(n)
        return math.inf if x <= 0 else ratio * max(n / x - think_s, 0.0) * 1000.0

    if p95_ms(1.0) > target_ms:
        return None
    lo, hi = 1.0, 2.0
    while p95_ms(hi) <= target_ms:
        lo, hi = hi, hi * 2
        if hi > 1e6:
            return None
    while hi - lo > 0.01:
        mid = (lo + hi) / 2
        lo, hi = (mid, hi) if p95_ms(mid) <= target_ms else (lo, mid)
    return round(lo, 2)


def demand_ceiling(lower: list[dict[str, Any]], cpu_count: int) -> dict[str, Any] | None:
    """The bottleneck law's ceiling from the lower steps: X_max = cores / demand, with the
    CPU demand per successful request of the watched processes (ERP, database, load
    generator) and the cores they had (the host's, less what other processes took)."""
    demands, spare = [], []
    for s in lower:
        res = s.get("resources") or {}
        roles = res.get("cpu_by_role") or {}
        if not roles or res.get("host_cpu") is None:
            continue
        ours = sum(roles.values()) / 100.0  # cores
        demands.append(ours / s["ok_rps"])
        spare.append(cpu_count - max(res["host_cpu"] / 100.0 * cpu_count - ours, 0.0))
    if not demands:
        return None
    demand = sorted(demands)[len(demands) // 2]
    cores = sorted(spare)[len(spare) // 2]
    return {"demand_core_s": round(demand, 5), "cores": round(cores, 3), "x_max": cores / demand}


def _per_user(steps: list[dict[str, Any]]) -> float:
    """Throughput of one user (λ) at light load: the median X/N of the first three steps."""
    rates = sorted(s["ok_rps"] / s["users"] for s in steps[:3])
    return rates[len(rates) // 2]


def _error(predicted: float | None, measured: float | None) -> float | None:
    if predicted is None or not measured:
        return None
    return round((predicted - measured) / measured, 4)


def sizing_check(legacy: dict[str, Any], target_ms: float, cpu_count: int = 2) -> dict[str, Any]:
    """The knee predicted from the ladder's lower half against the full ladder's.

    The knee is where the light-load line λN meets the throughput ceiling X_max (the
    asymptotic bounds: N* = X_max / λ, = X_max · (R₀ + Z) in a closed system). Measured:
    ``capacity.knee.users`` when the analysis gives one, else the full ladder's peak
    throughput over its light-load λ. Predicted from the steps up to half that knee: the
    USL fit's ceiling (its peak, or λ/σ when κ = 0) over the fit's λ; beside it the
    bottleneck law's ceiling from the same steps' CPU demands.
    """
    steps = sorted(
        (s for s in legacy["steps"] if s.get("measured") and s.get("ok_rps")),
        key=lambda s: s["users"],
    )
    capacity = legacy.get("capacity") or {}
    peak_x = max(s["ok_rps"] for s in steps)
    knee = (capacity.get("knee") or {}).get("users")
    basis = "capacity.knee (the analysis)"
    if not knee:
        knee = round(peak_x / _per_user(steps), 2)
        basis = "the full ladder's peak throughput over its light-load throughput per user"
    others = [
        max(
            s["resources"]["host_cpu"] / 100 * cpu_count
            - sum(s["resources"]["cpu_by_role"].values()) / 100,
            0.0,
        )
        for s in steps
        if (s.get("resources") or {}).get("host_cpu") is not None
        and (s.get("resources") or {}).get("cpu_by_role")
    ]
    out: dict[str, Any] = {
        "knee_users": knee,
        "knee_basis": basis,
        "peak_x": peak_x,
        "cpu_count": cpu_count,
        "others_cores": round(sum(others) / len(others), 2) if others else None,
        "full_usl_slo_users": (capacity.get("usl") or {}).get("slo_users"),
    }
    lower = [s for s in steps if s["users"] <= knee / 2]
    if len(lower) < 3:
        lower = steps[:3]
        out["note"] = "fewer than 3 steps below half the knee: the first 3 steps were used"
    fit = fit_usl([s["users"] for s in lower], [s["ok_rps"] for s in lower])
    ceiling = fit.peak_x
    predicted = round(ceiling / fit.lam, 2) if ceiling and fit.lam > 0 else None
    laws = demand_ceiling(lower, cpu_count)
    if laws:
        laws["knee_users"] = round(laws["x_max"] / fit.lam, 2) if fit.lam > 0 else None
        laws["error"] = _error(laws["knee_users"], knee)
        laws["x_max"] = round(laws["x_max"], 2)
    # The users at the p95 target, predicted as R(N) = N / X(N) − Z times the lower steps'
    # p95/mean ratio, against what the full ladder measured (secondary: a mix with slow
    # reports has a p95 set by the reports, not by the load).
    measured_slo = capacity_at_slo(steps, target_ms)
    think = [s["users"] / s["ok_rps"] - s["mean_ms"] / 1000 for s in lower if s.get("mean_ms")]
    ratios = sorted(s["p95_ms"] / s["mean_ms"] for s in lower if s.get("mean_ms"))
    think_s = max(sum(think) / len(think), 0.0)
    slo_users = _predict_slo_users(fit.x, think_s, ratios[len(ratios) // 2], target_ms)
    return {
        **out,
        "lower_steps": [s["users"] for s in lower],
        "fit": {"sigma": fit.sigma, "kappa": fit.kappa, "lambda": fit.lam,
                "r_squared": fit.r_squared, "peak_n": fit.peak_n, "ceiling_x": ceiling,
                "warnings": list(fit.warnings)},
        "predicted_knee_users": predicted,
        "error": _error(predicted, knee),
        "ceiling_error": _error(ceiling, peak_x),
        "within_goal": None if _error(predicted, knee) is None
        else abs(_error(predicted, knee) or 0.0) <= GOAL,
        "operational_laws": laws,
        "slo": {"measured": measured_slo, "predicted_users": slo_users,
                "error": _error(slo_users, measured_slo["users"]), "think_s": round(think_s, 3),
                "p95_over_mean": round(ratios[len(ratios) // 2], 3)},
    }  # fmt: skip


def _fmt(v: Any, digits: int = 1) -> str:
    if v is None:
        return "–"
    return f"{v:.{digits}f}" if isinstance(v, float) else str(v)


def docs_section(
    doc: dict[str, Any],
    check: dict[str, Any],
    elapsed: float,
    cmd: list[str],
    sizing: tuple[float, list[str]],
) -> str:
    day = datetime.now(UTC).strftime("%Y-%m-%d")
    lines = [
        "## What-if",
        "",
        f"Measured on {day} on this machine (2 cores shared with other work; PostgreSQL 15 on "
        "127.0.0.1, the load generator, the ERP, the database, Redis and RabbitMQ on the same "
        f"cores). `erpcap whatif` took {elapsed / 60:.1f} min wall, the sizing ladder "
        f"{sizing[0] / 60:.1f} min. Commands:",
        "",
        "```",
        ".venv/bin/python benchmarks/bench_whatif.py --write-docs   # runs these two:",
        " ".join(cmd),
        " ".join(sizing[1]),
        "```",
        "",
        f"Capacity at p95 ≤ {doc['slo_p95_ms']:g} ms (overall p95 of the demo mix; the largest "
        "users and successful req/s within the target, interpolated between steps; "
        "≥: the top step was within), each configuration on a fresh copy of the same seeded database "
        f"(scale {doc['scale']:g}), ladder {' → '.join(map(str, doc['steps']))} users, "
        f"{doc['step_seconds']:g} s per step:",
        "",
        "| configuration | users at target | ok req/s at target | gain (users) | gain (req/s) "
        "| peak ok req/s | plan's estimate |",
        "| --- | --- | --- | --- | --- | --- | --- |",
    ]
    for c in doc["configurations"]:
        cap, g = c.get("capacity") or {}, c.get("gain") or {}
        bound = "≥ " if cap.get("basis") == "at_least" else ""
        est = c.get("plan_estimate")
        est_text = "–" if not c.get("lever") else (
            f"#{est['rank']} {est['id']}" + (f", ×{est['capacity_factor']:.2f}"
                                             if est.get("capacity_factor") else "")
            if est else ("not recommended" if doc.get("plan_available") else "no plan")
        )  # fmt: skip
        lines.append(
            f"| {c['name']} | {bound}{_fmt(cap.get('users'))} | {_fmt(cap.get('ok_rps'))} "
            f"| {_fmt(g.get('users'), 2)} | {_fmt(g.get('ok_rps'), 2)} "
            f"| {_fmt(c.get('peak_ok_rps'))} | {est_text} |"
            if c.get("status") == "completed"
            else f"| {c['name']} | failed: {c.get('reason')} | | | | | |"
        )
    ranking = ", ".join(f"{r['rank']}. {r['lever']}" for r in doc.get("ranking") or [])
    lines += ["", f"Levers ranked by the capacity each bought: {ranking}."]
    pc = doc.get("plan_check") or {}
    if pc.get("agrees") is not None:
        lines.append(
            f"The legacy plan's top recommendation ({pc['top_recommendation']}) "
            f"{'is' if pc['agrees'] else 'is not'} the lever that measured best "
            f"({pc['best_measured']})."
        )
    elif pc.get("note"):
        lines.append(f"Plan check: {pc['note']['en']}.")
    for s in doc.get("skipped") or []:
        lines.append(f"Skipped {s['lever']}: {s['why']['en']}.")
    if check.get("others_cores") is not None:
        lines += [
            "",
            f"Processes outside the watched ERP, database server and load generator took "
            f"{check['others_cores']:.2f} of the {check['cpu_count']} cores on average during "
            "the legacy ladder: other work on the shared machine (the watched roles count "
            "their short-lived children, such as legacy's backend per connection). The "
            "figures are this machine's on that day; a lever whose gain is within a few "
            "tenths of ×1 did not measurably help.",
        ]
    lines += [
        "",
        "Sizing from half the ladder: the second command's legacy run, a finer ladder "
        f"({' → '.join(map(str, check['ladder']))} users) with think times scaled by "
        f"{check['think_scale']:g} rather than {doc['think_scale']:g}, so that the knee lies at "
        "enough users for half of it to hold several steps: " + sizing_text(check),
        "",
    ]
    return "\n".join(lines) + "\n"


def _pct(error: float | None) -> str:
    return "–" if error is None else f"{error * 100:+.1f} %"


def sizing_text(check: dict[str, Any]) -> str:
    fit, laws, slo = check["fit"], check.get("operational_laws"), check["slo"]
    goal = (
        "no prediction (the fit shows no ceiling)"
        if check["error"] is None
        else f"{'within' if check['within_goal'] else 'outside'} the {GOAL * 100:.0f} % goal"
    )
    text = (
        f"the measured knee is {check['knee_users']:.1f} users ({check['knee_basis']}; peak "
        f"{check['peak_x']:.1f} successful req/s). A USL fit of the steps up to half of it "
        f"({', '.join(map(str, check['lower_steps']))} users: σ = {fit['sigma']:.4g}, κ = "
        f"{fit['kappa']:.4g}, λ = {fit['lambda']:.4g} req/s per user, R² = "
        f"{fit['r_squared']:.3f}) predicts a ceiling of {_fmt(fit['ceiling_x'])} req/s "
        f"({_pct(check['ceiling_error'])} against the peak) and a knee N* = ceiling / λ at "
        f"{_fmt(check['predicted_knee_users'])} users: **{_pct(check['error'])}**, {goal}."
    )
    if laws and laws.get("knee_users") is not None:
        text += (
            f" The bottleneck law on the same steps (CPU demand {laws['demand_core_s']:.4f} "
            f"core-s per successful request, {laws['cores']:.2f} cores left by other "
            f"processes: X_max = {laws['x_max']:.1f} req/s) puts the knee at "
            f"{laws['knee_users']:.1f} users: {_pct(laws['error'])}."
        )
    text += (
        f" The users at p95 ≤ the target, predicted from the same fit (R = N/X − Z with Z = "
        f"{slo['think_s']:.2f} s, p95 = {slo['p95_over_mean']:.2f} × mean): "
        f"{_fmt(slo['predicted_users'])} against {_fmt(slo['measured']['users'])} measured "
        f"({_pct(slo['error'])}); this mix's p95 is set by its slow reports from light load "
        "on, so it hovers near 500 ms over many steps and is a poor yardstick for a knee."
    )
    if check.get("full_usl_slo_users") is not None:
        text += f" The full ladder's own USL fit gives {_fmt(check['full_usl_slo_users'])} users."
    if check.get("note"):
        text += f" Note: {check['note']}."
    return text


def write_docs(section: str) -> None:
    text = DOCS.read_text(encoding="utf-8") if DOCS.exists() else "# Benchmarks\n"
    text = re.sub(r"\n## What-if\n.*?(?=\n## |\Z)", "\n", text, flags=re.S).rstrip() + "\n"
    DOCS.write_text(text + "\n" + section, encoding="utf-8")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", default="postgresql://postgres@127.0.0.1:5432/erpcap_bench")
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--steps", default="1,2,3,4,6,8,12,16,24,32,48")
    parser.add_argument("--step-seconds", type=float, default=12.0)
    parser.add_argument("--slo-p95-ms", type=float, default=500.0)
    parser.add_argument("--levers", help="default: every lever (replica is left out)")
    parser.add_argument("--from", dest="source", type=Path, help="an existing whatif folder")
    parser.add_argument(
        "--sizing-steps", default="2,4,6,8,10,12,16,20,24,32,40,48",
        help="the legacy ladder of the sizing check (finer and longer: a knee at more users)",
    )  # fmt: skip
    parser.add_argument("--sizing-think-scale", type=float, default=0.1)
    parser.add_argument("--sizing-from", type=Path, help="an existing whatif folder for sizing")
    parser.add_argument("--write-docs", action="store_true")
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="erpcap-whatif-"))
    if args.source:
        folder = args.source
        elapsed, cmd = command_of(folder, args.db)
    else:
        extra = ["--steps", args.steps] + (["--levers", args.levers] if args.levers else [])
        folder, elapsed, cmd = run_whatif(args, tmp, extra)
    if args.sizing_from:
        sizing_folder = args.sizing_from
        sizing_elapsed, sizing_cmd = command_of(sizing_folder, args.db)
    else:
        extra = ["--steps", args.sizing_steps, "--think-scale", str(args.sizing_think_scale),
                 "--levers", "indexes", "--no-all"]  # fmt: skip
        sizing_folder, sizing_elapsed, sizing_cmd = run_whatif(args, tmp, extra)
    # Recomputed from the run directories by this erpcap (the same as written, unless the
    # code changed since).
    doc = refresh(folder)
    legacy = json.loads((sizing_folder / "legacy" / "findings.json").read_text(encoding="utf-8"))
    meta = json.loads((sizing_folder / "legacy" / "run.json").read_text(encoding="utf-8"))
    cpus = int((meta.get("host") or {}).get("cpu_count") or 1)
    check = sizing_check(legacy, float(doc["slo_p95_ms"]), cpus)
    print(json.dumps({"folder": str(folder), "elapsed_s": elapsed, "ranking": doc["ranking"],
                      "plan_check": doc["plan_check"], "sizing": check}, indent=1, default=str))  # fmt: skip
    sizing_doc = json.loads((sizing_folder / "whatif.json").read_text(encoding="utf-8"))
    check["ladder"] = sizing_doc["steps"]
    check["think_scale"] = sizing_doc["think_scale"]
    section = docs_section(doc, check, elapsed, cmd, (sizing_elapsed, sizing_cmd))
    print(section)
    if args.write_docs:
        write_docs(section)
        print(f"written: {DOCS}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
