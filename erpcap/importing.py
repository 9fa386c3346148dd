"""The import stage: an importer's rows into a run directory, with its record in run.json.

``erpcap import`` calls :func:`import_files`. Load results (an importer that writes
``requests`` or ``load_stats``) make a new run directory, or fill one that holds no load
results yet; logs (``writes == "statements"``) are added to a new or an existing run.
Whatever an importer read before a failure or a ``--strict`` refusal stays written: an
import never loses data it already took.
"""

from __future__ import annotations

import contextlib
from collections.abc import Mapping, Sequence
from pathlib import Path

from erpcap.collectors.importers.base import ImportReport, default_importers
from erpcap.errors import BadInput
from erpcap.facts import host_facts, versions
from erpcap.progress import Progress
from erpcap.rundir import EVENTS, RUN_JSON, RunDir, iso

#: The tables that hold a run's load results: one import of load results per run directory.
LOAD_TABLES = ("requests", "load_stats")


def _open_or_create(out: Path, kind: str, tables: Sequence[str]) -> tuple[RunDir, bool]:
    if (out / RUN_JSON).exists():
        run = RunDir.open(out)
        if any(t in LOAD_TABLES for t in tables):
            held = [t for t in LOAD_TABLES if run.count_rows(t)]
            if held:
                raise BadInput(
                    f"{out} already holds load results ({held[0]}); an import of load "
                    "results makes its own run",
                    hint="give a new folder to --out",
                )
        return run, False
    run = RunDir.create(
        out,
        status="completed",
        scenario=f"imported ({kind})",
        source={"imported": kind},
        versions=versions(),
        host=host_facts(),
    )
    return run, True


def import_files(
    kind: str,
    paths: Sequence[Path],
    out: Path,
    *,
    options: Mapping[str, str] | None = None,
    strict: bool = False,
    progress: Progress | None = None,
) -> ImportReport:
    """Import ``paths`` of format ``kind`` into the run directory ``out``."""
    importers = default_importers()
    cls = importers.get(kind)
    if cls is None:
        raise BadInput(
            f"unknown import kind {kind!r}", hint=f"use one of: {', '.join(sorted(importers))}"
        )
    paths = cls.expand(paths)
    for path in paths:
        if not path.is_file():
            raise BadInput(f"{path}: no such file", hint="give the files to import")
    importer = cls.create(options or {})
    tables = (cls.writes, *cls.also_writes)
    run, created = _open_or_create(out, kind, tables)
    report = ImportReport(kind, files=[str(p) for p in paths], progress=progress or Progress())
    try:
        importer.read(list(paths), run, report)
    except BaseException:
        if created and not any(run.has_table(t) for t in tables):
            _discard(run, tables)  # nothing was taken: leave no empty run behind
            raise
        _record(run, tables, report, created)
        raise
    _record(run, tables, report, created)
    if strict and report.skipped:
        reason, count = report.skipped.most_common(1)[0]
        file, line = report.first_skip[reason]
        raise BadInput(
            f"{report.skipped_total} lines skipped ({reason} ×{count}); the rest was imported",
            path=file,
            line=line,
            hint="fix or remove the line, or import without --strict",
        )
    return report


def _record(run: RunDir, tables: Sequence[str], report: ImportReport, created: bool) -> None:
    """Consolidate what was written and keep the import's record in run.json."""
    counts = {t: run.consolidate(t) for t in tables if run.has_table(t)}
    meta = run.read_meta()
    imports = list(meta.get("imports") or [])
    imports.append({**report.to_dict(), "at": iso()})
    changes: dict[str, object] = {"imports": imports}
    if "requests" in tables:
        changes["requests"] = counts.get("requests", 0)
    if created and not meta.get("ended_at"):
        changes["ended_at"] = iso()
    run.update_meta(**changes)
    for note in (*report.warnings, *report.lacks):
        run.add_warning(f"{report.kind}: {note}")


def _discard(run: RunDir, tables: Sequence[str]) -> None:
    """Remove the files of a run directory this import created and filled with nothing."""
    for name in (RUN_JSON, EVENTS):
        with contextlib.suppress(OSError):
            (run.path / name).unlink(missing_ok=True)
    for table in tables:
        with contextlib.suppress(OSError):
            (run.path / table).rmdir()  # a part writer's folder, empty
    with contextlib.suppress(OSError):
        run.path.rmdir()  # only when empty: a folder the user filled stays
