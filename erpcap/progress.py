"""Progress for long work: a live line on a terminal, plain lines in a log or CI."""

from __future__ import annotations

import sys
import time
from typing import TextIO

from erpcap.redact import redact_url

__all__ = ["Progress", "timing"]


def _clock(seconds: float) -> str:
    seconds = max(0, int(seconds))
    return f"{seconds // 60:d}:{seconds % 60:02d}"


def timing(elapsed: float, total: float) -> str:
    """``elapsed/total`` as a clock; past the planned total, the overrun is shown apart.

    >>> timing(12, 30), timing(33.4, 30), timing(75, 0)
    ('0:12/0:30', '0:30/0:30 +0:03', '1:15')
    """
    if not total:
        return _clock(elapsed)
    if elapsed <= total:
        return f"{_clock(elapsed)}/{_clock(total)}"
    return f"{_clock(total)}/{_clock(total)} +{_clock(elapsed - total)}"


class Progress:
    """Shows what a stage is doing.

    On a terminal the status line is redrawn in place; elsewhere (CI, a pipe) a line is
    printed when the message changes and at most every ``every_s`` seconds otherwise, so
    logs stay short but show that work goes on.
    """

    def __init__(self, stream: TextIO | None = None, every_s: float = 10.0) -> None:
        self._stream = stream or sys.stderr
        self._tty = self._stream.isatty()
        self._every = every_s
        self._last_key = ""
        self._last_print = 0.0
        self._live = False

    def stage(self, message: str) -> None:
        """A new stage: always printed on its own line."""
        self._end_live()
        print(f"erpcap: {redact_url(message)}", file=self._stream, flush=True)

    def status(
        self, message: str, *, key: str = "", elapsed: float = 0.0, total: float = 0.0
    ) -> None:
        """The current state of a long stage; ``key`` changing forces a plain line."""
        line = f"  [{timing(elapsed, total)}] {redact_url(message)}"
        now = time.monotonic()
        if self._tty:
            self._stream.write("\r\x1b[2K" + line)
            self._stream.flush()
            self._live = True
            return
        if key != self._last_key or now - self._last_print >= self._every:
            print(line, file=self._stream, flush=True)
            self._last_key = key
            self._last_print = now

    def _end_live(self) -> None:
        if self._live:
            self._stream.write("\n")
            self._stream.flush()
            self._live = False

    def done(self, message: str) -> None:
        self._end_live()
        print(f"erpcap: {redact_url(message)}", file=self._stream, flush=True)
