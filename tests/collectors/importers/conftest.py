"""Fixtures of the importer tests: ``erpcap import`` as a user runs it."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable

import pytest

ImportCli = Callable[..., subprocess.CompletedProcess[str]]


@pytest.fixture(scope="session")
def import_cli() -> ImportCli:
    """``erpcap import ARGS…`` in a child process; its result (text output)."""

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "erpcap", "import", *args],
            capture_output=True, text=True, timeout=120,
        )  # fmt: skip

    return run


@pytest.fixture(scope="session")
def one_line() -> Callable[[subprocess.CompletedProcess[str]], str]:
    """The one line a failed command printed: no traceback, nothing else."""

    def line(result: subprocess.CompletedProcess[str]) -> str:
        assert "Traceback" not in result.stderr, result.stderr
        lines = [text for text in result.stderr.splitlines() if text.strip()]
        assert len(lines) == 1, result.stderr
        return lines[0]

    return line
