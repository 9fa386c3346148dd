"""Reports: findings.json rendered as HTML, Markdown, JSON and JUnit; never recomputes analysis.

Public API::

    render_reports(run, lang="en", formats=("html", "md"))  -> [written paths]
    render_html(data, lang=...) / render_markdown(data, lang=...) / render_summary_json(...)
    load_report_data(run)                                   -> ReportData
    junit_xml(results, ...)                                 -> JUnit XML of a gate

Each format is one module (``html``, ``markdown``, ``junit``); the chart figures live in
``charts``, the UI strings of both languages in ``i18n``, and ``localize`` says the
analysis's English findings and verdict in the report's language. The pipeline (``erpcap demo``,
``erpcap run``) calls :func:`render_reports` after the analysis; ``erpcap report`` does the
same for a run directory made elsewhere.
"""

from __future__ import annotations

import importlib
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from erpcap.reports.formats import FORMATS, parse_formats, render_reports, render_summary_json
    from erpcap.reports.html import render_html
    from erpcap.reports.i18n import LANGUAGES, Translator
    from erpcap.reports.junit import junit_xml
    from erpcap.reports.markdown import render_markdown
    from erpcap.reports.model import ReportData, load_report_data

#: Public name -> the module that defines it. Imported on first use, so that importing a
#: light module (``erpcap.reports.i18n`` for the CLI's --help) does not load pandas/plotly.
_EXPORTS = MappingProxyType(
    {
        "FORMATS": "formats",
        "parse_formats": "formats",
        "render_reports": "formats",
        "render_summary_json": "formats",
        "render_html": "html",
        "LANGUAGES": "i18n",
        "Translator": "i18n",
        "junit_xml": "junit",
        "render_markdown": "markdown",
        "ReportData": "model",
        "load_report_data": "model",
    }
)

__all__ = [
    "FORMATS",
    "LANGUAGES",
    "ReportData",
    "Translator",
    "junit_xml",
    "load_report_data",
    "parse_formats",
    "render_html",
    "render_markdown",
    "render_reports",
    "render_summary_json",
]


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'erpcap.reports' has no attribute {name!r}")
    return getattr(importlib.import_module(f"erpcap.reports.{module}"), name)


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
