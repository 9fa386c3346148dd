"""The open model's arrival schedule (issue 11: being built)."""

from __future__ import annotations

from erpcap.errors import BadInput
from erpcap.scenarios.shapes import Shape


def rate_from_args(
    text: str, *, users: int | None = None, duration: str | float | None = None
) -> tuple[str, Shape]:
    """The schedule's JSON for ``ERPCAP_RATE`` and the shape of the user pool."""
    raise BadInput(f"--rate {text}: the open model is not built yet")
