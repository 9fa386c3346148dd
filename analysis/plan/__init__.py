"""The upgrade plan: findings mapped to recommendations in phases, and the alert rules.

:func:`make_plan` reads the analysed document (findings, capacity, sql) and returns the
``plan`` block of findings.json; :func:`alert_rules` the Prometheus alerting-rules file
derived from the measured knee.

The modules: :mod:`.catalogue` (the categories, their effort, risk and words),
:mod:`.mapping` and :mod:`.reads` (evidence → candidates), :mod:`.gain` (the expected gain
by the bottleneck law), :mod:`.phases`, :mod:`.alerts`.
"""

from __future__ import annotations

from typing import Any

from erpcap.analysis.plan.alerts import limit_text, rules, to_yaml
from erpcap.analysis.plan.catalogue import EFFORT_WEIGHT, KINDS
from erpcap.analysis.plan.gain import Relief, estimate
from erpcap.analysis.plan.mapping import candidates
from erpcap.analysis.plan.model import Candidate
from erpcap.analysis.plan.phases import phases
from erpcap.findings import Quantity

ALERTS_FILE = "alerts.yml"


def make_plan(doc: dict[str, Any]) -> dict[str, Any] | None:
    """``doc["plan"]``, or None when the run gives nothing to recommend."""
    found = candidates(doc)
    alerts = rules(doc)
    if alerts:
        basis = limit_text(doc)
        found.append(
            Candidate(
                "monitoring",
                {"rules": Quantity(len(alerts), "count"), "basis": Quantity(basis)},
                {"finding_ids": [], "file": ALERTS_FILE, "rules": [a["alert"] for a in alerts]},
                {"kind": "run", "name": str(doc.get("run_id") or "")},
            )
        )
    if not found:
        return None
    demands = (doc.get("capacity") or {}).get("demands") or {}
    recommendations = [_recommendation(c, demands) for c in found]
    recommendations.sort(key=lambda r: -r.pop("_score"))
    for rank, rec in enumerate(recommendations, start=1):
        rec["rank"] = rank
    return {
        "recommendations": recommendations,
        "phases": phases(recommendations),
        "alerts": {
            "file": ALERTS_FILE if alerts else None,
            "rules": [
                {k: a[k] for k in ("alert", "expr", "for", "threshold", "basis")}
                for a in alerts or []
            ],
        },
    }


def alert_rules(doc: dict[str, Any]) -> str | None:
    """The Prometheus alerting rules (YAML text) for ``doc``, or None without a measured
    limit (a knee, or a step within the targets)."""
    found = rules(doc)
    return to_yaml(doc, found) if found else None


def _recommendation(c: Candidate, demands: dict[str, Any]) -> dict[str, Any]:
    kind = KINDS[c.id]
    rows = demands.get("resources") or []
    gain = estimate(rows, c.relief, db_time_s=demands.get("db_time_s"))
    if c.relief == Relief():  # monitoring, measuring again: no change to the demands
        gain = {k: None for k in gain} | {"basis": {}}
    texts = kind.render(c.values)
    for lang, said in _gain_words(gain, c.relief).items():
        if lang in texts:
            texts[lang]["detail"] += " " + said
    return {
        "rank": 0,
        "id": c.id,
        "phase": kind.phase,
        "texts": texts,
        "evidence": c.evidence,
        "expected_gain": gain,
        "effort": kind.effort,
        "risk": kind.risk,
        "subject": c.subject,
        "_score": _score(c, gain, kind.effort),
    }


def _score(c: Candidate, gain: dict[str, Any], effort: str) -> float:
    """Expected gain per effort: the capacity factor's gain, else the database-time share;
    monitoring and re-measuring come last."""
    if c.id == "monitoring":
        return -2.0
    if c.id == "measure_again":
        return -1.0
    factor = gain.get("capacity_factor")
    value = (factor - 1.0) if factor else float(gain.get("db_time_share") or 0.0)
    return value / EFFORT_WEIGHT[effort]


def _gain_words(gain: dict[str, Any], relief: Relief) -> dict[str, str]:
    """The expected gain in a sentence per language."""
    if relief == Relief():
        return {}
    share = gain.get("db_time_share")
    factor = gain.get("capacity_factor")
    after = gain.get("limit_after")
    basis = relief.basis or {}
    en, zh = [], []
    if share:
        en.append(f"removes about {Quantity(share, 'ratio').say('en')} of database time")
        zh.append(f"约减少 {Quantity(share, 'ratio').say('zh-CN')} 的数据库时间")
    if factor:
        en.append(f"capacity × {factor:g} by the bottleneck law (then limited by {after})")
        zh.append(f"按瓶颈定律容量约为原来的 {factor:g} 倍（之后受限于 {after}）")
    if not en:
        return {
            "en": "Expected gain: not estimated (no service demands were measured).",
            "zh-CN": "预期收益：无法估算（未测得服务需求）。",
        }
    return {
        "en": f"Expected gain: {', '.join(en)}; assuming {basis.get('en', '…')}.",
        "zh-CN": f"预期收益：{'，'.join(zh)}（依据：{basis.get('zh-CN', '…')}）。",
    }
