"""model.md: a short human report of what the logs show and how to replay it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from erpcap.analysis.workload.profile import QUANTILES

REPORT = "model.md"


def _cell(text: Any) -> str:
    """A Markdown table cell: pipes and line breaks from a log cannot break the table."""
    return str(text).replace("|", "\\|").replace("\n", " ").replace("`", "'")


def _rate(per_s: float) -> str:
    return f"{per_s:.3g}/s ({per_s * 3600:,.0f}/h)"


def render(doc: dict[str, Any], out: Path) -> str:
    """The report's Markdown."""
    inputs, span, replay = doc["inputs"], doc["span"], doc["replay"]
    growth = replay["growth"]
    lines = [
        "# Workload model",
        "",
        f"Measured by `erpcap model` from {len(inputs['files'])} file(s) "
        f"({', '.join(sorted(set(inputs['formats'].values())))}), "
        f"{span['first']} to {span['last']} ({span['days']} day(s) with requests): "
        f"**{doc['requests']:,} requests** after excluding "
        f"{inputs['excluded']['static']:,} static assets and "
        f"{inputs['excluded']['health']:,} health checks; "
        f"{inputs['unparsable']:,} of {inputs['lines']:,} lines did not parse.",
    ]
    for example in inputs["unparsable_examples"]:
        lines.append(f"- unparsable: `{_cell(example)}`")
    for warning in inputs["warnings"]:
        lines.append(f"- warning: {_cell(warning)}")
    arrivals = doc["arrivals"]
    lines += [
        "",
        f"## The peak (× growth {growth:g} for the replay)",
        "",
        "| | when | requests | rate | × growth |",
        "| --- | --- | ---: | ---: | ---: |",
    ]
    for label, key in (
        ("busiest minute", "peak_minute"),
        ("busiest clock hour", "peak_hour"),
        ("busiest 60 minutes", "busiest_60_minutes"),
    ):
        a = arrivals[key]
        lines.append(
            f"| {label} | {a['start']} | {a['requests']:,} | {_rate(a['rate_per_s'])} "
            f"| {a['rate_per_s'] * growth:.3g}/s |"
        )
    s = doc["sessions"]
    c = s["concurrency"]
    think = doc["think_time_s"]
    lines += [
        "",
        f"Mean rate over the whole log: {_rate(arrivals['mean_rate_per_s'])}.",
        "",
        "## Sessions and think times",
        "",
        f"{s['count']:,} sessions (a user's requests with gaps under "
        f"{s['timeout_s'] / 60:g} min). Concurrent sessions per minute: peak **{c['peak']:,}** "
        f"at {c['peak_minute']}, p95 {c['p95']:,.0f}, median {c['p50']:,.0f} "
        f"(over minutes with a session).",
        "",
    ]
    if think.get("count"):
        names = [name for name, _ in QUANTILES]
        lines += [
            f"Think times ({think['count']:,} gaps between a session's requests, seconds):",
            "",
            "| mean | " + " | ".join(names) + " | max |",
            "| ---: " * (len(names) + 2) + "|",
            f"| {think['mean']:.3g} | "
            + " | ".join(f"{think[n]:.3g}" for n in names)
            + f" | {think['max']:.3g} |",
        ]
        if c["peak"] and think["mean"]:
            little = c["peak"] / think["mean"]
            lines += [
                "",
                f"Little's law check: {c['peak']:,} sessions ÷ {think['mean']:.3g} s mean think "
                f"≈ {little:.3g} requests/s, against {arrivals['peak_minute']['rate_per_s']:.3g}/s "
                "in the busiest minute.",
            ]
    else:
        lines.append("No session had two requests: no think times measured.")
    lines += [
        "",
        f"## Transaction mix (top routes of {doc['distinct_routes']:,})",
        "",
        "| route | requests | share | 4xx | 5xx |",
        "| --- | ---: | ---: | ---: | ---: |",
    ]
    for row in doc["routes"]:
        route = row["route"] if row["route"] != "other" else f"other ({row['routes']} routes)"
        lines.append(
            f"| `{_cell(route)}` | {row['requests']:,} | {row['share'] * 100:.1f} % "
            f"| {row['errors_4xx']:,} | {row['errors_5xx']:,} |"
        )
    status = doc["status"]
    classes = ", ".join(f"{k} {v * 100:.1f} %" for k, v in status["classes"].items())
    lines += ["", f"Answers: {classes}.", ""]
    lines += _profile(doc)
    lines += _replay(doc, out)
    return "\n".join(lines) + "\n"


def _profile(doc: dict[str, Any]) -> list[str]:
    profile = doc["day_profile"]
    peaks = profile["peak_hours"]
    lines = [
        f"## The day's profile ({doc['span']['utc_offset']}, averaged over the days)",
        "",
        f"Peak hours (≥ 80 % of the busiest): {', '.join(f'{h:02d}:00' for h in peaks)}.",
        "",
        "| hour | requests/h | rate | |",
        "| --- | ---: | ---: | --- |",
    ]
    for hour, n in enumerate(profile["requests_per_hour"]):
        if n:
            mark = "peak" if hour in peaks else ""
            lines.append(f"| {hour:02d}:00 | {n:,.0f} | {n / 3600:.3g}/s | {mark} |")
    return [*lines, ""]


def _replay(doc: dict[str, Any], out: Path) -> list[str]:
    r = doc["replay"]
    scenario = out / "scenario.yaml"
    lines = [
        "## How to replay",
        "",
        f"`scenario.yaml` holds the top {r['scenario_routes']} routes "
        f"({r['scenario_share'] * 100:.1f} % of requests) with the ids seen in the log "
        "(`feeders/`) and the measured think times. Access logs hold neither request bodies "
        "nor query strings: add `json:`/`params:` to the transactions that need them, and a "
        "`login:` step if the ERP wants one. Replace URL with the ERP's address "
        "(`--allow-target HOST` for another machine).",
        "",
    ]
    if r["bare_operations"]:
        lines += [
            f"{r['bare_operations']} operations are names without a path (a CSV's): "
            "edit their `path:` in scenario.yaml before a replay.",
            "",
        ]
    lines += [
        "```",
        f"# the open model at the busiest minute × {r['growth']:g}: {r['rate_peak_per_s']:.4g}/s "
        f"for {r['peak_duration_s'] / 60:g} min",
        f"erpcap run --target URL --scenario {scenario} --rate {out / 'rate-peak.yaml'}",
        f"# the day's profile × {r['growth']:g}, {r['compress']:g}× faster "
        f"({len(r['day_hours'])} hours in {len(r['day_hours']) * 60 / r['compress']:g} min)",
        f"erpcap run --target URL --scenario {scenario} --rate {out / 'rate-day.yaml'}",
        f"# the closed model: {r['users_peak']:,} users (peak sessions × {r['growth']:g}) "
        "thinking as measured",
        f"erpcap run --target URL --scenario {scenario} --shape {out / 'users-peak.yaml'}",
        "```",
        "",
        "Limits: a log shows arrivals, not what users meant to do; bots and monitors count "
        "unless excluded; requests a cache or CDN answered never reached the log; the peak of "
        "a few days is not next year's peak (hence --growth).",
    ]
    return lines


def write(out: Path, doc: dict[str, Any]) -> Path:
    path = out / REPORT
    path.write_text(render(doc, out), encoding="utf-8")
    return path
