"""Fixtures of the gate tests: the synthetic runs of tests/reports, loaded by path."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

import pytest

from erpcap.rundir import RunDir


@pytest.fixture(scope="session")
def synthetic() -> ModuleType:
    path = Path(__file__).parent.parent / "reports" / "synthetic.py"
    spec = importlib.util.spec_from_file_location("erpcap_tests_synthetic", path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="session")
def analysed_run(synthetic: ModuleType, tmp_path_factory: pytest.TempPathFactory) -> RunDir:
    """A completed, analysed capacity-ladder run; the gate only reads it."""
    return synthetic.make_run(tmp_path_factory.mktemp("runs") / "ladder")


@pytest.fixture()
def write_budgets(tmp_path: Path):  # noqa: ANN201 - a factory fixture
    """Write a budgets file into tmp_path and return its path."""

    def write(text: str, name: str = "budgets.yaml") -> Path:
        path = tmp_path / name
        path.write_text(text, encoding="utf-8")
        return path

    return write
