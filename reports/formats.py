"""Which files each report format writes, and :func:`render_reports`, the one entry point.

| format | file | content |
| --- | --- | --- |
| ``html`` | ``report.html`` | the full, self-contained report page |
| ``md`` | ``summary.md`` | the management summary in Markdown |
| ``json`` | ``summary.json`` | the same summary as data (formatted strings and raw numbers) |
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from types import MappingProxyType
from typing import Any

from erpcap.errors import BadInput
from erpcap.reports import model
from erpcap.reports.html import render_html
from erpcap.reports.i18n import Translator
from erpcap.reports.localize import localize_findings
from erpcap.reports.management import MANAGEMENT, answers, joined
from erpcap.reports.markdown import render_markdown
from erpcap.reports.summary import build_summary
from erpcap.rundir import RunDir

_Renderer = Callable[[model.ReportData, str], str]


def render_summary_json(data: model.ReportData, *, lang: str = "en") -> str:
    """summary.json: the summary's formatted values plus the raw numbers they come from."""
    t = Translator(lang)
    summary = build_summary(data, t).to_dict()
    doc: dict[str, Any] = {
        "schema_version": "1.0",
        "summary": summary,
        "overall": model.overall(data),
        "peak": model.peak(data),
        "capacity": model.capacity(data),
        "steps": [
            {k: v for k, v in step.items() if k != "transactions"} for step in model.steps(data)
        ],
        "transactions": model.transactions(data),
        "findings": localize_findings(model.findings_list(data), t),
        "data_quality": model.data_quality(data),
        # findings.json 1.4: the management page's answers, the plan and the sizing
        "management": [
            {"question": question, "answer": joined(sentences, t)}
            for question, sentences in answers(data, t)
        ]
        if MANAGEMENT.visible(data)
        else [],
        "plan": data.findings.get("plan"),
        "sizing": data.findings.get("sizing"),
    }
    return json.dumps(doc, indent=2, ensure_ascii=False, default=str) + "\n"


#: Format name -> (file name, renderer, needs the time-series tables).
FORMATS: Mapping[str, tuple[str, _Renderer, bool]] = MappingProxyType(
    {
        "html": ("report.html", lambda d, lang: render_html(d, lang=lang), True),
        "md": ("summary.md", lambda d, lang: render_markdown(d, lang=lang), False),
        "json": ("summary.json", lambda d, lang: render_summary_json(d, lang=lang), False),
    }
)


def parse_formats(spec: str | Sequence[str]) -> tuple[str, ...]:
    """``"html,md"`` (or a list) as a tuple of known formats, in the order given, no repeats.

    >>> parse_formats("html, md,html")
    ('html', 'md')
    """
    items = spec.split(",") if isinstance(spec, str) else list(spec)
    out: list[str] = []
    for raw in items:
        name = raw.strip().lower()
        if name == "markdown":
            name = "md"
        if not name:
            continue
        if name not in FORMATS:
            raise BadInput(
                f"unknown report format {raw.strip()!r}",
                hint=f"use a comma-separated list of: {', '.join(FORMATS)}",
            )
        if name not in out:
            out.append(name)
    if not out:
        raise BadInput("no report format given", hint=f"use one or more of: {', '.join(FORMATS)}")
    return tuple(out)


def _write(path: Path, text: str) -> Path:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)
    return path


def render_reports(
    run: RunDir, *, lang: str = "en", formats: str | Sequence[str] = ("html", "md")
) -> list[Path]:
    """Render ``formats`` of ``run`` in ``lang`` into the run directory; return the paths.

    Reads findings.json (and, for HTML, intervals.parquet and metrics.parquet when they
    exist). Raises :class:`erpcap.errors.BadInput` for an unknown language or format and
    :class:`erpcap.errors.RunDirError` when the run has not been analysed. Each file is
    written under a temporary name and renamed, so a reader never sees half a report.
    """
    Translator(lang)  # reject an unknown language before reading anything
    wanted = parse_formats(formats)
    needs_tables = any(FORMATS[name][2] for name in wanted)
    data = model.load_report_data(run, tables=needs_tables)
    paths = []
    for name in wanted:
        filename, render, _ = FORMATS[name]
        paths.append(_write(run.file(filename), render(data, lang)))
    return paths
