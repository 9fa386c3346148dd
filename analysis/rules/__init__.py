"""Rules: each turns the computed statistics into findings with evidence, a fix, and its words.

A rule is a plain function ``rule(ctx: Context) -> Iterable[Finding]`` that makes its
findings from a :class:`~erpcap.findings.FindingKind` it declares, with message templates
in English and Chinese (``erpcap/findings.py``). The defaults, one module per subject, are
:data:`DEFAULT_RULES`, registered as entry points of ``erpcap.rules`` in pyproject.toml the
way a plug-in registers its own (:func:`registered_rules`, erpcap/plugins.py); a caller may
also pass its own tuple to :func:`erpcap.analysis.analyze_run`. A plug-in's findings reach
the report in its own words.

==================  =======================================================================
module              rules
==================  =======================================================================
``run``             ``run.incomplete``, ``data.few_samples``
``failures``        ``errors.rate_high`` (advice by cause)
``latency``         ``latency.p95_over_target``, ``slo.transaction_missed``
``capacity``        ``capacity.saturated``, ``load.light``
``capacity_model``  ``capacity.knee``, ``capacity.usl``, ``load.generator_limit``,
                    ``capacity.unsteady_step``
``bottleneck``      ``bottleneck.<kind>``, ``bottleneck.unknown``, ``host.noisy_neighbour``
``resources``       ``resources.host_cpu_high``, ``generator.saturated``
``arrivals``        ``load.schedule_missed`` (the open model: dropped or late arrivals)
==================  =======================================================================
"""

from __future__ import annotations

from erpcap import plugins
from erpcap.analysis.rules.arrivals import schedule_missed
from erpcap.analysis.rules.base import MIN_SAMPLES, Context, Rule, Slo
from erpcap.analysis.rules.bottleneck import bottleneck, noisy_neighbour
from erpcap.analysis.rules.capacity import light_load, saturation
from erpcap.analysis.rules.capacity_model import generator_limit, knee, unsteady_steps, usl
from erpcap.analysis.rules.failures import error_rate, main_cause
from erpcap.analysis.rules.latency import slow_transactions
from erpcap.analysis.rules.resources import generator_busy, host_cpu
from erpcap.analysis.rules.run import incomplete_run, thin_samples

#: erpcap's own rules, in the order pyproject.toml registers them (erpcap.rules).
DEFAULT_RULES: tuple[Rule, ...] = (
    incomplete_run,
    error_rate,
    slow_transactions,
    saturation,
    light_load,
    knee,
    usl,
    generator_limit,
    unsteady_steps,
    bottleneck,
    host_cpu,
    generator_busy,
    noisy_neighbour,
    schedule_missed,
    thin_samples,
)


def registered_rules() -> tuple[Rule, ...]:
    """Every rule of the ``erpcap.rules`` entry points — erpcap's own and any plug-in's —
    in the order of their names (erpcap/plugins.py)."""
    found = []
    for name, rule in plugins.load("rules"):
        if not callable(rule):
            raise plugins.PluginError(f"the rules plug-in {name!r} is not a function")
        found.append(rule)
    return tuple(found)


__all__ = [
    "DEFAULT_RULES",
    "MIN_SAMPLES",
    "Context",
    "Rule",
    "Slo",
    "main_cause",
    "registered_rules",
]
