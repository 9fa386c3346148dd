"""The management summary: the same verdict, sentence, key numbers and facts in every format.

:func:`build_summary` formats the numbers once, in the report's language, so that the HTML
page, summary.md and summary.json cannot disagree. The verdict's headline and reasons are
said in that language too (:mod:`erpcap.reports.localize`).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from erpcap import __version__
from erpcap.reports import model
from erpcap.reports.i18n import Translator
from erpcap.reports.localize import localize_headline, localize_missing, localize_reasons


@dataclass(frozen=True)
class KeyNumber:
    """One figure of the summary: a label, the formatted value and a short note."""

    key: str
    label: str
    value: str
    note: str = ""


@dataclass(frozen=True)
class StepRow:
    """One load step, formatted."""

    step: str
    users: str
    rps: str
    p95: str
    error_rate: str
    within_slo: bool | None
    measured: bool = True  # False: too few requests to judge the step
    rate: str = ""  # the open model: the step's scheduled arrivals per second
    dropped: str = ""  # ... and its dropped arrivals


@dataclass(frozen=True)
class Summary:
    """The summary of one run in one language (every value already formatted)."""

    lang: str
    run_id: str
    verdict: str  # pass / warn / fail / unknown
    verdict_label: str
    headline: str  # in ``headline_lang``: the analysis's English when it cannot be said again
    numbers_sentence: str
    reasons: list[str]
    key_numbers: list[KeyNumber]
    facts: list[tuple[str, str]]
    steps: list[StepRow]
    incomplete: bool
    status: str
    status_label: str
    missing: list[str] = field(default_factory=list)
    generated_at: str = ""
    version: str = __version__
    headline_lang: str = "en"
    #: Whose percentiles these are when erpcap did not compute them ("" when it did).
    basis_note: str = ""
    #: Why the load stopped before its last step (``--stop-when``), "" when it did not.
    stopped_early: str = ""
    #: ``erpcap run --master``: the workers lost mid-run (docs/workers.md).
    lost_workers: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict."""
        return asdict(self)


def _numbers_sentence(data: model.ReportData, t: Translator) -> str:
    overall = model.overall(data)
    if not overall.get("count"):
        return ""
    top = model.peak(data)
    values = {
        "rps": t.rps(top.get("ok_rps", top.get("rps"))),
        "p95": t.ms(overall.get("p95_ms")),
        "errors": t.percent(overall.get("error_rate")),
    }
    service = model.service_p95(overall)
    if service is not None and not _same_ms(service, overall.get("p95_ms")):
        values["p95"] += t("headline.service", service=t.ms(service))
    key = "headline.numbers" if "ok_rps" in top else "headline.numbers_all"
    if top.get("users"):
        return t(key, users=t.count(top["users"]), **values)
    return t(f"{key}_no_users", **values)


def _same_ms(a: float | None, b: float | None) -> bool:
    """Whether two latencies print the same (so saying both would only repeat it)."""
    if a is None or b is None:
        return a is b
    return abs(a - b) <= max(0.5, 0.01 * max(abs(a), abs(b)))


def _key_numbers(data: model.ReportData, t: Translator) -> list[KeyNumber]:
    overall = model.overall(data)
    top = model.peak(data)
    peak_note = ""
    if top.get("users") is not None and top.get("step") is not None:
        peak_note = t("peak_at", users=t.count(top["users"]), step=top["step"])
    if "ok_rps" in top and top.get("rps") not in (None, top["ok_rps"]):
        peak_note += (t("sep") if peak_note else "") + t("peak_total", rps=t.rps(top["rps"]))
    label = t("peak_ok_rps") if "ok_rps" in top else t("peak_rps")
    numbers = [KeyNumber("peak_rps", label, t.rps(top.get("ok_rps", top.get("rps"))), peak_note)]
    cap = model.capacity(data)
    if cap.get("max_users_within_slo") is not None:
        over = cap.get("first_step_over_slo")
        note = t("capacity.note", rps=t.rps(cap.get("rps_within_slo")))
        if isinstance(over, dict) and over.get("users") is not None:
            note += t("sep") + t("capacity.broke", users=t.count(over["users"]))
        numbers.append(
            KeyNumber("capacity", t("capacity"), t.count(cap["max_users_within_slo"]), note)
        )
    service = model.service_p95(overall)
    queue = model.queue_p95(overall)
    p95_note = t("p95.service", service=t.ms(service)) if service is not None else ""
    arrivals = model.arrivals(data)
    if model.worth_showing_queue(queue, service) or (arrivals is not None and queue is not None):
        p95_note += t("sep") + t("p95.queue", queue=t.ms(queue))
    if arrivals is not None:  # the open model: latency counts from the intended start
        p95_note += t("sep") + t("p95.from_intended")
        numbers.append(_arrivals_number(arrivals, t))
    return numbers + [
        KeyNumber("p95", t("p95"), t.ms(overall.get("p95_ms")), p95_note),
        KeyNumber("p99", t("p99"), t.ms(overall.get("p99_ms"))),
        KeyNumber("requests", t("requests"), t.count(overall.get("count"))),
        KeyNumber(
            "errors",
            t("error_rate"),
            t.percent(overall.get("error_rate")),
            t.plural("errors.note", overall.get("errors"))
            if overall.get("errors") is not None
            else "",
        ),
    ]


def _arrivals_number(arrivals: dict[str, Any], t: Translator) -> KeyNumber:
    """Dropped arrivals of an open-model run, with the intended and sent ones."""
    dropped = arrivals.get("dropped")
    if dropped is None:
        return KeyNumber("arrivals_dropped", t("arrivals.dropped"), t.count(None),
                         t("arrivals.not_counted"))  # fmt: skip
    note = t(
        "arrivals.note" if dropped else "arrivals.note_none",
        intended=t.count(arrivals.get("intended")),
        sent=t.count(arrivals.get("sent")),
        share=t.percent(arrivals.get("dropped_share")),
    )
    return KeyNumber("arrivals_dropped", t("arrivals.dropped"), t.count(dropped), note)


def _rate_text(arrivals: dict[str, Any], t: Translator) -> str:
    """``20/s → 40/s (ramp), pool 50 users`` from the arrivals block's steps."""
    parts = []
    for step in arrivals.get("steps") or []:
        rate, start = step.get("rate"), step.get("start_rate")
        text = f"{rate:g}/s" if isinstance(rate, int | float) else "?"
        if isinstance(start, int | float) and start != rate:
            text = f"{start:g}/s ↗ {text}"
        parts.append(text)
    return t("fact.rate_value", rates=" → ".join(parts), pool=t.count(arrivals.get("pool")))


def _shape_text(shape: dict[str, Any], t: Translator) -> str:
    """``steps: 2 → 5 → 10 users, 10 s per step`` from run.json's shape document."""
    steps = [s for s in shape.get("steps") or [] if isinstance(s, dict)]
    if not steps:
        return t.term("shape", str(shape.get("kind") or ""))
    users = " → ".join(str(s.get("users")) for s in steps)
    durations = {float(s.get("duration_s") or 0) for s in steps}
    kind = t.term("shape", str(shape.get("kind") or ""))
    if len(steps) > 1 and len(durations) == 1:
        return t("fact.shape_steps", kind=kind, users=users, duration=t.duration(durations.pop()))
    total = sum(float(s.get("duration_s") or 0) for s in steps)
    return t("fact.shape_total", kind=kind, users=users, duration=t.duration(total))


def _facts(data: model.ReportData, t: Translator) -> list[tuple[str, str]]:
    run = model.run_block(data)
    facts: list[tuple[str, str]] = [(t("fact.run_id"), data.run_id)]
    for key, label in (
        ("target", "fact.target"),
        ("scenario", "fact.scenario"),
        ("shape", "fact.shape"),
        ("profile", "fact.profile"),
    ):
        value = run.get(key)
        if key == "shape" and isinstance(value, dict):
            value = _shape_text(value, t)
        elif key == "profile" and isinstance(value, str):
            value = t.term("profile", value)
        elif isinstance(value, dict):
            value = value.get("name") or ", ".join(f"{k}={v}" for k, v in value.items())
        if value not in (None, ""):
            facts.append((t(label), str(value)))
    arrivals = model.arrivals(data)
    if arrivals is not None:
        facts.append((t("fact.rate"), _rate_text(arrivals, t)))
    started = str(run.get("started_at") or "")
    if started:
        facts.append((t("fact.started"), started.replace("T", " ")[:19]))
    facts.append((t("fact.duration"), t.duration(run.get("duration_s"))))
    facts.append((t("fact.status"), _status_label(model.run_status(data), t)))
    if data.gate is not None:
        results = model.gate_results(data)
        breached = sum(1 for r in results if r.get("status") != "pass")
        verdict = t("gate.pass") if data.gate.get("passed") else t("gate.fail")
        facts.append(
            (t("fact.gate"), t("gate.summary", verdict=verdict, n=len(results), breached=breached))
        )
    host = model.host_facts(data)
    if host["cores"] or host["memory_gb"]:
        facts.append(
            (
                t("fact.host"),
                t(
                    "fact.host_value",
                    cores=host["cores"] if host["cores"] is not None else "?",
                    memory=host["memory_gb"] if host["memory_gb"] is not None else "?",
                ),
            )
        )
    return facts


def _status_label(status: str, t: Translator) -> str:
    key = f"status.{status}"
    label = t(key)
    return status if label == key else label


def _step_rows(data: model.ReportData, t: Translator) -> list[StepRow]:
    rows = []
    for step in model.steps(data):
        within = step.get("within_slo")
        rows.append(
            StepRow(
                step=str(step.get("step", "")),
                users=t.count(step.get("users")),
                rps=t.rps(step.get("ok_rps", step.get("rps")), unit=False),
                p95=t.ms(step.get("p95_ms")),
                error_rate=t.percent(step.get("error_rate")),
                within_slo=within if isinstance(within, bool) else None,
                measured=step.get("measured") is not False,
                rate=_step_rate(step, t),
                dropped=t.count((step.get("arrivals") or {}).get("dropped"))
                if "rate" in step
                else "",
            )
        )
    return rows


def _step_rate(step: dict[str, Any], t: Translator) -> str:
    """``30.0``, or ``10.0 ↗ 30.0`` on a ramp; "" for a step of the closed model."""
    if "rate" not in step:
        return ""
    rate, start = step.get("rate"), step.get("start_rate")
    text = t.rps(rate, unit=False)
    if isinstance(start, int | float) and start != rate:
        text = f"{t.rps(start, unit=False)} ↗ {text}"
    return text


def build_summary(data: model.ReportData, t: Translator) -> Summary:
    """The summary of ``data`` in the language of ``t``."""
    status = model.run_status(data)
    verdict = model.verdict_status(data)
    quality = model.data_quality(data)
    headline = localize_headline(data.findings, t)
    reasons = localize_reasons(data.findings, t)
    return Summary(
        lang=t.lang,
        run_id=data.run_id,
        verdict=verdict,
        verdict_label=t(f"verdict.{verdict}"),
        headline=headline.text,
        headline_lang=headline.lang,
        numbers_sentence=_numbers_sentence(data, t),
        reasons=[reason.text for reason in reasons],
        key_numbers=_key_numbers(data, t),
        facts=_facts(data, t),
        steps=_step_rows(data, t),
        incomplete=model.is_incomplete(data),
        status=status,
        status_label=_status_label(status, t),
        missing=[note.text for note in localize_missing(quality, t)],
        generated_at=str(data.findings.get("generated_at") or "").replace("T", " ")[:19],
        basis_note=basis_note(data, t),
        stopped_early=stopped_early_text(data, t),
        lost_workers=[str(w) for w in data.meta.get("lost_workers") or []],
    )


def stopped_early_text(data: model.ReportData, t: Translator) -> str:
    """The analysis's sentence on why the ladder stopped at its ceiling, in ``t``'s language
    (English when it has none in that language); "" when the shape ran to its end."""
    early = model.run_block(data).get("stopped_early")
    texts = early.get("texts") if isinstance(early, dict) else None
    if not isinstance(texts, dict):
        return ""
    said = texts.get(t.lang) or texts.get("en")
    return str(said) if said else ""


def basis_note(data: model.ReportData, t: Translator) -> str:
    """The sentence that says the percentiles are a load tool's own ("" when erpcap's)."""
    source = model.percentiles_from(data)
    return t("basis.source", source=source) if source else ""
