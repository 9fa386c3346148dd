"""model.md: a short report of what the logs show and how to replay it, in English or Chinese.

The words live in one catalogue per language (:data:`TEXTS`); numbers are formatted the
same in both (``1,234``, ``5.67/s``), so the tables read alike whichever language.

>>> sorted(TEXTS) == sorted(LANGUAGES) and set(TEXTS["en"]) == set(TEXTS["zh-CN"])
True
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from erpcap.analysis.workload.profile import QUANTILES

REPORT = "model.md"
LANGUAGES = ("en", "zh-CN")

TEXTS: dict[str, dict[str, str]] = {
    "en": {
        "title": "Workload model",
        "inputs": (
            "Measured by `erpcap model` from {files} file(s) ({formats}), {first} to {last} "
            "({days} day(s) with requests): **{requests} requests** after leaving out {static} "
            "static assets and {health} health checks; {bad} of {lines} lines did not parse."
        ),
        "unparsable": "unparsable",
        "warning": "warning",
        "peak": "The peak (× growth {growth} for the replay)",
        "peak.columns": "| | when | requests | rate | × growth |",
        "peak_minute": "busiest minute",
        "peak_hour": "busiest clock hour",
        "busiest_60_minutes": "busiest 60 minutes",
        "mean_rate": "Mean rate over the whole log: {rate}.",
        "sessions": "Sessions and think times",
        "sessions.text": (
            "{count} sessions (a user's requests with gaps under {timeout} min). Concurrent "
            "sessions per minute: peak **{peak}** at {at}, p95 {p95}, median {p50} (over "
            "minutes with a session)."
        ),
        "think": "Think times ({count} gaps between a session's requests, seconds):",
        "think.none": "No session had two requests: no think times measured.",
        "mean": "mean",
        "max": "max",
        "little": (
            "Little's law check: {sessions} sessions ÷ {think} s mean think ≈ {rate} "
            "requests/s, against {peak}/s in the busiest minute."
        ),
        "little.off": (
            "They differ by more than half (short sessions, or long pauses counted as "
            "thinking): users-peak.yaml will not reproduce the peak rate; replay the peak "
            "with rate-peak.yaml."
        ),
        "mix": "Transaction mix (top routes of {routes})",
        "mix.columns": "| route | requests | share | 4xx | 5xx |",
        "other": "other ({routes} routes)",
        "answers": "Answers: {classes}.",
        "profile": "The day's profile ({offset}, averaged over the days)",
        "profile.peaks": "Peak hours (≥ 80 % of the busiest): {hours}.",
        "profile.columns": "| hour | requests/h | rate | |",
        "profile.peak": "peak",
        "replay": "How to replay",
        "replay.text": (
            "`scenario.yaml` holds the top {routes} routes ({share} of requests) with the ids "
            "seen in the log (`feeders/`) and the measured think times. Access logs hold "
            "neither request bodies nor query strings: add `json:`/`params:` to the "
            "transactions that need them, and a `login:` step if the ERP wants one. Replace "
            "URL with the ERP's address (`--allow-target HOST` for another machine)."
        ),
        "replay.bare": (
            "{count} operations are names without a path (a CSV's): edit their `path:` in "
            "scenario.yaml before a replay."
        ),
        "replay.peak": "the open model at the busiest minute × {growth}: {rate}/s for {minutes} min",
        "replay.day": "the day's profile × {growth}, {compress}× faster ({hours} hours in {minutes} min)",
        "replay.users": "the closed model: {users} users (peak sessions × {growth}) thinking as measured",
        "limits": (
            "Limits: a log shows arrivals, not what users meant to do; bots and monitors count "
            "unless excluded; requests a cache or CDN answered never reached the log; the peak "
            "of a few days is not next year's peak (hence --growth)."
        ),
    },
    "zh-CN": {
        "title": "负载模型",
        "inputs": (
            "由 `erpcap model` 从 {files} 个文件（{formats}）测得，时间 {first} 至 {last}"
            "（{days} 天有请求）：排除 {static} 个静态资源和 {health} 个健康检查后共 "
            "**{requests} 个请求**；{lines} 行中有 {bad} 行无法解析。"
        ),
        "unparsable": "无法解析",
        "warning": "警告",
        "peak": "峰值（回放时 × 增长系数 {growth}）",
        "peak.columns": "| | 时间 | 请求数 | 速率 | × 增长 |",
        "peak_minute": "最繁忙的一分钟",
        "peak_hour": "最繁忙的整点小时",
        "busiest_60_minutes": "最繁忙的连续 60 分钟",
        "mean_rate": "整个日志的平均速率：{rate}。",
        "sessions": "会话与思考时间",
        "sessions.text": (
            "{count} 个会话（同一用户间隔小于 {timeout} 分钟的请求）。每分钟并发会话：峰值 "
            "**{peak}**（{at}），p95 {p95}，中位数 {p50}（只计有会话的分钟）。"
        ),
        "think": "思考时间（会话内相邻请求的 {count} 个间隔，秒）：",
        "think.none": "没有会话包含两个请求：未测得思考时间。",
        "mean": "平均",
        "max": "最大",
        "little": (
            "利特尔定律检验：{sessions} 个会话 ÷ 平均思考 {think} 秒 ≈ 每秒 {rate} 个请求，"
            "最繁忙的一分钟为 {peak}/s。"
        ),
        "little.off": (
            "两者相差一半以上（会话很短，或长时间停顿被算作思考）：users-peak.yaml 无法重现峰值速率，"
            "请用 rate-peak.yaml 回放峰值。"
        ),
        "mix": "事务组合（{routes} 个路由中的前几名）",
        "mix.columns": "| 路由 | 请求数 | 占比 | 4xx | 5xx |",
        "other": "其他（{routes} 个路由）",
        "answers": "响应：{classes}。",
        "profile": "一天的分布（{offset}，按天平均）",
        "profile.peaks": "高峰小时（≥ 最繁忙小时的 80 %）：{hours}。",
        "profile.columns": "| 小时 | 请求/小时 | 速率 | |",
        "profile.peak": "高峰",
        "replay": "如何回放",
        "replay.text": (
            "`scenario.yaml` 包含前 {routes} 个路由（占请求的 {share}），使用日志中出现的 id"
            "（`feeders/`）和测得的思考时间。访问日志不含请求体和查询字符串：请为需要的事务添加 "
            "`json:`/`params:`，如 ERP 需要登录请添加 `login:` 步骤。把 URL 换成 ERP 的地址"
            "（其他机器需 `--allow-target HOST`）。"
        ),
        "replay.bare": "{count} 个操作只有名称没有路径（来自 CSV）：回放前请编辑 scenario.yaml 中的 `path:`。",
        "replay.peak": "开放模型：最繁忙一分钟 × {growth}：{rate}/s，持续 {minutes} 分钟",
        "replay.day": "一天的分布 × {growth}，加速 {compress} 倍（{hours} 小时压缩为 {minutes} 分钟）",
        "replay.users": "封闭模型：{users} 个用户（峰值会话 × {growth}），按测得的思考时间",
        "limits": (
            "局限：日志记录的是到达的请求，而不是用户的意图；机器人和监控请求除非被排除都会计入；"
            "缓存或 CDN 应答的请求不会出现在日志中；几天的峰值不等于明年的峰值（因此有 --growth）。"
        ),
    },
}


def _cell(text: Any) -> str:
    """A Markdown table cell: pipes and line breaks from a log cannot break the table."""
    return str(text).replace("|", "\\|").replace("\n", " ").replace("`", "'")


def _rate(per_s: float) -> str:
    return f"{per_s:.3g}/s ({per_s * 3600:,.0f}/h)"


def render(doc: dict[str, Any], out: Path, lang: str = "en") -> str:
    """The report's Markdown in ``lang`` (``en`` or ``zh-CN``)."""
    t = TEXTS[lang]
    inputs, span, replay = doc["inputs"], doc["span"], doc["replay"]
    growth = replay["growth"]
    lines = [
        f"# {t['title']}",
        "",
        t["inputs"].format(
            files=len(inputs["files"]),
            formats=", ".join(sorted(set(inputs["formats"].values()))),
            first=span["first"],
            last=span["last"],
            days=span["days"],
            requests=f"{doc['requests']:,}",
            static=f"{inputs['excluded']['static']:,}",
            health=f"{inputs['excluded']['health']:,}",
            bad=f"{inputs['unparsable']:,}",
            lines=f"{inputs['lines']:,}",
        ),
    ]
    lines += [f"- {t['unparsable']}: `{_cell(e)}`" for e in inputs["unparsable_examples"]]
    lines += [f"- {t['warning']}: {_cell(w)}" for w in inputs["warnings"]]
    arrivals = doc["arrivals"]
    lines += [
        "",
        f"## {t['peak'].format(growth=f'{growth:g}')}",
        "",
        t["peak.columns"],
        "| --- | --- | ---: | ---: | ---: |",
    ]
    for key in ("peak_minute", "peak_hour", "busiest_60_minutes"):
        a = arrivals[key]
        lines.append(
            f"| {t[key]} | {a['start']} | {a['requests']:,} | {_rate(a['rate_per_s'])} "
            f"| {a['rate_per_s'] * growth:.3g}/s |"
        )
    lines += ["", t["mean_rate"].format(rate=_rate(arrivals["mean_rate_per_s"])), ""]
    lines += _sessions(doc, t)
    lines += _mix(doc, t)
    lines += _profile(doc, t)
    lines += _replay(doc, out, t)
    return "\n".join(lines) + "\n"


def _sessions(doc: dict[str, Any], t: dict[str, str]) -> list[str]:
    s, think = doc["sessions"], doc["think_time_s"]
    c = s["concurrency"]
    lines = [
        f"## {t['sessions']}",
        "",
        t["sessions.text"].format(
            count=f"{s['count']:,}",
            timeout=f"{s['timeout_s'] / 60:g}",
            peak=f"{c['peak']:,}",
            at=c["peak_minute"],
            p95=f"{c['p95']:,.0f}",
            p50=f"{c['p50']:,.0f}",
        ),
        "",
    ]
    if not think.get("count"):
        return [*lines, t["think.none"], ""]
    names = [name for name, _ in QUANTILES]
    lines += [
        t["think"].format(count=f"{think['count']:,}"),
        "",
        f"| {t['mean']} | " + " | ".join(names) + f" | {t['max']} |",
        "| ---: " * (len(names) + 2) + "|",
        f"| {think['mean']:.3g} | "
        + " | ".join(f"{think[n]:.3g}" for n in names)
        + f" | {think['max']:.3g} |",
        "",
    ]
    if c["peak"] and think["mean"]:
        little, peak = c["peak"] / think["mean"], doc["arrivals"]["peak_minute"]["rate_per_s"]
        text = t["little"].format(
            sessions=f"{c['peak']:,}",
            think=f"{think['mean']:.3g}",
            rate=f"{little:.3g}",
            peak=f"{peak:.3g}",
        )
        if not 2 / 3 <= little / peak <= 1.5:
            text += " " + t["little.off"]
        lines += [text, ""]
    return lines


def _mix(doc: dict[str, Any], t: dict[str, str]) -> list[str]:
    routes = f"{doc['distinct_routes']:,}"
    lines = [
        f"## {t['mix'].format(routes=routes)}",
        "",
        t["mix.columns"],
        "| --- | ---: | ---: | ---: | ---: |",
    ]
    for row in doc["routes"]:
        route = row["route"] if row["route"] != "other" else t["other"].format(routes=row["routes"])
        lines.append(
            f"| `{_cell(route)}` | {row['requests']:,} | {row['share'] * 100:.1f} % "
            f"| {row['errors_4xx']:,} | {row['errors_5xx']:,} |"
        )
    classes = ", ".join(f"{k} {v * 100:.1f} %" for k, v in doc["status"]["classes"].items())
    return [*lines, "", t["answers"].format(classes=classes), ""]


def _profile(doc: dict[str, Any], t: dict[str, str]) -> list[str]:
    profile = doc["day_profile"]
    peaks = profile["peak_hours"]
    lines = [
        f"## {t['profile'].format(offset=doc['span']['utc_offset'])}",
        "",
        t["profile.peaks"].format(hours=", ".join(f"{h:02d}:00" for h in peaks)),
        "",
        t["profile.columns"],
        "| --- | ---: | ---: | --- |",
    ]
    for hour, n in enumerate(profile["requests_per_hour"]):
        if n:
            mark = t["profile.peak"] if hour in peaks else ""
            lines.append(f"| {hour:02d}:00 | {n:,.0f} | {n / 3600:.3g}/s | {mark} |")
    return [*lines, ""]


def _replay(doc: dict[str, Any], out: Path, t: dict[str, str]) -> list[str]:
    r = doc["replay"]
    growth = f"{r['growth']:g}"
    scenario = out / "scenario.yaml"
    lines = [
        f"## {t['replay']}",
        "",
        t["replay.text"].format(
            routes=r["scenario_routes"], share=f"{r['scenario_share'] * 100:.1f} %"
        ),
        "",
    ]
    if r["bare_operations"]:
        lines += [t["replay.bare"].format(count=r["bare_operations"]), ""]
    hours = len(r["day_hours"])
    lines += [
        "```",
        "# "
        + t["replay.peak"].format(
            growth=growth,
            rate=f"{r['rate_peak_per_s']:.4g}",
            minutes=f"{r['peak_duration_s'] / 60:g}",
        ),
        f"erpcap run --target URL --scenario {scenario} --rate {out / 'rate-peak.yaml'}",
        "# "
        + t["replay.day"].format(
            growth=growth,
            compress=f"{r['compress']:g}",
            hours=hours,
            minutes=f"{hours * 60 / r['compress']:g}",
        ),
        f"erpcap run --target URL --scenario {scenario} --rate {out / 'rate-day.yaml'}",
        "# " + t["replay.users"].format(users=f"{r['users_peak']:,}", growth=growth),
        f"erpcap run --target URL --scenario {scenario} --shape {out / 'users-peak.yaml'}",
        "```",
        "",
        t["limits"],
    ]
    return lines


def write(out: Path, doc: dict[str, Any], lang: str = "en") -> Path:
    path = out / REPORT
    path.write_text(render(doc, out, lang), encoding="utf-8")
    return path
