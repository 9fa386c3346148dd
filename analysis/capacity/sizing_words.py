"""The sizing block's words: its assumptions and its headline, in English and Chinese.

The assumptions are stated in the terms of ERP sizing practice (SAPS-style order lines per
hour, Odoo-style workers per core and users per worker) so that a consultant can defend each
figure; analysis/capacity/sizing.py computes the figures.
"""

from __future__ import annotations

from typing import Any

from erpcap.findings import phrase


def _f(value: Any, digits: int = 1) -> str:
    """A number for a sentence: ``n/a`` when unknown, whole numbers without decimals."""
    if value is None:
        return "n/a"
    number = float(value)
    return (
        f"{number:,.0f}" if number.is_integer() or abs(number) >= 100 else f"{number:,.{digits}f}"
    )


def assumptions(
    doc: dict[str, Any],
    cycle: dict[str, Any],
    today: dict[str, Any],
    wanted: dict[str, Any] | None,
    needed: dict[str, Any] | None,
    target: Any,
) -> list[dict[str, str]]:
    """What the figures stand on, one phrase each."""
    u = f"{target.utilisation_ceiling * 100:.0f}%"
    out = []
    z_s = (wanted or {}).get("z_s", cycle.get("z_s"))
    where = {
        "given": ("given (--think-time)", "由 --think-time 给定"),
        "measured": (
            f"measured at step {cycle.get('step')} (Z = N / X − R)",
            f"在第 {cycle.get('step')} 阶测得（Z = N / X − R）",
        ),
        "configured": ("the scenario's configured think time", "场景配置的思考时间"),
    }.get(str((wanted or cycle).get("z_source")), ("unknown, taken as 0", "未知，按 0 计"))
    out.append(
        phrase(
            en=f"Throughput from users by the response-time law X = N / (R + Z): R = "
            f"{_f(cycle.get('r_s'), 3)} s, the mean response time measured at step "
            f"{cycle.get('step')} ({cycle.get('users')} users); Z = {_f(z_s, 2)} s, {where[0]}.",
            zh_CN=f"用户数按响应时间定律 X = N / (R + Z) 换算为吞吐量：R = {_f(cycle.get('r_s'), 3)} 秒，"
            f"为第 {cycle.get('step')} 阶（{cycle.get('users')} 个用户）测得的平均响应时间；"
            f"Z = {_f(z_s, 2)} 秒，{where[1]}。",
        )
    )
    out.append(
        phrase(
            en=f"Every resource is sized to stay at or below {u} utilisation: above it queues "
            "and response times grow fast (R = S / (1 − U)), and peaks need room.",
            zh_CN=f"每种资源按利用率不超过 {u} 来配置：超过后排队与响应时间迅速增长"
            "（R = S / (1 − U)），且高峰需要余量。",
        )
    )
    demands = (doc.get("capacity") or {}).get("demands") or {}
    if demands.get("resources"):
        out.append(
            phrase(
                en=f"Service demands (D = U / X, resource-seconds per successful request) "
                f"were measured at step {demands.get('step')} and assumed constant: the "
                "target runs the same mix of transactions, on the same data volume and "
                "software, and needs scale linearly with throughput (utilisation law).",
                zh_CN=f"服务需求（D = U / X，每个成功请求消耗的资源秒数）在第 {demands.get('step')} "
                "阶测得并假定不变：目标负载的交易组合、数据量和软件与本次相同，"
                "所需资源随吞吐量线性增长（利用率定律）。",
            )
        )
    if needed and needed.get("app"):
        out.append(
            phrase(
                en="Application workers by Odoo's deployment rule: workers ≈ 2 × CPU cores + 1, "
                "and one worker serves about 6 concurrent users; nodes are of today's size "
                f"({_f(needed['app'].get('cores_per_node'))} cores available to the "
                "application per node).",
                zh_CN="应用工作进程按 Odoo 部署规则：工作进程数 ≈ 2 × CPU 核数 + 1，"
                "一个工作进程约服务 6 个并发用户；节点规格与现在相同"
                f"（每个节点可供应用使用 {_f(needed['app'].get('cores_per_node'))} 个核）。",
            )
        )
    if wanted and wanted.get("basis") == "rate":
        kind = wanted.get("unit_is")
        unit = wanted.get("rate_unit") or "requests"
        if kind in ("transaction", "group"):
            share = f"{(wanted.get('unit_share') or 0) * 100:.1f}%"
            en = f"One {unit} is one successful request of the {kind} of that name, {share} of the run's successful requests; the rest of the mix comes with it."
            zh = f"一个“{unit}”即该名称的{'交易' if kind == 'transaction' else '分组'}的一次成功请求，占本次成功请求的 {share}；其余交易按相同比例随之而来。"
        else:
            en = f"One {unit} is taken as one successful request of the measured mix; if one needs k requests, multiply the rate by k."
            zh = f"一个“{unit}”按实测交易组合中的一次成功请求计；若需要 k 个请求，请将速率乘以 k。"
        out.append(phrase(en=en, zh_CN=zh))
    if wanted and wanted.get("saps_equivalent") is not None:
        saps = _f(wanted["saps_equivalent"])
        out.append(
            phrase(
                en=f"SAPS-style: 100 SAPS = 2,000 order line items per hour (SAP SD benchmark), "
                f"so {_f(wanted.get('rate_per_hour'))} order lines/h is about {saps} "
                "SAPS-equivalent; an analogy for comparing hardware offers, not a certified "
                "SAPS figure.",
                zh_CN=f"SAPS 口径：100 SAPS = 每小时 2,000 个订单行（SAP SD 基准），"
                f"因此每小时 {_f(wanted.get('rate_per_hour'))} 个订单行约相当于 {saps} SAPS；"
                "仅用于比较硬件方案的类比，并非认证的 SAPS 值。",
            )
        )
    usl = (doc.get("capacity") or {}).get("usl") or {}
    if usl.get("fitted"):
        out.append(
            phrase(
                en=f"The USL fit (σ = {_f(usl.get('sigma'), 4)}, κ = {_f(usl.get('kappa'), 6)}, "
                f"{usl.get('points')} points) predicts beyond the measured range; its band "
                "widens there, and the limit within the targets compares the predicted mean "
                "response time with the p95 target, which is optimistic.",
                zh_CN=f"USL 拟合（σ = {_f(usl.get('sigma'), 4)}，κ = {_f(usl.get('kappa'), 6)}，"
                f"{usl.get('points')} 个点）对实测范围之外的预测区间会变宽；"
                "目标内上限以预测的平均响应时间对照 p95 目标，结果偏乐观。",
            )
        )
    within = today.get("within_slo") or {}
    if within.get("lower_bound"):
        out.append(
            phrase(
                en=f"The largest step measured ({within.get('users')} users) was within the "
                "targets: today's figure is a lower bound; a longer ladder would find the limit.",
                zh_CN=f"实测的最大一阶（{within.get('users')} 个用户）仍在目标内："
                "今天的数字是下限；更长的阶梯测试才能找到上限。",
            )
        )
    return out


def headline(
    today: dict[str, Any],
    wanted: dict[str, Any] | None,
    needed: dict[str, Any] | None,
    ceiling: float,
) -> dict[str, str]:
    """One sentence per language: today's headroom and, with a target, what it needs."""
    u = f"{ceiling * 100:.0f}%"
    why_en = {"slo": "within the response targets", "utilisation": f"at {u} utilisation"}
    why_zh = {"slo": "在响应目标内", "utilisation": f"在利用率 {u} 时"}
    limit = str(today.get("limited_by"))
    en = (
        f"Today the system supports about {_f(today.get('users'))} users "
        f"({_f(today.get('x'))} req/s) {why_en.get(limit, '')}."
    )
    zh = (
        f"当前系统{why_zh.get(limit, '')}约可支持 {_f(today.get('users'))} 个用户"
        f"（{_f(today.get('x'))} 请求/秒）。"
    )
    if wanted:
        what_en = (
            f"{_f(wanted.get('users'))} users"
            if wanted.get("basis") == "users"
            else f"{_f(wanted.get('rate_per_hour'))} {wanted.get('rate_unit') or 'requests'}/h"
        )
        what_zh = (
            f"{_f(wanted.get('users'))} 个用户"
            if wanted.get("basis") == "users"
            else f"每小时 {_f(wanted.get('rate_per_hour'))} 个{wanted.get('rate_unit') or '请求'}"
        )
        en += (
            f" The target of {what_en} needs {_f(wanted.get('x'))} req/s, "
            f"{_f(wanted.get('factor'), 2)} times that."
        )
        zh += (
            f"目标 {what_zh} 需要 {_f(wanted.get('x'))} 请求/秒，"
            f"是当前的 {_f(wanted.get('factor'), 2)} 倍。"
        )
    app = (needed or {}).get("app")
    if app:
        en += (
            f" Application: {_f(app['cores'])} cores ({app['workers']} workers, "
            f"{_f(app.get('nodes'))} node(s) of today's size)."
        )
        zh += (
            f"应用：{_f(app['cores'])} 个核（{app['workers']} 个工作进程，"
            f"{_f(app.get('nodes'))} 个与现在同规格的节点）。"
        )
    db = (needed or {}).get("database")
    if db:
        en += f" Database: {_f(db['cores'])} cores (today {_f(db.get('cores_today'))})."
        zh += f"数据库：{_f(db['cores'])} 个核（现在 {_f(db.get('cores_today'))} 个）。"
    return {"en": en, "zh-CN": zh}
