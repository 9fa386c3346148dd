"""The capacity, bottleneck, plan and sizing blocks of findings.json 1.4, read for the report.

Every accessor is tolerant: a block that is missing (a 1.3 document), null, of the wrong
type or carrying only a ``note`` gives an empty value, never an error, so that each section
can say what is missing instead of failing. Nothing here computes analysis: the numbers are
the document's; only the language of its phrases is chosen (:func:`phrase`).

>>> from erpcap.reports.i18n import Translator
>>> phrase({"en": "too few steps", "zh-CN": "阶梯太少"}, Translator("zh-CN")).text
'阶梯太少'
>>> phrase("as written", Translator("zh-CN")).lang
'en'
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from erpcap.reports import model
from erpcap.reports.i18n import Translator
from erpcap.reports.localize import SOURCE_LANG, Sentence


def as_dict(value: Any) -> dict[str, Any]:
    """``value`` when it is a dict, else ``{}``."""
    return value if isinstance(value, dict) else {}


def as_rows(value: Any) -> list[dict[str, Any]]:
    """The dict items of ``value`` when it is a list, else ``[]``."""
    return [v for v in value if isinstance(v, dict)] if isinstance(value, list) else []


def number(value: Any) -> float | None:
    """``value`` as a float when it is a finite number (not a bool), else None."""
    if isinstance(value, bool) or not isinstance(value, int | float) or value != value:
        return None
    return float(value)


def phrase(value: Any, t: Translator) -> Sentence:
    """A phrase of the document in ``t``'s language: ``{"en": …, "zh-CN": …}`` (a note, a
    ``texts`` sentence) or a plain English string; empty when there is none."""
    if isinstance(value, Mapping):
        said = value.get(t.lang)
        if isinstance(said, str) and said:
            return Sentence(said, t.lang)
        english = value.get(SOURCE_LANG)
        return Sentence(english if isinstance(english, str) else "", SOURCE_LANG)
    if isinstance(value, str):
        return Sentence(value, SOURCE_LANG)
    return Sentence("", SOURCE_LANG)


def phrases(values: Any, t: Translator) -> list[Sentence]:
    """:func:`phrase` of each item of a list, the empty ones left out."""
    items = values if isinstance(values, list) else []
    return [s for s in (phrase(v, t) for v in items) if s.text]


def texts(block: Any, t: Translator) -> dict[str, Any]:
    """``block["texts"]`` in ``t``'s language (English when it lacks it), as a dict; a
    sentence (``texts: {lang: "…"}``) comes back as ``{"text": "…", "lang": …}``."""
    all_texts = as_dict(as_dict(block).get("texts"))
    for lang in (t.lang, SOURCE_LANG):
        said = all_texts.get(lang)
        if isinstance(said, dict):
            return {**said, "lang": lang}
        if isinstance(said, str) and said:
            return {"text": said, "lang": lang}
    return {}


def note(block: Any, t: Translator, key: str = "note") -> Sentence:
    """The ``note`` of a block (why it could not be computed), in ``t``'s language."""
    return phrase(as_dict(block).get(key), t)


# -- the blocks -----------------------------------------------------------------------------


def has_model(data: model.ReportData) -> bool:
    """Whether the document carries the 1.4 capacity model at all (any of its keys, even
    null): a 1.3 document does not."""
    cap = model.capacity(data)
    return any(k in cap for k in ("knee", "usl", "demands", "littles_law", "slo_limits"))


def knee(data: model.ReportData) -> dict[str, Any]:
    """``capacity.knee`` (empty when not found)."""
    block = as_dict(model.capacity(data).get("knee"))
    return block if number(block.get("users")) is not None else {}


def usl(data: model.ReportData) -> dict[str, Any]:
    """``capacity.usl``: fitted or ``{"fitted": false, "note"}`` (empty when absent)."""
    return as_dict(model.capacity(data).get("usl"))


def usl_fitted(data: model.ReportData) -> bool:
    return usl(data).get("fitted") is True


def usl_curve(data: model.ReportData) -> list[tuple[float, float, float | None, float | None]]:
    """The fitted curve's points ``(n, x, x_low, x_high)``, malformed points left out."""
    out = []
    raw = usl(data).get("curve") if usl_fitted(data) else None
    for point in raw if isinstance(raw, list) else []:
        if not isinstance(point, list | tuple) or len(point) < 2:
            continue
        n, x = number(point[0]), number(point[1])
        if n is None or x is None:
            continue
        low = number(point[2]) if len(point) > 2 else None
        high = number(point[3]) if len(point) > 3 else None
        out.append((n, x, low, high))
    return out


def slo_limits(data: model.ReportData) -> list[dict[str, Any]]:
    return as_rows(model.capacity(data).get("slo_limits"))


def demands(data: model.ReportData) -> dict[str, Any]:
    return as_dict(model.capacity(data).get("demands"))


def littles_law(data: model.ReportData) -> list[dict[str, Any]]:
    return as_rows(model.capacity(data).get("littles_law"))


def capacity_notes(data: model.ReportData, t: Translator) -> list[Sentence]:
    """``capacity.notes``: what the capacity stage could not conclude."""
    return phrases(model.capacity(data).get("notes"), t)


def bottleneck(data: model.ReportData) -> dict[str, Any]:
    """``capacity.bottleneck`` (empty when null or absent)."""
    return as_dict(model.capacity(data).get("bottleneck"))


def plan(data: model.ReportData) -> dict[str, Any]:
    return as_dict(data.findings.get("plan"))


def recommendations(data: model.ReportData) -> list[dict[str, Any]]:
    """The plan's recommendations by rank (those without one last, in document order)."""
    rows = as_rows(plan(data).get("recommendations"))

    def rank(row: dict[str, Any]) -> float:
        value = number(row.get("rank"))
        return float("inf") if value is None else value

    return sorted(rows, key=rank)


def sizing(data: model.ReportData) -> dict[str, Any]:
    return as_dict(data.findings.get("sizing"))


def slo_target_ms(data: model.ReportData) -> float | None:
    """The strictest p95 target (ms) that the SLO limits or the document's ``slo`` name: the
    line a reader compares the measured p95 with."""
    targets = [number(r.get("target_ms")) for r in slo_limits(data)]
    found = [v for v in targets if v is not None]
    if not found:
        p95 = as_dict(data.findings.get("slo")).get("p95_ms")
        values = p95.values() if isinstance(p95, dict) else [p95]
        found = [v for v in (number(x) for x in values) if v is not None]
    return min(found) if found else None


def measured_steps(data: model.ReportData) -> list[dict[str, Any]]:
    """The steps with users and a successful throughput, measured ones only."""
    out = []
    for step in model.steps(data):
        if step.get("measured") is False:
            continue
        if number(step.get("users")) is None:
            continue
        if number(step.get("ok_rps", step.get("rps"))) is None:
            continue
        out.append(step)
    return out


# -- words and numbers shared by the capacity sections ---------------------------------------


def say(table: Mapping[str, Mapping[str, str]], t: Translator, key: str, **values: Any) -> str:
    """``key`` of a section's word table in ``t``'s language (English where it lacks it)."""
    text = table.get(t.lang, table["en"]).get(key) or table["en"][key]
    return text.format(**values) if values else text


def share(value: Any) -> str:
    """A share (0..1) as a whole percentage; ``–`` when not a number.

    >>> share(0.374), share(None)
    ('37%', '–')
    """
    v = number(value)
    return "–" if v is None else f"{v * 100:.0f}%"


def significant(value: Any, digits: int = 4) -> str:
    """A model coefficient to ``digits`` significant digits.

    >>> significant(0.0013294063886779388), significant(4.268545989112779)
    ('0.001329', '4.269')
    """
    v = number(value)
    return "–" if v is None else f"{v:.{digits}g}"


def sentence(block: Any, t: Translator) -> Sentence:
    """The sentence of a block's ``texts`` in ``t``'s language: ``texts: {lang: "…"}`` or
    ``texts: {lang: {"title": …, "detail": …}}`` (title and detail joined)."""
    said = texts(block, t)
    if "text" in said:
        return Sentence(str(said["text"]), str(said["lang"]))
    parts = [str(said[k]) for k in ("title", "detail") if isinstance(said.get(k), str)]
    return Sentence(" — ".join(p for p in parts if p), str(said.get("lang") or SOURCE_LANG))
