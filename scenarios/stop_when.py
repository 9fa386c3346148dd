"""``--stop-when`` expressions (issue 11: being built)."""

from __future__ import annotations

from erpcap.errors import BadInput


def parse_stop_when(text: str) -> object:
    raise BadInput(f"--stop-when {text!r}: not built yet")
