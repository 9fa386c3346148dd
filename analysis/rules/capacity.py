"""Rules about capacity: where throughput levels off, and a load too light to find out."""

from __future__ import annotations

from collections.abc import Iterable

from erpcap.analysis.rules.base import Context
from erpcap.findings import Finding, FindingKind, Quantity, Subject, Texts, phrase
from erpcap.words import format_change

SATURATED = FindingKind(
    id="capacity.saturated",
    stage="capacity",
    texts={
        "en": Texts(
            "Throughput levels off at about {rps} successful ({users} users)",
            "From {users} to {users_to} users the offered load rose {user_gain}, so at the "
            "same response time throughput would have reached {expected}; it {change} to "
            "{rps_to} ({delivered} of that) while p95 went from {p95_from} to {p95_to}: extra "
            "users queue instead of getting work done.",
            "Find the saturated resource (CPU, database, connection pool, a lock) in the "
            "resource charts; that is where the upgrade must start.",
        ),
        "zh-CN": Texts(
            "吞吐量趋于平稳：成功请求约 {rps}（{users} 个用户）",
            "用户数从 {users} 增加到 {users_to}，施加的负载增加了 {user_gain}；若响应时间不变，"
            "吞吐量本应达到 {expected}，实际却{change}至 {rps_to}（仅为预期的 {delivered}），"
            "而 p95 从 {p95_from} 升至 {p95_to}：新增的用户在排队，而不是完成更多工作。",
            "在资源图表中找出已饱和的资源（CPU、数据库、连接池或某个锁）；升级应从那里着手。",
        ),
    },
)

LIGHT = FindingKind(
    id="load.light",
    stage="capacity",
    texts={
        "en": Texts(
            "A light load: at {users} users only {busy} of the users were waiting for the "
            "ERP at any moment",
            "Users thought {think} per request on average, so {users} users sent {rps}; "
            "throughput followed the think times, and the ERP's limit was not reached.",
            "To find the capacity, run more users (--users) or shorter think times "
            "(--think-scale 0.1); realistic think times need many users for little throughput.",
        ),
        "zh-CN": Texts(
            "负载较轻：在 {users} 个用户时，任一时刻只有 {busy} 的用户在等待 ERP",
            "用户平均每个请求思考 {think}，因此 {users} 个用户只发出 {rps}；吞吐量由思考时间"
            "决定，尚未达到 ERP 的极限。",
            "要测出容量，请增加用户数（--users）或缩短思考时间（--think-scale 0.1）；真实的思考"
            "时间需要很多用户才能产生较小的吞吐量。",
        ),
    },
)


def change_phrase(ratio: float) -> dict[str, str]:
    """A relative change in both languages.

    >>> change_phrase(-0.17)["zh-CN"], change_phrase(0.001)["en"]
    ('下降 17%', 'did not change')
    """
    if abs(ratio) < 0.005:
        return phrase(en=format_change(ratio), zh_CN="没有变化")
    word = "上升" if ratio > 0 else "下降"
    return phrase(en=format_change(ratio), zh_CN=f"{word} {abs(ratio):.0%}")


def saturation(ctx: Context) -> Iterable[Finding]:
    """Offered load rose, throughput did not, and latency did: the knee of the curve.

    In a closed system each user cycles through a request and a think time, so with the
    response time of step A the users of step B would deliver ``X_A · N_B / N_A`` (Little's
    law: ``X = N / (R + Z)``). The rule fires only when both steps are measured, users grew
    by at least 30 %, the successful throughput of B stayed below 80 % of that expectation
    (and grew less than a quarter as fast as the users), and p95 grew by half. A run whose
    throughput simply follows its users (think-time bound) never fires it.
    """
    steps = [s for s in ctx.steps if s.get("measured") and s.get("ok_rps")]
    for prev, cur in zip(steps, steps[1:], strict=False):
        if prev["users"] <= 0 or cur["users"] <= prev["users"]:
            continue
        user_gain = cur["users"] / prev["users"] - 1
        rps_gain = cur["ok_rps"] / prev["ok_rps"] - 1
        expected = prev["ok_rps"] * cur["users"] / prev["users"]
        delivered = cur["ok_rps"] / expected
        p95_prev, p95_cur = prev.get("p95_ms") or 0.0, cur.get("p95_ms") or 0.0
        if not (
            user_gain >= 0.3
            and delivered < 0.8
            and rps_gain < 0.25 * user_gain
            and p95_cur > 1.5 * p95_prev
        ):
            continue
        yield SATURATED.make(
            "warning",
            subject=Subject("step", str(cur["step"])),
            values={
                "rps": Quantity(prev["ok_rps"], "rps"),
                "users": Quantity(prev["users"], "count"),
                "users_to": Quantity(cur["users"], "count"),
                "user_gain": Quantity(user_gain, "ratio", 0),
                "expected": Quantity(expected, "rps"),
                "rps_to": Quantity(cur["ok_rps"], "rps"),
                "delivered": Quantity(delivered, "ratio", 0),
                "p95_from": Quantity(p95_prev, "ms"),
                "p95_to": Quantity(p95_cur, "ms"),
            },
            phrases={"change": change_phrase(rps_gain)},
            evidence={
                "from_step": prev["step"],
                "to_step": cur["step"],
                "users": [prev["users"], cur["users"]],
                "rps": [prev["ok_rps"], cur["ok_rps"]],
                "expected_rps": round(expected, 3),
                "delivered_share": round(delivered, 4),
                "busy_share": [prev.get("busy_share"), cur.get("busy_share")],
                "p95_ms": [p95_prev, p95_cur],
            },
        )
        return


def light_load(ctx: Context) -> Iterable[Finding]:
    """The top step kept users thinking nearly all the time: the run measured think time.

    With ``busy_share`` (X · R / N, Little's law) under 5 % at the highest measured step,
    throughput is set by the think times, not by the ERP; no capacity was found.
    """
    measured = [s for s in ctx.steps if s.get("measured") and s.get("busy_share") is not None]
    if not measured or ctx.meta.get("rate"):  # an open-model pool is idle by design
        return
    top = max(measured, key=lambda s: s["users"])
    if top["busy_share"] >= 0.05 or top.get("within_slo") is False:
        return
    yield LIGHT.make(
        "info",
        subject=Subject("step", str(top["step"])),
        values={
            "users": Quantity(top["users"], "count"),
            "busy": Quantity(top["busy_share"], "ratio", 1),
            "think": Quantity(top["think_s"], "s"),
            "rps": Quantity(top["rps"], "rps"),
        },
        evidence={
            "step": top["step"],
            "users": top["users"],
            "rps": top["rps"],
            "busy_share": top["busy_share"],
            "think_s": top["think_s"],
        },
    )
