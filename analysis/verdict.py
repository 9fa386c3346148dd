"""The verdict: one status and one sentence a manager can read."""

from __future__ import annotations

from typing import Any

from erpcap.analysis.rules import Slo
from erpcap.findings import LANGUAGES, Finding, Quantity, Verdict
from erpcap.words import format_percent, plural


def verdict(
    overall: dict[str, Any],
    capacity: dict[str, Any],
    findings: list[Finding],
    quality: dict[str, Any],
    slo: Slo,
) -> dict[str, Any]:
    """``{"status": pass|warn|fail, "headline": str, "reasons": [str], "texts": {lang:
    {"headline", "reasons"}}}`` — the headline and reasons in English at the top (as in
    1.x) and in every language under ``texts``.

    ``fail`` when any finding is critical or nothing was measured, ``warn`` when any is a
    warning, else ``pass``.
    """
    return judge(overall, capacity, findings, quality, slo).to_dict()


def judge(
    overall: dict[str, Any],
    capacity: dict[str, Any],
    findings: list[Finding],
    quality: dict[str, Any],
    slo: Slo,
) -> Verdict:
    """The :class:`~erpcap.findings.Verdict` that :func:`verdict` writes as a dict."""
    severities = {f.severity for f in findings}
    if overall["count"] == 0:
        missing = [str(m) for m in quality["missing"]]
        said = quality.get("missing_texts") or {}
        return Verdict(
            "fail", dict(NOTHING), {lang: list(said.get(lang, missing)) for lang in LANGUAGES}
        )
    status = "fail" if "critical" in severities else "warn" if "warning" in severities else "pass"
    judged = [f for f in findings if f.severity in ("warning", "critical")]
    return Verdict(
        status,
        {lang: _headline(lang, overall, capacity, slo) for lang in LANGUAGES},
        {
            lang: [f.texts[lang].title if lang in f.texts else f.title for f in judged]
            for lang in LANGUAGES
        },
    )


NOTHING = {
    "en": "No requests were recorded, so nothing can be judged.",
    "zh-CN": "未记录到任何请求，因此无法作出判断。",
}

#: The parts of the headline per language (``sep`` joins them, ``end`` closes the sentence).
_PARTS: dict[str, dict[str, str]] = {
    "en": {
        "within": "Handled {users} ({rps} successful req/s) within the targets (p95 ≤ {target} "
        "for online work, errors ≤ {limit})",
        "none_within": "Even the lightest load step missed the targets",
        "none_measured": "No load step had enough requests to judge",
        "within_rate": "Handled an offered {rate}/s ({rps} successful req/s) within the targets "
        "(p95 ≤ {target} for online work, errors ≤ {limit})",
        "broke": "the targets broke at {users} users",
        "broke_rate": "the targets broke at {rate}/s",
        "peak_rate": "peak throughput {rps} successful req/s at {rate}/s offered",
        "peak": "peak throughput {rps} successful req/s at {users}",
        "peak_all": "peak throughput {rps} req/s at {users}",
        "errors": "{rate} errors overall",
        "sep": "; ",
        "end": ".",
    },
    "zh-CN": {
        "within": "在目标范围内（在线业务 p95 ≤ {target}，错误率 ≤ {limit}）支撑了 {users} 个"
        "并发用户（成功请求 {rps} 请求/秒）",
        "none_within": "即使最轻的负载阶梯也未达到目标",
        "none_measured": "没有任何负载阶梯的请求数足以作出判断",
        "within_rate": "在目标范围内（在线业务 p95 ≤ {target}，错误率 ≤ {limit}）承受了 {rate}/秒"
        "的到达率（成功请求 {rps} 请求/秒）",
        "broke": "在 {users} 个用户时突破目标",
        "broke_rate": "在到达率 {rate}/秒 时突破目标",
        "peak_rate": "峰值吞吐量为成功请求 {rps} 请求/秒（到达率 {rate}/秒）",
        "peak": "峰值吞吐量为成功请求 {rps} 请求/秒（{users} 个用户）",
        "peak_all": "峰值吞吐量 {rps} 请求/秒（{users} 个用户）",
        "errors": "总体错误率 {rate}",
        "sep": "；",
        "end": "。",
    },
}


def _headline(lang: str, overall: dict[str, Any], capacity: dict[str, Any], slo: Slo) -> str:
    if "rate_within_slo" in capacity:
        return _rate_headline(lang, overall, capacity, slo)
    words = _PARTS[lang]
    en = lang == "en"
    parts = []
    within = capacity.get("max_users_within_slo")
    over = capacity.get("first_step_over_slo")
    if within:
        parts.append(
            words["within"].format(
                users=plural(within, "concurrent user") if en else within,
                rps=f"{capacity['rps_within_slo']:.1f}",
                target=Quantity(slo.target_ms("order"), "ms").say(lang),
                limit=format_percent(slo.error_rate),
            )
        )
    elif capacity.get("peak"):
        parts.append(words["none_within"])
    elif capacity:
        parts.append(words["none_measured"])
    if over and within:
        parts.append(words["broke"].format(users=over["users"]))
    peak = capacity.get("peak")
    if peak and (not within or peak["users"] != within):
        users = plural(peak["users"], "user") if en else peak["users"]
        if "ok_rps" in peak:
            parts.append(words["peak"].format(rps=f"{peak['ok_rps']:.1f}", users=users))
        else:  # a capacity block of an analysis before 1.1 counted every request
            parts.append(words["peak_all"].format(rps=f"{peak['rps']:.1f}", users=users))
    parts.append(words["errors"].format(rate=f"{overall['error_rate']:.2%}"))
    headline = words["sep"].join(parts) + words["end"]
    return headline[0].upper() + headline[1:]


def _rate_headline(lang: str, overall: dict[str, Any], capacity: dict[str, Any], slo: Slo) -> str:
    """The headline of an open-model run: its load is the offered arrival rate (its users
    are a constant pool, so a user count would say nothing)."""
    words = _PARTS[lang]
    parts = []
    within = capacity.get("rate_within_slo")
    over = capacity.get("first_step_over_slo") or {}
    peak = capacity.get("peak") or {}
    if within:
        parts.append(
            words["within_rate"].format(
                rate=f"{within:g}",
                rps=f"{capacity['rps_within_slo']:.1f}",
                target=Quantity(slo.target_ms("order"), "ms").say(lang),
                limit=format_percent(slo.error_rate),
            )
        )
        if over.get("rate") is not None:
            parts.append(words["broke_rate"].format(rate=f"{over['rate']:g}"))
    elif peak:
        parts.append(words["none_within"])
    if peak.get("rate") is not None and peak.get("rate") != within:
        parts.append(
            words["peak_rate"].format(rps=f"{peak['ok_rps']:.1f}", rate=f"{peak['rate']:g}")
        )
    parts.append(words["errors"].format(rate=f"{overall['error_rate']:.2%}"))
    headline = words["sep"].join(parts) + words["end"]
    return headline[0].upper() + headline[1:]
