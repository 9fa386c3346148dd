"""Rules about the run itself: it did not complete, it stopped early at its ``--stop-when``
ceiling, or some transactions were too rare."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

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

STOPPED = FindingKind(
    id="run.stopped_early",
    stage="run",
    texts={
        "en": Texts(
            "The load stopped early after step {step} ({users}): it passed the ceiling {expr}",
            "Measured in that step after its warm-up: {observed}. The later steps were not run.",
            "The capacity is the last step within the ceiling; to measure beyond it, raise the "
            "ceiling or run without {option}.",
        ),
        "zh-CN": Texts(
            "负载在第 {step} 阶（{users}）后提前停止：超过了上限 {expr}",
            "该阶预热之后的测量值：{observed}。之后的各阶未运行。",
            "容量以上限以内的最后一阶为准；如需测量更高的负载，请提高上限或不使用 {option} 运行。",
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


def stopped_early(meta: Mapping[str, Any]) -> Finding | None:
    """The ``run.stopped_early`` finding of a run whose shape ended at its ``--stop-when``
    ceiling (run.json ``stopped_early``), or None."""
    early = meta.get("stopped_early")
    if not isinstance(early, Mapping):
        return None
    observed_doc = early.get("observed")
    seen: Mapping[str, Any] = observed_doc if isinstance(observed_doc, Mapping) else {}
    users = int(early.get("users") or 0)
    parts: dict[str, list[str]] = {"en": [], "zh-CN": []}
    for key, value in seen.items():
        if not isinstance(value, int | float) or key == "requests":
            continue
        if key == "error_rate":
            for lang, word in (("en", "errors "), ("zh-CN", "错误率 ")):
                parts[lang].append(word + Quantity(value, "ratio", 1).say(lang))
        elif key.endswith("_ms"):
            for lang in parts:
                parts[lang].append(f"{key[:-3]} {Quantity(value, 'ms').say(lang)}")
    count = int(seen.get("requests") or 0)
    observed = phrase(
        en=", ".join(parts["en"]) + f" ({count} requests)",
        zh_CN="，".join(parts["zh-CN"]) + f"（{count} 个请求）",
    )
    return STOPPED.make(
        "info",
        values={
            "step": Quantity(early.get("step"), "count"),
            "expr": Quantity(early.get("expr")),
            "option": Quantity("--stop-when"),
        },
        phrases={
            "users": phrase(
                en=f"{users} user" + ("" if users == 1 else "s"), zh_CN=f"{users} 个用户"
            ),  # fmt: skip
            "observed": observed,
        },
        evidence=dict(early),
    )


def incomplete_run(ctx: Context) -> Iterable[Finding]:
    """The run did not complete; or it completed, but stopped early at its ceiling."""
    early = stopped_early(ctx.meta)
    if early is not None:
        yield early
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
