"""Writing the model: the scenario, the rate schedules, the closed-model shape, model.json.

The files follow the formats ``erpcap run`` reads (docs/workload-model.md):

==================  =======================================================================
``scenario.yaml``   a declarative scenario: a transaction per route (the top routes), its
                    weight the measured share in basis points, its path's ids filled from a
                    feeder CSV of the ids seen (``feeders/*.csv``), think times sampled from
                    the measured distribution (``{empirical: [...]}``)
``rate-peak.yaml``  the open model: the busiest minute's rate × growth, constant
``rate-day.yaml``   the open model: the day's profile, hour by hour, × growth, each hour
                    compressed to 3600 / compress seconds
``users-peak.yaml`` the closed model: the most sessions active in one minute × growth
``model.json``      everything measured, versioned
==================  =======================================================================

Every value that comes from the log is written as a JSON string, which YAML reads as a
double-quoted scalar: a path in a log cannot inject YAML.
"""

from __future__ import annotations

import csv
import json
import math
import re
from pathlib import Path
from typing import Any

from erpcap.analysis.workload.measure import Model
from erpcap.analysis.workload.routes import PLACEHOLDER
from erpcap.errors import BadInput

SCENARIO = "scenario.yaml"
RATE_PEAK = "rate-peak.yaml"
RATE_DAY = "rate-day.yaml"
USERS_PEAK = "users-peak.yaml"
MODEL_JSON = "model.json"
FEEDERS = "feeders"

_GROWTH = re.compile(r"(?:(\d+(?:\.\d*)?|\.\d+)\s*x?|\+\s*(\d+(?:\.\d*)?|\.\d+)\s*%)", re.I)


def parse_growth(text: str) -> float:
    """A growth factor from ``3x``, ``3``, ``1.5x`` or ``+200%`` (= 3×).

    >>> parse_growth("3x"), parse_growth("3"), parse_growth("+200%"), parse_growth("+50 %")
    (3.0, 3.0, 3.0, 1.5)
    >>> parse_growth("lots")
    Traceback (most recent call last):
    erpcap.errors.BadInput: --growth 'lots' is not a growth factor (write e.g. 3x, 3 or +200%)
    """
    hint = "write e.g. 3x, 3 or +200%"
    m = _GROWTH.fullmatch(text.strip())
    if m is None:
        raise BadInput(f"--growth {text!r} is not a growth factor", hint=hint)
    factor = float(m.group(1)) if m.group(1) else 1 + float(m.group(2)) / 100
    if not (math.isfinite(factor) and factor > 0):
        raise BadInput(f"--growth {text!r} must be more than 0", hint=hint)
    return factor


def rate_text(per_s: float) -> str:
    """A rate as the schedules write it: per second, or per hour when very low.

    >>> rate_text(5.666666), rate_text(0.002), rate_text(0), rate_text(45.0)
    ('5.6667/s', '7.2/h', '0/s', '45/s')
    """
    if per_s <= 0:
        return "0/s"
    if per_s < 0.01:
        return f"{_number(per_s * 3600)}/h"
    return f"{_number(per_s)}/s"


def _number(value: float) -> str:
    return f"{value:.4f}".rstrip("0").rstrip(".")


def duration_text(seconds: float) -> str:
    """Seconds as the schedules write durations.

    >>> duration_text(600), duration_text(3600), duration_text(90), duration_text(2.5)
    ('10m', '1h', '90s', '2.5s')
    """
    if seconds >= 3600 and seconds % 3600 == 0:
        return f"{int(seconds // 3600)}h"
    if seconds >= 60 and seconds % 60 == 0:
        return f"{int(seconds // 60)}m"
    return f"{_number(seconds)}s"


def _q(value: Any) -> str:
    """A YAML scalar (JSON is valid YAML flow)."""
    return json.dumps(value, ensure_ascii=True)


def _slug(route: str, taken: set[str]) -> str:
    base = re.sub(r"[^a-z0-9]+", "_", route.lower().replace(PLACEHOLDER, "id")).strip("_")[:40]
    base = base or "route"
    name, n = base, 2
    while name in taken:
        name, n = f"{base}_{n}", n + 1
    taken.add(name)
    return name


def _columns(count: int) -> list[str]:
    return ["id"] if count == 1 else [f"id{i}" for i in range(1, count + 1)]


def _templated(path: str, feeder: str, columns: list[str]) -> str:
    parts = path.split(PLACEHOLDER)
    out = parts[0]
    for column, part in zip(columns, parts[1:], strict=True):
        out += f"${{{feeder}.{column}}}" + part
    return out


def write_scenario(out: Path, model: Model, name: str) -> dict[str, Any]:
    """scenario.yaml and its feeders; returns what it covers (routes, share)."""
    doc = model.doc
    routes = [r for r in doc["routes"] if r["route"] != "other"]
    taken: set[str] = set()
    feeders: list[str] = []
    transactions: list[str] = []
    covered = 0.0
    bare = 0
    for row in routes:
        method, path = row["method"], row["path"]
        if not method:  # a CSV's bare operation name: a placeholder path to edit
            method, path = "GET", "/" + re.sub(r"[^A-Za-z0-9_.~-]+", "_", path)
            bare += 1
        ids = model.feeders.get(row["route"], [])
        if path.count(PLACEHOLDER) and ids:
            feeder = _slug(row["route"], taken)
            columns = _columns(path.count(PLACEHOLDER))
            _write_csv(out / FEEDERS / f"{feeder}.csv", columns, ids)
            feeders.append(f"  {feeder}: {{csv: {_q(f'{FEEDERS}/{feeder}.csv')}}}")
            path = _templated(path, feeder, columns)
        covered += row["share"]
        transactions.append(
            f"  - name: {_q(row['route'])}\n"
            f"    weight: {max(1, round(row['share'] * 10_000))}"
            f"  # {row['share'] * 100:.2f} % of requests ({row['requests']:,})\n"
            f"    method: {_q(method)}\n"
            f"    path: {_q(path)}"
        )
    think = model.think or [1.0]
    lines = [
        "# scenario.yaml: written by erpcap model from access logs (docs/workload-model.md).",
        f"# The top {len(routes)} routes cover {covered * 100:.1f} % of "
        f"{doc['requests']:,} requests; weights are basis points of all requests.",
        "# Access logs hold no request bodies or query strings: add json: / params: where needed.",
        f"name: {_q(name)}",
        f"description: {_q(_description(doc))}",
        f"# think times: {len(think)} quantiles of the {doc['think_time_s']['count']:,} "
        "gaps measured between a session's requests (seconds)",
        f"think: {{empirical: {_q(think)}}}",
    ]
    if feeders:
        lines += ["feeders:", *feeders]
    lines += ["transactions:", *transactions, ""]
    (out / SCENARIO).write_text("\n".join(lines), encoding="utf-8")
    return {"routes": len(routes), "share": covered, "bare_operations": bare}


def _description(doc: dict[str, Any]) -> str:
    span = doc["span"]
    files = ", ".join(Path(f).name for f in doc["inputs"]["files"])
    return f"measured by erpcap model from {files} ({span['first']} to {span['last']})"


def _write_csv(path: Path, columns: list[str], rows: list[tuple[str, ...]]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(columns)
        writer.writerows(rows)


def write_rate_peak(out: Path, doc: dict[str, Any], growth: float, duration_s: float) -> float:
    """rate-peak.yaml; returns its rate per second."""
    minute, hour = doc["arrivals"]["peak_minute"], doc["arrivals"]["peak_hour"]
    rate = float(minute["rate_per_s"]) * growth
    text = (
        "# rate-peak.yaml: the open model at the busiest minute measured, written by erpcap model.\n"
        f"# busiest minute {minute['start']}: {minute['requests']:,} requests = "
        f"{minute['rate_per_s']:.4g}/s, × growth {growth:g} = {rate:.4g}/s,\n"
        f"# held {duration_text(duration_s)}. The busiest clock hour ({hour['start']}) "
        f"averaged {hour['rate_per_s']:.4g}/s (× growth {hour['rate_per_s'] * growth:.4g}/s):\n"
        "# a system that holds the peak minute for minutes holds the peak hour with margin.\n"
        f"constant: {{rate: {rate_text(rate)}, duration: {duration_text(duration_s)}}}\n"
    )
    (out / RATE_PEAK).write_text(text, encoding="utf-8")
    return rate


def write_rate_day(out: Path, doc: dict[str, Any], growth: float, compress: float) -> list[int]:
    """rate-day.yaml (hours without requests at either end left out); returns its hours."""
    profile = doc["day_profile"]["requests_per_hour"]
    busy = [h for h, v in enumerate(profile) if v > 0]
    hours = list(range(busy[0], busy[-1] + 1)) if busy else list(range(24))
    step_s = 3600 / compress
    lines = [
        "# rate-day.yaml: the day's profile as rate steps, written by erpcap model.",
        f"# One step per hour of the day ({doc['span']['utc_offset']}), its requests averaged "
        f"over the days measured, × growth {growth:g};",
        f"# time compressed {compress:g}×: each hour lasts {duration_text(step_s)}, "
        "at the hour's real rate.",
        "steps:",
    ]
    for hour in hours:
        rate = profile[hour] / 3600 * growth
        lines.append(
            f"  - {{rate: {rate_text(rate)}, duration: {duration_text(step_s)}}}"
            f"  # {hour:02d}:00, {profile[hour]:,.0f} requests/h measured"
        )
    (out / RATE_DAY).write_text("\n".join(lines) + "\n", encoding="utf-8")
    return hours


def write_users_peak(out: Path, doc: dict[str, Any], growth: float, duration_s: float) -> int:
    """users-peak.yaml (a shape file of ``erpcap run --shape``); returns its users."""
    concurrency = doc["sessions"]["concurrency"]
    users: int = max(1, math.ceil(concurrency["peak"] * growth))
    spawn = max(1.0, round(users / 60, 1))
    text = (
        "# users-peak.yaml: the closed model, written by erpcap model: the most sessions active\n"
        f"# in one minute ({concurrency['peak']:,} at {concurrency['peak_minute']}) × growth "
        f"{growth:g}, each thinking as measured (scenario.yaml's think).\n"
        f"spawn_rate: {spawn:g}\n"
        f"constant: {{users: {users}, duration: {duration_text(duration_s)}}}\n"
    )
    (out / USERS_PEAK).write_text(text, encoding="utf-8")
    return users


def write_json(out: Path, doc: dict[str, Any]) -> None:
    (out / MODEL_JSON).write_text(
        json.dumps(doc, indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
    )
