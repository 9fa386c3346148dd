"""Rules about the run itself: it did not complete, or some transactions were too rare."""

from __future__ import annotations

from collections.abc import Iterable

from erpcap.analysis.rules.base import MIN_SAMPLES, Context
from erpcap.findings import Finding, FindingKind, Quantity, Texts, phrase

INCOMPLETE = FindingKind(
    id="run.incomplete",
    stage="run",
    texts={
        "en": Texts(
            "The run did not complete (status: {status})",
            "{reason}",
            "Re-run to completion before drawing capacity conclusions.",
        ),
        "zh-CN": Texts(
            "本次运行未完成（状态：{status}）",
            "{reason}",
            "请完整地重新运行后再得出容量结论。",
        ),
    },
)

FEW = FindingKind(
    id="data.few_samples",
    stage="run",
    texts={
        "en": Texts(
            "{n} had fewer than {min_samples} requests each",
            "Their percentiles rest on too few samples to judge: {names}",
            "Run longer or with more users for these transactions.",
        ),
        "zh-CN": Texts(
            "{n}的请求少于 {min_samples} 次",
            "它们的百分位数所依据的样本太少，无法据此判断：{names}",
            "延长运行时间或增加用户数，以覆盖这些事务。",
        ),
    },
)

#: Run statuses in words.
STATUS_WORDS = {
    "interrupted": phrase(en="interrupted", zh_CN="已中断"),
    "failed": phrase(en="failed", zh_CN="失败"),
    "running": phrase(en="still running / not finished", zh_CN="仍在运行 / 未结束"),
}


def incomplete_run(ctx: Context) -> Iterable[Finding]:
    status = ctx.meta.get("status")
    if status in (None, "completed"):
        return
    reason = ctx.meta.get("exit_reason")
    yield INCOMPLETE.make(
        "warning",
        values={},
        phrases={
            "status": STATUS_WORDS.get(str(status), phrase(en=str(status))),
            "reason": phrase(en=str(reason), zh_CN=f"运行提前结束：{reason}")
            if reason
            else phrase(
                en="The run ended early; figures cover the part that was recorded.",
                zh_CN="运行提前结束；数据仅涵盖已记录的部分。",
            ),
        },
        evidence={"status": status},
    )


def thin_samples(ctx: Context) -> Iterable[Finding]:
    thin = [t["name"] for t in ctx.transactions if 0 < t["count"] < MIN_SAMPLES]
    if not thin:
        return
    count = len(thin)
    yield FEW.make(
        "info",
        values={"min_samples": Quantity(MIN_SAMPLES, "count"), "names": Quantity(thin, "list")},
        phrases={
            "n": phrase(
                en=f"{count} transaction" if count == 1 else f"{count} transactions",
                zh_CN=f"{count} 个事务",
            )
        },
        evidence={"transactions": thin, "min_samples": MIN_SAMPLES},
    )
