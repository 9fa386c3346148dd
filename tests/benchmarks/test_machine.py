"""The benchmarks' docs helpers: the machine's line under every section heading."""

from __future__ import annotations

import doctest
import importlib
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[2] / "benchmarks"


@pytest.fixture(scope="module", autouse=True)
def bench_path() -> Iterator[None]:
    sys.path.insert(0, str(BENCH))  # the benchmarks import each other as top-level modules
    yield
    sys.path.remove(str(BENCH))


@pytest.mark.parametrize("name", ["machine", "docs_section"])
def test_doctests(name: str) -> None:
    result = doctest.testmod(importlib.import_module(name))
    assert result.attempted > 0 and result.failed == 0


def test_probe_and_line_read_this_machine(tmp_path: Path) -> None:
    machine = importlib.import_module("machine").Machine.now()
    assert machine.cores >= 1 and machine.probe_ms > 0 and machine.memory_gib > 0
    docs = tmp_path / "benchmarks.md"
    importlib.import_module("docs_section").replace_section(
        "## X", "## X\nfigure 1\n", docs, machine=machine
    )
    lines = docs.read_text().splitlines()
    assert lines[lines.index("## X") + 2] == machine.line()
    assert f"CPU probe {machine.probe_ms:.0f} ms" in machine.line()
