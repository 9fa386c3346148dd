"""Fixtures of the report tests: analysed synthetic run directories (see synthetic.py)."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

import pytest

from erpcap.rundir import RunDir


def load_synthetic() -> ModuleType:
    """tests/reports/synthetic.py, loaded by path (tests are not a package)."""
    path = Path(__file__).with_name("synthetic.py")
    spec = importlib.util.spec_from_file_location("erpcap_tests_synthetic", path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="session")
def synthetic() -> ModuleType:
    return load_synthetic()


@pytest.fixture(scope="session")
def analysed_run(synthetic: ModuleType, tmp_path_factory: pytest.TempPathFactory) -> RunDir:
    """A completed, analysed capacity-ladder run (shared: tests copy it before writing)."""
    return synthetic.make_run(tmp_path_factory.mktemp("runs") / "ladder")


@pytest.fixture()
def run_copy(analysed_run: RunDir, tmp_path: Path) -> RunDir:
    """A private copy of :func:`analysed_run` that a test may write reports into."""
    import shutil

    target = tmp_path / "ladder"
    shutil.copytree(analysed_run.path, target)
    return RunDir.open(target)
