"""The ``>>>`` examples in the docstrings of reports and budgets run."""

from __future__ import annotations

import doctest
import importlib

import pytest

MODULES = (
    "erpcap.reports.i18n",
    "erpcap.reports.formats",
    "erpcap.reports.markdown",
    "erpcap.reports.html",
    "erpcap.reports.console",
    "erpcap.reports.capacity_data",
    "erpcap.reports.capacity_sections",
    "erpcap.reports.evidence",
    "erpcap.analysis.budgets",
    "erpcap.analysis.budget_model",
    "erpcap.analysis.budget_syntax",
    "erpcap.analysis.budget_measure",
)


@pytest.mark.parametrize("name", MODULES)
def test_doctests(name: str) -> None:
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
    assert result.failed == 0


def test_public_api_is_exported() -> None:
    import erpcap.reports as reports

    assert sorted(reports.__all__) == sorted(reports._EXPORTS)
    for name in reports.__all__:
        assert getattr(reports, name) is not None, name
        assert name in dir(reports)
