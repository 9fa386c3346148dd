"""Report sections that register like a plug-in's: each says what it reads and renders itself.

A :class:`Section` declares the blocks of findings.json it reads (or ``gate.json``), its
title in each language, when it shows (``visible``), a jinja2 template for the HTML page
(autoescaped, like the page) and a function for summary.md. The HTML page lays out the
registered sections after its own, in the order of their entry-point names
(``erpcap.report_sections``, erpcap/plugins.py); summary.md appends their Markdown. A
section placed ``"top"`` (the management page) comes right after the summary instead, in
the page and in summary.md. erpcap's Budgets section is registered exactly so.

>>> BUDGETS.reads, BUDGETS.title("zh-CN")
(('gate.json',), '性能预算')
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import markupsafe

from erpcap import plugins
from erpcap.reports import model
from erpcap.reports.i18n import Translator


@dataclass(frozen=True)
class Section:
    """One section of the report."""

    id: str
    titles: Mapping[str, str]
    reads: tuple[str, ...]
    #: The jinja2 source of its HTML, or ``""`` with ``html_file`` naming a template file of
    #: erpcap.reports.templates (erpcap's own sections).
    html_template: str = ""
    markdown: Callable[[model.ReportData, Translator], list[str]] = lambda data, t: []
    visible: Callable[[model.ReportData], bool] = lambda data: True
    #: Values for the template beyond ``data``, ``t``, ``model`` and ``title``.
    context: Callable[[model.ReportData, Translator], Mapping[str, Any]] = field(
        default=lambda data, t: {}
    )
    html_file: str = ""
    #: Whether ``markdown`` writes escaped Markdown itself (erpcap's own do); a plug-in's
    #: lines are escaped by summary.md, headings kept.
    markdown_escaped: bool = False
    #: ``"body"``: after the page's charts (most sections); ``"top"``: right after the
    #: summary, for what a reader must see first (the management page).
    place: str = "body"

    def title(self, lang: str) -> str:
        return self.titles.get(lang) or self.titles.get("en") or self.id

    def render_html(
        self, data: model.ReportData, t: Translator, page: Mapping[str, Any] | None = None
    ) -> markupsafe.Markup:
        """The section as HTML, rendered with the report's (autoescaping) environment and
        the page's values (``page``: what the page template sees), plus its own."""
        from erpcap.reports.html import environment

        env = environment()
        template = (
            env.get_template(self.html_file)
            if self.html_file
            else env.from_string(self.html_template)
        )
        values = {**(page or {}), "data": data, "t": t, "model": model}
        values["title"] = self.title(t.lang)
        values.update(self.context(data, t))
        return markupsafe.Markup(template.render(values))


def registered_sections() -> list[Section]:
    """The sections of the ``erpcap.report_sections`` entry points, erpcap's and plug-ins'."""
    found = []
    for name, section in plugins.load("sections"):
        if not isinstance(section, Section):
            raise plugins.PluginError(
                f"the report_sections plug-in {name!r} is not an erpcap.reports.sections.Section"
            )
        found.append(section)
    return found


# -- erpcap's own ---------------------------------------------------------------------------

#: The page's standard sections: their HTML is a template file each; what they read and
#: their Markdown (reports/markdown.py) are declared here.
TRANSACTIONS = Section(
    id="transactions",
    titles={"en": "Transactions", "zh-CN": "事务"},
    reads=("transactions", "groups", "overall", "errors"),
    html_file="section-transactions.html.j2",
    markdown=lambda data, t: _md().transactions(data, t),
    markdown_escaped=True,
)
STEPS = Section(
    id="steps",
    titles={"en": "Load steps", "zh-CN": "负载阶梯"},
    reads=("steps",),
    html_file="section-steps.html.j2",
)
RESOURCES = Section(
    id="resources",
    titles={"en": "Resources", "zh-CN": "资源"},
    reads=("resources",),
    html_file="section-resources.html.j2",
    markdown=lambda data, t: _md().resources(data, t),
    markdown_escaped=True,
)
FINDINGS = Section(
    id="findings",
    titles={"en": "Findings", "zh-CN": "发现"},
    reads=("findings",),
    html_file="section-findings.html.j2",
    markdown=lambda data, t: _md().findings(data, t),
    markdown_escaped=True,
)
DATA_QUALITY = Section(
    id="data-quality",
    titles={"en": "Data quality", "zh-CN": "数据质量"},
    reads=("data_quality",),
    html_file="section-data-quality.html.j2",
)


def _md() -> Any:
    from erpcap.reports import markdown

    return markdown


_BUDGETS_HTML = """\
<section id="budgets">
  <h2>{{ title }}</h2>
  <table>
    <thead><tr><th></th><th>{{ t("col.metric") }}</th><th>{{ t("col.budget") }}</th><th class="num">{{ t("col.measured") }}</th><th>{{ t("col.where") }}</th></tr></thead>
    <tbody>
    {% for r in results %}
      {% set status = r.get("status") if r.get("status") in ("pass", "fail", "missing") else "missing" %}
      <tr{% if status != "pass" %} class="slo-no"{% endif %}><td>{{ t("budget." ~ status) }}</td><td class="name mono">{{ r.get("selector", "") }}</td>
        <td class="mono">{{ r.get("aggregation", "") }}{{ r.get("op", "") }}{{ r.get("limit_text", "") }}</td><td class="num">{{ r.get("measured_text", "") }}</td>
        <td class="msg">{{ r.get("where", "") }}{% if status == "missing" %}: {{ r.get("message", "") }}{% endif %}</td></tr>
    {% endfor %}
    </tbody>
  </table>
  <p class="note">{{ t("budgets.note", file=file) }}</p>
</section>
"""


def _budgets_markdown(data: model.ReportData, t: Translator) -> list[str]:
    results = model.gate_results(data)
    breached = sum(1 for r in results if r.get("status") != "pass")
    verdict = t("gate.pass") if (data.gate or {}).get("passed") else t("gate.fail")
    summary = t("gate.summary", verdict=verdict, n=len(results), breached=breached)
    return [f"### {t('budgets')}", "", summary, ""]


BUDGETS = Section(
    id="budgets",
    titles={"en": "Budgets", "zh-CN": "性能预算"},
    reads=("gate.json",),
    html_template=_BUDGETS_HTML,
    markdown=_budgets_markdown,
    visible=lambda data: bool(model.gate_results(data)),
    context=lambda data, t: {
        "results": model.gate_results(data),
        "file": str((data.gate or {}).get("budgets") or ""),
    },
    markdown_escaped=True,
)
