"""The importer interface: read files another tool wrote, write run-directory tables.

An :class:`Importer` has a ``kind`` (``locust-csv``, ``jmeter-jtl``, ``pg-log``,
``mysql-slow``; the word after ``erpcap import``), the table it ``writes`` (``requests`` for
load results with one row per request, ``load_stats`` for load results that hold only the
tool's own statistics, ``statements`` for server logs; ``also_writes`` names any further
table) and :meth:`Importer.read`, which adds rows to the run directory and counts what it
took and what it skipped in an :class:`ImportReport`. :meth:`Importer.expand` may turn what
the user named into the files to read (Locust's ``--csv`` PREFIX into its files).

Skipping, not failing (STYLE.md, "let the caller choose strictness"): a line that does not
parse is counted under a reason, with the file and line of its first occurrence, and the
import goes on, so that one bad line does not sink a 10 GB log. ``--strict`` turns any skip
into exit code 2 after the import, and the report's one line names the first bad line.

Options: an importer declares ``OPTIONS`` (name → parser of its text, as collectors do);
``erpcap import … --option KEY=VALUE`` sets them (``--log-line-prefix`` is a shorthand for
the PostgreSQL log importer's ``log_line_prefix``).

Files: :func:`open_lines` opens plain or gzip-compressed text (by its magic bytes, not its
name), decodes it as UTF-8, replacing bytes that are not, so that binary garbage becomes
skipped lines rather than a crash, and shows progress on big files.
"""

from __future__ import annotations

import gzip
import io
import time
from abc import ABC, abstractmethod
from collections import Counter
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

from erpcap import plugins
from erpcap.errors import BadInput
from erpcap.progress import Progress
from erpcap.rundir import RunDir

_GZIP_MAGIC = b"\x1f\x8b"
#: Lines between two progress updates on a big file.
PROGRESS_EVERY = 100_000


@dataclass
class ImportReport:
    """What an import took and what it skipped, and why."""

    kind: str
    files: list[str] = field(default_factory=list)
    lines: int = 0  # lines (or records) read
    records: int = 0  # rows written
    skipped: Counter[str] = field(default_factory=Counter)  # reason → count
    first_skip: dict[str, tuple[str, int]] = field(default_factory=dict)  # reason → file, line
    #: Valid lines (or entries) with nothing to import, by reason; not skips (--strict accepts).
    ignored: Counter[str] = field(default_factory=Counter)
    #: What the source cannot give, in words (shown in the report's data quality).
    lacks: list[str] = field(default_factory=list)
    #: Things the user should know that are no skip (columns ignored), one line each; kept
    #: as run warnings and printed by ``erpcap import``.
    warnings: list[str] = field(default_factory=list)
    #: Where long reads show how far they are (the CLI sets it; tests leave it None).
    progress: Progress | None = None

    def skip(self, reason: str, file: str | Path, line: int) -> None:
        """Count one skipped line (or record) under ``reason``."""
        self.skipped[reason] += 1
        self.first_skip.setdefault(reason, (str(file), line))

    def ignore(self, reason: str, count: int = 1) -> None:
        """Count ``count`` valid entries that carry nothing to import, under ``reason``."""
        self.ignored[reason] += count

    @property
    def skipped_total(self) -> int:
        return sum(self.skipped.values())

    def summary(self) -> str:
        """One line: ``imported 120 statements from 2 files; skipped 3 lines (…)``.

        >>> r = ImportReport("pg-log", files=["a.log"], lines=10, records=8)
        >>> r.skip("no duration", "a.log", 4); r.skip("no duration", "a.log", 9)
        >>> r.summary()
        'pg-log: imported 8 rows from 1 file (10 lines read); skipped 2: no duration ×2 (first at a.log:4)'
        >>> r.ignore("checkpoint messages"); r.summary().endswith("; ignored: checkpoint messages ×1")
        True
        """
        files = f"{len(self.files)} file{'s' if len(self.files) != 1 else ''}"
        text = f"{self.kind}: imported {self.records} rows from {files} ({self.lines} lines read)"
        if self.skipped:
            parts = [
                f"{reason} ×{count} (first at {':'.join(map(str, self.first_skip[reason]))})"
                for reason, count in self.skipped.most_common()
            ]
            text += f"; skipped {self.skipped_total}: " + "; ".join(parts)
        if self.ignored:
            text += "; ignored: " + "; ".join(
                f"{reason} ×{count}" for reason, count in self.ignored.most_common()
            )
        return text

    def to_dict(self) -> dict[str, Any]:
        """The record kept in run.json (``imports``)."""
        return {
            "kind": self.kind,
            "files": list(self.files),
            "lines": self.lines,
            "records": self.records,
            "skipped": dict(self.skipped),
            "first_skip": {k: f"{f}:{n}" for k, (f, n) in self.first_skip.items()},
            "ignored": dict(self.ignored),
            "lacks": list(self.lacks),
            "warnings": list(self.warnings),
        }


class Importer(ABC):
    """Reads one format into a run directory. Subclasses implement :meth:`read`."""

    #: The word after ``erpcap import``.
    kind: ClassVar[str] = ""
    #: One line for ``erpcap import --help``.
    summary: ClassVar[str] = ""
    #: The table it adds rows to: ``requests`` (load results), ``load_stats`` (a load tool's
    #: own statistics, without per-request rows) or ``statements`` (logs).
    writes: ClassVar[str] = ""
    #: Further tables it adds rows to (consolidated after the import like ``writes``).
    also_writes: ClassVar[tuple[str, ...]] = ()
    #: Option name → parser of its text (``--option KEY=VALUE``).
    OPTIONS: ClassVar[Mapping[str, Callable[[str], Any]]] = {}

    def __init__(self, **options: Any) -> None:
        self.options = options

    @abstractmethod
    def read(self, paths: Sequence[Path], run: RunDir, report: ImportReport) -> None:
        """Add the rows of ``paths`` to ``run``, counting into ``report``.

        Raise :class:`~erpcap.errors.BadInput` (naming the file and line) only when a file
        cannot be this format at all; count anything less as a skip.
        """

    @classmethod
    def expand(cls, paths: Sequence[Path]) -> list[Path]:
        """The files to read for the ``paths`` the user gave (by default, those paths).

        An importer whose source is a set of files with a common prefix (Locust's ``--csv
        PREFIX``) resolves the prefix here; a name that resolves to nothing is left as it is,
        for the caller to report as missing.
        """
        return list(paths)

    @classmethod
    def create(cls, options: Mapping[str, str]) -> Importer:
        """An importer with ``options`` parsed by :attr:`OPTIONS` (unknown ones refused)."""
        parsed: dict[str, Any] = {}
        for key, text in options.items():
            parser = cls.OPTIONS.get(key)
            if parser is None:
                known = ", ".join(sorted(cls.OPTIONS)) or "none"
                raise BadInput(
                    f"importer {cls.kind}: unknown option {key!r}", hint=f"its options: {known}"
                )
            try:
                parsed[key] = parser(text)
            except BadInput as exc:
                raise BadInput(
                    f"importer {cls.kind}, option {key}: {exc.message}", hint=exc.hint
                ) from exc
        return cls(**parsed)


def default_importers() -> dict[str, type[Importer]]:
    """Every importer of the ``erpcap.importers`` entry points by kind: erpcap's and any
    installed plug-in's, registered the same way."""
    found: dict[str, type[Importer]] = {}
    for name, cls in plugins.load("importers"):
        if not (isinstance(cls, type) and issubclass(cls, Importer) and cls.kind):
            raise plugins.PluginError(
                f"the importers plug-in {name!r} is not an Importer subclass with a kind",
                hint="point the entry point at a subclass of erpcap.collectors.importers.Importer",
            )
        found.setdefault(cls.kind, cls)
    return found


def open_lines(path: Path, report: ImportReport) -> Iterator[tuple[int, str]]:
    """``(line number, text)`` of a text file, plain or gzip (by its magic bytes), without
    line ends; every line read is counted in ``report.lines``, and progress is shown on big
    files when ``report.progress`` is set.

    Bytes that are not UTF-8 become U+FFFD, so a damaged log yields lines that fail to
    parse (and are counted) rather than an exception. A gzip file that ends early keeps the
    lines read before the damage and counts one skip. A file that cannot be opened is
    :class:`BadInput` naming it.
    """
    try:
        raw = path.open("rb")
    except OSError as exc:
        raise BadInput(f"cannot read {path}: {exc.strerror}", hint="check the path") from exc
    size = max(path.stat().st_size, 1)
    number = 0
    started = time.monotonic()
    with raw:
        head = raw.read(2)
        raw.seek(0)
        stream: Any = gzip.GzipFile(fileobj=raw) if head == _GZIP_MAGIC else raw
        text = io.TextIOWrapper(stream, encoding="utf-8", errors="replace", newline="\n")
        try:
            for line in text:
                number += 1
                report.lines += 1
                if report.progress is not None and number % PROGRESS_EVERY == 0:
                    share = raw.tell() / size
                    elapsed = time.monotonic() - started
                    report.progress.status(
                        f"{path.name}: {number:,} lines, {share:.0%} read",
                        elapsed=elapsed,
                        total=elapsed / share if share > 0.01 else 0.0,
                    )
                yield number, line.rstrip("\r\n")
        except (OSError, EOFError) as exc:  # a truncated gzip: what was read stays read
            report.skip(f"compressed file ends early ({exc})", path, number + 1)
