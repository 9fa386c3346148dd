"""The findings model: what a rule observed, with typed evidence and its words in every language.

A rule declares a :class:`FindingKind` once — its id, its stage, and a message template per
language (``en`` is required, ``zh-CN`` expected) — and makes findings from it with
:meth:`FindingKind.make`, passing the evidence as :class:`Quantity` values with units. The
finding renders its title, detail and fix in each language from that evidence, so that
findings.json carries the texts ready to show (``texts``) next to the numbers they stand on
(``evidence``), and reports never re-derive meaning. A plug-in's rule works the same way:
its own templates reach the report in both languages without any change to erpcap.

>>> CPU = FindingKind(
...     id="resources.host_cpu_high", stage="resources",
...     texts={"en": Texts("Host CPU reached {max} (mean {mean})", "…", "…"),
...            "zh-CN": Texts("主机 CPU 达到 {max}（平均 {mean}）", "…", "…")})
>>> f = CPU.make("warning", values={"max": Quantity(97.4, "percent"), "mean": Quantity(60.9, "percent")})
>>> f.title, f.texts["zh-CN"].title
('Host CPU reached 97% (mean 61%)', '主机 CPU 达到 97%（平均 61%）')
>>> f.to_dict()["evidence"], f.to_dict()["quantities"]["max"]
({'max': 97.4, 'mean': 60.9}, {'value': 97.4, 'unit': 'percent'})
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

from erpcap.words import format_ms, format_percent

#: The languages findings are written in; ``en`` first, and required of every template.
LANGUAGES = ("en", "zh-CN")

#: Severities, least severe first.
SEVERITIES = ("info", "warning", "critical")

#: Units a :class:`Quantity` may carry, and how each is shown:
#:
#: ========  ==========================================================================
#: ``ms``      a latency: ``910 ms`` below a second, ``1.52 s`` from one up
#: ``s``       seconds with one decimal
#: ``ratio``   a share 0..1 shown as a percentage (``digits`` decimals, or as needed)
#: ``percent`` a value already in percent (CPU 97.4 → ``97%``)
#: ``rps``     requests per second with one decimal
#: ``count``   a whole number (users, requests)
#: ``list``    a list of names, joined in the language's way
#: ``text``    a word or name as it is
#: ========  ==========================================================================
UNITS = ("ms", "s", "ratio", "percent", "rps", "count", "list", "text")

_WORDS: Mapping[str, Mapping[str, str]] = MappingProxyType(
    {
        "en": MappingProxyType({"s": "s", "rps": "req/s", "sep": ", "}),
        "zh-CN": MappingProxyType({"s": "秒", "rps": "请求/秒", "sep": "、"}),
    }
)


@dataclass(frozen=True)
class Quantity:
    """One piece of evidence: a value and its unit (see :data:`UNITS`)."""

    value: Any
    unit: str = "text"
    #: Decimals for ``ratio`` and ``percent``; None: as many as needed (ratio), 0 (percent).
    digits: int | None = None

    def __post_init__(self) -> None:
        if self.unit not in UNITS:
            raise ValueError(f"unknown unit {self.unit!r}; use one of {', '.join(UNITS)}")

    def say(self, lang: str) -> str:
        """The value as a template shows it in ``lang``.

        >>> Quantity(1520.0, "ms").say("zh-CN"), Quantity(0.0331, "ratio", 1).say("en")
        ('1.52 秒', '3.3%')
        >>> Quantity(["a", "b"], "list").say("zh-CN"), Quantity(30.24, "rps").say("en")
        ('a、b', '30.2 req/s')
        """
        words = _WORDS.get(lang, _WORDS["en"])
        value = self.value
        if value is None:
            return "n/a"
        if self.unit == "ms":
            return format_ms(float(value), seconds=words["s"])
        if self.unit == "s":
            return f"{float(value):.1f} {words['s']}"
        if self.unit == "ratio":
            if self.digits is None:
                return format_percent(float(value))
            return f"{float(value) * 100:.{self.digits}f}%"
        if self.unit == "percent":
            return f"{float(value):.{self.digits or 0}f}%"
        if self.unit == "rps":
            return f"{float(value):.1f} {words['rps']}"
        if self.unit == "count":
            return str(int(value))
        if self.unit == "list":
            return words["sep"].join(str(v) for v in value) if value else "–"
        return str(value)

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"value": self.value, "unit": self.unit}
        if self.digits is not None:
            out["digits"] = self.digits
        return out


#: A phrase said differently in each language (a cause's advice, "rose 5%"): language → text.
Phrase = Mapping[str, str]


@dataclass(frozen=True)
class Texts:
    """A finding's title, detail and fix in one language (templates, or rendered)."""

    title: str
    detail: str
    fix: str

    def to_dict(self) -> dict[str, str]:
        return {"title": self.title, "detail": self.detail, "fix": self.fix}


@dataclass(frozen=True)
class Subject:
    """What a finding is about: ``kind`` (run, transaction, step, resource, statement,
    table, …) and its name."""

    kind: str
    name: str = ""

    def to_dict(self) -> dict[str, str]:
        return {"kind": self.kind, "name": self.name}


RUN = Subject("run")


@dataclass(frozen=True)
class Finding:
    """One observation: id, severity, stage, subject, its evidence and its words.

    ``evidence`` holds the plain numbers and names the rule looked at (findings.json's
    ``evidence``, as in 1.x); ``quantities`` the typed values its texts were rendered from.
    """

    id: str
    severity: str
    stage: str
    subject: Subject
    evidence: Mapping[str, Any]
    quantities: Mapping[str, Quantity]
    texts: Mapping[str, Texts]

    @property
    def title(self) -> str:
        return self.texts["en"].title

    @property
    def detail(self) -> str:
        return self.texts["en"].detail

    @property
    def fix(self) -> str:
        return self.texts["en"].fix

    def to_dict(self) -> dict[str, Any]:
        """findings.json's form: the English texts at the top (as in 1.x), every language
        under ``texts``, and the typed ``quantities``."""
        return {
            "id": self.id,
            "severity": self.severity,
            "stage": self.stage,
            "subject": self.subject.to_dict(),
            "title": self.title,
            "detail": self.detail,
            "fix": self.fix,
            "evidence": dict(self.evidence),
            "quantities": {k: q.to_dict() for k, q in self.quantities.items()},
            "texts": {lang: t.to_dict() for lang, t in self.texts.items()},
        }


@dataclass(frozen=True)
class FindingKind:
    """A kind of finding a rule makes: its id, stage and templates per language.

    Templates are ``str.format`` strings whose fields are the ``values`` (each said in the
    template's language, :meth:`Quantity.say`) and the ``phrases`` a rule passes.
    """

    id: str
    stage: str
    texts: Mapping[str, Texts]

    def __post_init__(self) -> None:
        if "en" not in self.texts:
            raise ValueError(f"finding {self.id!r}: templates need English ('en')")

    def make(
        self,
        severity: str,
        *,
        values: Mapping[str, Quantity],
        evidence: Mapping[str, Any] | None = None,
        subject: Subject = RUN,
        phrases: Mapping[str, Phrase] | None = None,
    ) -> Finding:
        """A finding of this kind, its texts rendered in every language it has.

        ``evidence`` defaults to the plain values of ``values``.
        """
        if severity not in SEVERITIES:
            raise ValueError(f"severity {severity!r}; use one of {', '.join(SEVERITIES)}")
        rendered = {lang: self._render(lang, values, phrases or {}) for lang in self.texts}
        plain = dict(evidence) if evidence is not None else {k: q.value for k, q in values.items()}
        return Finding(self.id, severity, self.stage, subject, plain, dict(values), rendered)

    def _render(
        self, lang: str, values: Mapping[str, Quantity], phrases: Mapping[str, Phrase]
    ) -> Texts:
        fields = {key: q.say(lang) for key, q in values.items()}
        fields.update({key: p.get(lang, p.get("en", "")) for key, p in phrases.items()})
        template = self.texts[lang]
        return Texts(
            template.title.format(**fields),
            template.detail.format(**fields),
            template.fix.format(**fields),
        )


#: Verdict statuses, best first.
VERDICTS = ("pass", "warn", "fail")


@dataclass(frozen=True)
class Verdict:
    """The run's verdict: a status and, per language, one headline and the reasons (the
    titles of the findings behind it)."""

    status: str
    headlines: Mapping[str, str]
    reasons: Mapping[str, list[str]]

    def __post_init__(self) -> None:
        if self.status not in VERDICTS:
            raise ValueError(f"verdict {self.status!r}; use one of {', '.join(VERDICTS)}")

    def to_dict(self) -> dict[str, Any]:
        """findings.json's ``verdict``: English at the top (as in 1.x), all under ``texts``.

        >>> Verdict("pass", {"en": "Fine.", "zh-CN": "很好。"}, {"en": [], "zh-CN": []}).to_dict()["texts"]["zh-CN"]
        {'headline': '很好。', 'reasons': []}
        """
        return {
            "status": self.status,
            "headline": self.headlines["en"],
            "reasons": list(self.reasons.get("en", [])),
            "texts": {
                lang: {"headline": text, "reasons": list(self.reasons.get(lang, []))}
                for lang, text in self.headlines.items()
            },
        }


def phrase(**by_lang: str) -> dict[str, str]:
    """A :data:`Phrase` from keyword arguments, ``zh_CN`` standing for ``zh-CN``.

    >>> phrase(en="rose 5%", zh_CN="上升 5%")
    {'en': 'rose 5%', 'zh-CN': '上升 5%'}
    """
    return {lang.replace("_", "-"): text for lang, text in by_lang.items()}
