"""The architecture of DESIGN.md, kept true by tests: who may import what."""

from __future__ import annotations

import ast
import doctest
import importlib
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
#: Folder on disk → import name (pyproject's package-dir mapping).
PACKAGES = {
    "erpcap": "erpcap",
    "scenarios": "erpcap.scenarios",
    "collectors": "erpcap.collectors",
    "analysis": "erpcap.analysis",
    "reports": "erpcap.reports",
    "reference_erp": "erpcap.reference_erp",
}


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
    return found


def _modules(folder: str) -> list[Path]:
    return sorted((ROOT / folder).rglob("*.py"))


def test_reference_erp_imports_nothing_of_the_toolkit():
    for path in _modules("reference_erp"):
        bad = {
            m
            for m in _imports(path)
            if m.startswith("erpcap") and not m.startswith("erpcap.reference_erp")
        }
        assert not bad, f"{path.relative_to(ROOT)} imports {bad}"


@pytest.mark.parametrize("folder", ["erpcap", "collectors", "analysis", "reports"])
def test_only_scenarios_may_import_locust(folder):
    for path in _modules(folder):
        bad = {m for m in _imports(path) if m.split(".")[0] in ("locust", "gevent")}
        assert not bad, f"{path.relative_to(ROOT)} imports {bad}"


def test_stages_do_not_import_each_other():
    stages = {
        "analysis": "erpcap.analysis",
        "reports": "erpcap.reports",
        "collectors": "erpcap.collectors",
        "scenarios": "erpcap.scenarios",
    }
    allowed: dict[str, set[str]] = {}  # no exception: stages meet only in the run directory
    for folder, own in stages.items():
        for path in _modules(folder):
            for module in _imports(path):
                other = next((name for name in stages.values() if module.startswith(name)), None)
                if other and other != own and other not in allowed.get(folder, set()):
                    pytest.fail(f"{path.relative_to(ROOT)} imports {module}")


def test_the_cli_never_loads_locust():
    code = (
        "import sys, erpcap.cli, erpcap.pipeline, erpcap.demo, erpcap.scenarios.catalog, "
        "erpcap.scenarios.launch, erpcap.collectors.base\n"
        "erpcap.cli.build_parser()\n"
        "bad = [m for m in ('locust', 'gevent') if m in sys.modules]\n"
        "sys.exit(1 if bad else 0)"
    )
    assert subprocess.run([sys.executable, "-c", code], timeout=60).returncode == 0


def _doctest_modules() -> list[str]:
    names = []
    for folder, package in PACKAGES.items():
        for path in _modules(folder):
            source = path.read_text(encoding="utf-8")
            if ">>>" not in source or "import locust" in source or "from locust" in source:
                continue
            rel = path.relative_to(ROOT / folder).with_suffix("")
            parts = [p for p in rel.parts if p != "__init__"]
            names.append(".".join([package, *parts]))
    return names


@pytest.mark.parametrize("module", _doctest_modules())
def test_docstring_examples_run(module):
    result = doctest.testmod(importlib.import_module(module), optionflags=doctest.ELLIPSIS)
    assert result.failed == 0


def test_every_folder_that_ships_is_a_declared_package():
    """setuptools warns (and may drop files) for a folder inside a package that is not in
    pyproject's ``packages``: every such folder must be declared, with its data."""
    import tomllib

    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]
    declared = set(config["setuptools"]["packages"])
    for folder, name in PACKAGES.items():
        for sub in (ROOT / folder).rglob("*"):
            if not sub.is_dir() or sub.name.startswith((".", "__")):
                continue
            dotted = ".".join([name, *sub.relative_to(ROOT / folder).parts])
            assert dotted in declared, f"{dotted} is not in pyproject's packages"
            data = [f for f in sub.iterdir() if f.is_file() and f.suffix not in (".py", ".pyc")]
            if data:
                assert dotted in config["setuptools"]["package-data"], f"{dotted}: no package-data"
