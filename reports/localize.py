"""The analysis's English sentences in the report's language: findings, verdict, gaps.

findings.json is written in English (docs/findings.md). A report in another language does
not translate that text; it says the same things again from the numbers: each finding has
a stable ``id`` and an ``evidence`` dict, and :data:`_FINDINGS` maps every id of the default
rules (analysis/rules.py) to a function that turns the evidence into the values of that
language's templates (``<id>.title``, ``.detail``, ``.fix`` in
:data:`erpcap.reports.i18n.ANALYSIS_TEXT`). Numbers are formatted as the English text
formats them (``1.20 s``/``910 ms``, ``4.1%``, ``33.5 req/s``), with the units of the
language.

Whatever cannot be said again stays as the analysis wrote it, marked with ``lang="en"``: a
finding id erpcap does not know (a plug-in's rule, a newer analysis), evidence that lacks a
number the template needs, a language without the template, a run note in free text.

>>> t = Translator("zh-CN")
>>> cpu = {"id": "resources.host_cpu_high", "title": "Host CPU reached 97 % (mean 60 %)",
...        "evidence": {"cpu_percent": {"mean": 60.2, "max": 97.4}}}
>>> localize_finding(cpu, {}, t)["title"]
'主机 CPU 达到 97%（平均 60%）'
>>> plugin = {"id": "acme.queue_deep", "title": "Queue depth above 1,000"}
>>> localize_finding(plugin, {}, t)["title"], localize_finding(plugin, {}, t)["text_lang"]
('Queue depth above 1,000', 'en')
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

from erpcap.reports.i18n import ANALYSIS_TEXT, MISSING, Translator
from erpcap.words import format_percent

#: The parts of a finding that are prose.
PARTS = ("title", "detail", "fix")

#: The language of findings.json's text.
SOURCE_LANG = "en"

#: What analysis/rules.py writes as the detail of ``run.incomplete`` when run.json gives no
#: exit reason; any other detail is the runner's own words, kept and quoted.
_DEFAULT_INCOMPLETE = "The run ended early; figures cover the part that was recorded."


#: A values function may name a variant of its templates: ``<id>.<part>.<variant>`` is used
#: where the language has it (the fix of ``errors.rate_high`` depends on the failures' cause).
VARIANT = "_variant"


class _Unsayable(Exception):
    """The evidence lacks what the template needs: keep the English text."""


@dataclass(frozen=True)
class _Say:
    """Templates and number formats of one language, and the findings document around."""

    t: Translator
    texts: Mapping[str, str]
    doc: Mapping[str, Any]

    def __call__(self, key: str, **values: object) -> str:
        if key not in self.texts:
            raise _Unsayable(key)
        return self.texts[key].format(**values)

    def ms(self, value: Any) -> str:
        """A latency as analysis/rules.py writes it: ``1.20 s`` from 1 s up, else ``910 ms``."""
        if value is None:
            return MISSING
        number = _num(value)
        if number >= 1000:
            return f"{number / 1000:.2f} {self.t.unit('s')}"
        return f"{number:.0f} {self.t.unit('ms')}"

    def rps(self, value: Any) -> str:
        return f"{_num(value):.1f} {self.t.unit('rps')}"

    def change(self, ratio: float) -> str:
        """A relative change in words, as analysis/latency.py's ``format_change`` says it."""
        if abs(ratio) < 0.005:
            return self("change.none")
        return self("change.up" if ratio > 0 else "change.down", percent=f"{abs(ratio):.0%}")

    def join(self, items: list[str]) -> str:
        return self("list.sep").join(items) if items else self.t("none")

    def transaction(self, name: Any) -> Mapping[str, Any]:
        """The transaction block of findings.json named ``name`` (empty when absent)."""
        for row in _rows(self.doc.get("transactions")):
            if row.get("name") == name:
                return row
        return {}


def _num(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise _Unsayable(f"not a number: {value!r}")
    return float(value)


def _rows(value: Any) -> list[Mapping[str, Any]]:
    return [row for row in value if isinstance(row, Mapping)] if isinstance(value, list) else []


def _block(value: Any) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise _Unsayable(f"not a mapping: {value!r}")
    return value


# -- one function per finding id: the evidence as the values of its templates ---------------


def _errors_rate_high(ev: Mapping[str, Any], say: _Say) -> dict[str, str]:
    slo = _block(say.doc.get("slo"))
    txs = sorted(_rows(say.doc.get("transactions")), key=lambda t: -(t.get("errors") or 0))
    worst = [
        say("errors.rate_high.worst", name=t.get("name"), count=t.get("count"), errors=t["errors"])
        for t in txs[:3]
        if t.get("errors")
    ]
    return {
        "rate": f"{_num(ev['error_rate']):.1%}",
        "limit": format_percent(_num(slo["error_rate"])),
        "worst": say.join(worst),
        VARIANT: str(ev.get("cause") or "other"),
    }


def _latency_p95(ev: Mapping[str, Any], say: _Say) -> dict[str, str]:
    name = ev["transaction"]
    return {
        "transaction": str(name),
        "p95": say.ms(ev["p95_ms"]),
        "p99": say.ms(ev.get("p99_ms")),
        "max": say.ms(say.transaction(name).get("max_ms")),
        "target": say.ms(ev["target_ms"]),
        "count": str(int(_num(ev["count"]))),
    }


def _saturated(ev: Mapping[str, Any], say: _Say) -> dict[str, str]:
    users, rps, p95 = ev["users"], ev["rps"], ev["p95_ms"]
    gain = _num(rps[1]) / _num(rps[0]) - 1
    user_gain = _num(users[1]) / _num(users[0]) - 1
    return {
        "rps": say.rps(rps[0]),
        "users": str(users[0]),
        "users_from": str(users[0]),
        "users_to": str(users[1]),
        "user_gain": f"{user_gain:.0%}",
        "expected": say.rps(ev["expected_rps"]),
        "rps_to": say.rps(rps[1]),
        "change": say.change(gain),
        "delivered": f"{_num(ev['delivered_share']):.0%}",
        "p95_from": say.ms(p95[0]),
        "p95_to": say.ms(p95[1]),
    }


def _light_load(ev: Mapping[str, Any], say: _Say) -> dict[str, str]:
    return {
        "users": str(int(_num(ev["users"]))),
        "busy": f"{_num(ev['busy_share']):.1%}",
        "think": f"{_num(ev['think_s']):.1f}",
        "rps": say.rps(ev["rps"]),
    }


def _host_cpu(ev: Mapping[str, Any], say: _Say) -> dict[str, str]:
    cpu = _block(ev["cpu_percent"])
    return {"max": f"{_num(cpu['max']):.0f}", "mean": f"{_num(cpu['mean']):.0f}"}


def _generator(ev: Mapping[str, Any], say: _Say) -> dict[str, str]:
    cpu = _block(ev["locust_cpu_percent"])
    workers = max(1, int(_num(ev.get("workers") or 1)))
    return {"percent": f"{_num(cpu['mean']) / workers:.0f}"}


def _incomplete(ev: Mapping[str, Any], say: _Say) -> dict[str, str]:
    status = str(ev["status"])
    label = say.t(f"status.{status}")
    return {"status": status if label == f"status.{status}" else label}


def _few_samples(ev: Mapping[str, Any], say: _Say) -> dict[str, str]:
    names = ev["transactions"]
    if not isinstance(names, list):
        raise _Unsayable("transactions is not a list")
    return {
        "n": str(len(names)),
        "min_samples": str(int(_num(ev["min_samples"]))),
        "names": say.join([str(n) for n in names]),
    }


_Values = Callable[[Mapping[str, Any], _Say], dict[str, str]]

#: Finding id -> the values of its templates, from its evidence (analysis/rules.py).
_FINDINGS: Mapping[str, _Values] = MappingProxyType(
    {
        "errors.rate_high": _errors_rate_high,
        "latency.p95_over_target": _latency_p95,
        "capacity.saturated": _saturated,
        "load.light": _light_load,
        "resources.host_cpu_high": _host_cpu,
        "generator.saturated": _generator,
        "run.incomplete": _incomplete,
        "data.few_samples": _few_samples,
    }
)

#: The finding ids a report can say in another language than English.
KNOWN_FINDINGS = frozenset(_FINDINGS)


def _texts(t: Translator) -> Mapping[str, str]:
    return ANALYSIS_TEXT.get(t.lang, MappingProxyType({}))


def localize_finding(
    finding: Mapping[str, Any], doc: Mapping[str, Any], t: Translator
) -> dict[str, Any]:
    """``finding`` with its title, detail and fix in ``t``'s language where erpcap can say
    them, and ``text_lang``: the language they ended up in (``en`` when left as written).

    ``doc`` is the whole findings.json, for what a finding's evidence refers to (the SLO, the
    transaction blocks).
    """
    out = dict(finding)
    out["text_lang"] = SOURCE_LANG
    values = _FINDINGS.get(str(finding.get("id")))
    if t.lang == SOURCE_LANG or values is None:
        return out
    say = _Say(t, _texts(t), doc)
    fid = str(finding["id"])
    try:
        evidence = _block(finding.get("evidence"))
        fields = values(evidence, say)
        variant = fields.pop(VARIANT, None)
        texts = {}
        for part in PARTS:
            key = f"{fid}.{part}.{variant}" if variant else ""
            texts[part] = say(key if key in say.texts else f"{fid}.{part}", **fields)
        if fid == "run.incomplete" and finding.get("detail") not in (None, _DEFAULT_INCOMPLETE):
            texts["detail"] = say("run.incomplete.reason", reason=finding["detail"])
    except (_Unsayable, KeyError, IndexError, TypeError, ValueError, ZeroDivisionError):
        return out
    out.update(texts)
    out["text_lang"] = t.lang
    return out


def localize_findings(
    findings: list[dict[str, Any]], doc: Mapping[str, Any], t: Translator
) -> list[dict[str, Any]]:
    """:func:`localize_finding` of each."""
    return [localize_finding(finding, doc, t) for finding in findings]


@dataclass(frozen=True)
class Sentence:
    """A sentence for the page and the language it is in (``en`` when left as written)."""

    text: str
    lang: str


def localize_headline(doc: Mapping[str, Any], t: Translator) -> Sentence:
    """The verdict's headline, said again from ``overall``, ``capacity`` and ``slo`` the way
    analysis/verdict.py says it; the English headline when those blocks do not allow it."""
    verdict = doc.get("verdict")
    english = str(verdict.get("headline") or "") if isinstance(verdict, Mapping) else ""
    if t.lang == SOURCE_LANG or not english:
        return Sentence(english, SOURCE_LANG)
    say = _Say(t, _texts(t), doc)
    try:
        return Sentence(_headline(doc, say), t.lang)
    except (_Unsayable, KeyError, IndexError, TypeError, ValueError):
        return Sentence(english, SOURCE_LANG)


def _headline(doc: Mapping[str, Any], say: _Say) -> str:
    overall = _block(doc.get("overall"))
    if _num(overall["count"]) == 0:
        return say("headline.nothing")
    capacity = doc.get("capacity") or {}
    capacity = _block(capacity)
    parts = []
    within, over = capacity.get("max_users_within_slo"), capacity.get("first_step_over_slo")
    if within:
        slo = _block(doc.get("slo"))
        p95 = _block(slo["p95_ms"])
        target = p95.get("order", p95["other"])
        parts.append(
            say(
                "headline.within",
                users=within,
                rps=say.rps(capacity["rps_within_slo"]),
                target=say.ms(target),
                error_limit=format_percent(_num(slo["error_rate"])),
            )
        )
    elif capacity.get("peak"):
        parts.append(say("headline.none_within"))
    elif capacity:
        parts.append(say("headline.none_measured"))
    if over and within:
        parts.append(say("headline.broke", users=_block(over)["users"]))
    peak = capacity.get("peak")
    if peak and (not within or _block(peak)["users"] != within):
        if "ok_rps" in peak:
            parts.append(say("headline.peak", rps=say.rps(peak["ok_rps"]), users=peak["users"]))
        else:  # an analysis before 1.1 counted every request
            parts.append(say("headline.peak_all", rps=say.rps(peak["rps"]), users=peak["users"]))
    parts.append(say("headline.errors", rate=f"{_num(overall['error_rate']):.2%}"))
    return say("headline.sep").join(parts) + say("headline.end")


def localize_reasons(
    reasons: list[str], findings: list[dict[str, Any]], doc: Mapping[str, Any], t: Translator
) -> list[Sentence]:
    """The verdict's reasons, which analysis/verdict.py takes from its findings' titles, as
    those findings' localized titles; a reason no finding has stays as written."""
    titles: dict[str, Sentence] = {}
    for finding in findings:
        english = finding.get("title")
        if isinstance(english, str) and english not in titles:
            said = localize_finding(finding, doc, t)
            titles[english] = Sentence(str(said["title"]), said["text_lang"])
    return [titles.get(reason, Sentence(reason, SOURCE_LANG)) for reason in reasons]


#: What analysis/run.py writes into ``data_quality.missing``, and the key that says it.
_MISSING: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"no requests were recorded"), "missing.no_requests"),
    (re.compile(r"no resource metrics were collected"), "missing.no_metrics"),
    (re.compile(r"the run ended early \((?P<status>[^)]*)\)"), "missing.ended_early"),
    (
        re.compile(r"not recorded: (?P<n>[\d,]+) requests? in flight when the load stopped"),
        "missing.in_flight",
    ),
    (
        re.compile(
            r"too few requests to judge in step\(s\) (?P<steps>[\d, ]+) \(fewer than (?P<min>\d+)\)"
        ),
        "missing.unmeasured",
    ),
)


def localize_missing(item: str, t: Translator) -> Sentence:
    """One ``data_quality.missing`` note in ``t``'s language when it is one analysis writes.

    >>> localize_missing("the run ended early (interrupted)", Translator("zh-CN")).text
    '运行提前结束（已中断）'
    """
    texts = _texts(t)
    for pattern, key in _MISSING:
        match = pattern.fullmatch(item)
        if match and key in texts:
            values = match.groupdict()
            status = values.get("status")
            if status is not None:
                label = t(f"status.{status}")
                values["status"] = status if label == f"status.{status}" else label
            return Sentence(texts[key].format(**values), t.lang)
    return Sentence(item, SOURCE_LANG)
