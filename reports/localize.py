"""The analysis's words in the report's language: findings, verdict, what is missing.

Since findings.json 1.2 the analysis writes its sentences in every language its rules have
templates for (``texts`` of each finding, of the verdict, ``missing_texts`` of the data
quality; see erpcap/findings.py). A report only picks the language: it never says a
finding again from its evidence, so a plug-in's rule with its own templates shows in its own
words. Text a document has only in English (a rule without a Chinese template, a
findings.json older than 1.2, a note from a collector) is shown as written and marked with
``lang="en"``.

>>> t = Translator("zh-CN")
>>> finding = {"id": "x", "title": "Queue deep", "texts": {"zh-CN": {"title": "队列过深"}}}
>>> localize_finding(finding, t)["title"], localize_finding(finding, t)["text_lang"]
('队列过深', 'zh-CN')
>>> localize_finding({"id": "old", "title": "Queue deep"}, t)["text_lang"]
'en'
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from erpcap.reports.i18n import Translator

#: The parts of a finding that are prose.
PARTS = ("title", "detail", "fix")

#: The language of findings.json's top-level text.
SOURCE_LANG = "en"


@dataclass(frozen=True)
class Sentence:
    """A sentence for the page and the language it is in (``en`` when left as written)."""

    text: str
    lang: str


def _texts(block: Any, lang: str) -> Mapping[str, Any]:
    texts = block.get("texts") if isinstance(block, Mapping) else None
    said = texts.get(lang) if isinstance(texts, Mapping) else None
    return said if isinstance(said, Mapping) else {}


def localize_finding(finding: Mapping[str, Any], t: Translator) -> dict[str, Any]:
    """``finding`` with its title, detail and fix in ``t``'s language where the analysis
    wrote them, and ``text_lang``: the language they ended up in."""
    out = {k: v for k, v in finding.items() if k != "texts"}  # one language out
    out["text_lang"] = SOURCE_LANG
    said = _texts(finding, t.lang)
    if t.lang == SOURCE_LANG or not said:
        return out
    for part in PARTS:
        if isinstance(said.get(part), str):
            out[part] = said[part]
    out["text_lang"] = t.lang
    return out


def localize_findings(findings: list[dict[str, Any]], t: Translator) -> list[dict[str, Any]]:
    """:func:`localize_finding` of each."""
    return [localize_finding(finding, t) for finding in findings]


def localize_headline(doc: Mapping[str, Any], t: Translator) -> Sentence:
    """The verdict's headline in ``t``'s language, or in English as written."""
    verdict = doc.get("verdict")
    english = str(verdict.get("headline") or "") if isinstance(verdict, Mapping) else ""
    said = _texts(verdict, t.lang).get("headline")
    if t.lang != SOURCE_LANG and isinstance(said, str) and said:
        return Sentence(said, t.lang)
    return Sentence(english, SOURCE_LANG)


def localize_reasons(doc: Mapping[str, Any], t: Translator) -> list[Sentence]:
    """The verdict's reasons in ``t``'s language, or in English as written."""
    verdict = doc.get("verdict")
    english = verdict.get("reasons") if isinstance(verdict, Mapping) else None
    english_list = [str(r) for r in english] if isinstance(english, list) else []
    said = _texts(verdict, t.lang).get("reasons")
    if t.lang != SOURCE_LANG and isinstance(said, list) and len(said) == len(english_list):
        return [Sentence(str(r), t.lang) for r in said]
    return [Sentence(r, SOURCE_LANG) for r in english_list]


def localize_missing(quality: Mapping[str, Any], t: Translator) -> list[Sentence]:
    """``data_quality.missing`` in ``t``'s language (``missing_texts``), else as written.

    >>> q = {"missing": ["no requests were recorded"], "missing_texts": {"zh-CN": ["未记录到任何请求"]}}
    >>> [s.text for s in localize_missing(q, Translator("zh-CN"))]
    ['未记录到任何请求']
    """
    english = [str(m) for m in quality.get("missing") or []]
    texts = quality.get("missing_texts")
    said = texts.get(t.lang) if isinstance(texts, Mapping) else None
    if t.lang != SOURCE_LANG and isinstance(said, list) and len(said) == len(english):
        return [Sentence(str(m), t.lang) for m in said]
    return [Sentence(m, SOURCE_LANG) for m in english]
