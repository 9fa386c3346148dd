"""erpcap's exceptions: one base, structured fields, one line for the user.

The tree::

    ErpcapError                 any failure erpcap reports without a traceback
    ├── BadInput                the user's input is wrong (exit code 2)
    │   ├── RunDirError         a folder is not a usable run directory
    │   └── BudgetError         a budgets file does not parse
    ├── TargetError             the target cannot be reached or started (exit code 2)
    └── StageError              a stage failed on valid input (exit code 1)

Every error renders as one line: ``where: what (how to fix)``, where ``where`` is
``file:line`` when the input is a file. The line never shows a secret: passwords in URLs and
secret query values are replaced by ``***`` (:func:`erpcap.redact.redact_url`).
"""

from __future__ import annotations

from pathlib import Path

from erpcap.redact import redact_url


class ErpcapError(Exception):
    """An error erpcap reports as one line, with an exit code."""

    exit_code = 1

    def __init__(
        self,
        message: str,
        *,
        path: str | Path | None = None,
        line: int | None = None,
        hint: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.path = str(path) if path is not None else None
        self.line = line
        self.hint = hint

    def one_line(self) -> str:
        """The message as the CLI prints it.

        >>> BadInput("unknown scenario 'x'", hint="use one of: peak-order").one_line()
        "unknown scenario 'x' (use one of: peak-order)"
        >>> BadInput("expected a list", path="b.yaml", line=3).one_line()
        'b.yaml:3: expected a list'
        >>> TargetError("cannot reach http://admin:pw@10.0.0.5/").one_line()
        'cannot reach http://admin:***@10.0.0.5/'
        >>> BadInput("a message a library wrote\\n  over two lines").one_line()
        'a message a library wrote over two lines'
        """
        where = ""
        if self.path is not None:
            where = f"{self.path}:{self.line}: " if self.line is not None else f"{self.path}: "
        hint = f" ({self.hint})" if self.hint else ""
        return redact_url(" ".join(f"{where}{self.message}{hint}".split()))

    def __str__(self) -> str:
        return self.one_line()


class BadInput(ErpcapError):
    """The user's input is wrong: a file, an argument, a name."""

    exit_code = 2


class RunDirError(BadInput):
    """A folder is not a run directory, or one erpcap cannot read."""


class BudgetError(BadInput):
    """A budgets file is malformed."""


class TargetError(ErpcapError):
    """The target cannot be reached, or a server cannot be started (port in use)."""

    exit_code = 2


class StageError(ErpcapError):
    """A stage failed on valid input."""
