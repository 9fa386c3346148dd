"""``erpcap.analysis.budgets`` stays the one import for the gate, whatever module defines what."""

from __future__ import annotations

import ast
import importlib
import inspect

import erpcap.analysis.budgets as budgets

#: The public names of budgets.py before it was split into budget_model, budget_syntax and
#: budget_measure; callers (the CLI, reports, users' scripts) import them from here.
PUBLIC = {
    "EXAMPLE",
    "FAIL",
    "METRICS",
    "MISSING",
    "PASS",
    "TAGS",
    "BudgetResult",
    "Budgets",
    "GateResult",
    "Limit",
    "Measurement",
    "Measurer",
    "MetricSpec",
    "RunMeasurer",
    "Selector",
    "Threshold",
    "check_run",
    "evaluate",
    "format_value",
    "load_budgets",
    "parse_budgets",
    "parse_selector",
    "parse_threshold",
}

PARTS = (
    "erpcap.analysis.budgets",
    "erpcap.analysis.budget_model",
    "erpcap.analysis.budget_syntax",
    "erpcap.analysis.budget_measure",
)


def test_public_names_stay_importable() -> None:
    assert set(budgets.__all__) >= PUBLIC
    for name in budgets.__all__:
        assert getattr(budgets, name) is not None, name


def _defined(module: object) -> set[str]:
    """Public names a module defines at its top level (not those it imports)."""
    tree = ast.parse(inspect.getsource(module))  # type: ignore[arg-type]
    names: set[str] = set()
    for node in tree.body:
        if isinstance(node, ast.FunctionDef | ast.ClassDef):
            names.add(node.name)
        elif isinstance(node, ast.Assign | ast.AnnAssign):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for target in targets:
                for leaf in ast.walk(target):
                    if isinstance(leaf, ast.Name):
                        names.add(leaf.id)
    return {name for name in names if not name.startswith("_")}


def test_every_public_name_of_the_parts_is_re_exported() -> None:
    for part in PARTS:
        module = importlib.import_module(part)
        own = _defined(module)
        missing = own - set(budgets.__all__)
        assert not missing, f"{part} defines {sorted(missing)}, not re-exported by budgets"
        for name in own:
            assert getattr(budgets, name) is getattr(module, name), name
