"""The import stage: an importer's rows into a run directory, with its record in run.json.

``erpcap import`` calls :func:`import_files`. Load results (``writes == "requests"``) make a
new run directory, or fill one that has no requests yet; logs (``writes == "statements"``)
are added to a new or an existing run. Whatever an importer read before a failure or a
``--strict`` refusal stays written: an import never loses data it already took.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

from erpcap.collectors.importers.base import ImportReport, default_importers
from erpcap.errors import BadInput
from erpcap.facts import host_facts, versions
from erpcap.progress import Progress
from erpcap.rundir import RUN_JSON, RunDir, iso


def _open_or_create(out: Path, kind: str, writes: str) -> tuple[RunDir, bool]:
    if (out / RUN_JSON).exists():
        run = RunDir.open(out)
        if writes == "requests" and run.count_rows("requests"):
            raise BadInput(
                f"{out} already holds requests; an import of load results makes its own run",
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
    for path in paths:
        if not path.is_file():
            raise BadInput(f"{path}: no such file", hint="give the files to import")
    importer = cls.create(options or {})
    run, created = _open_or_create(out, kind, cls.writes)
    report = ImportReport(kind, files=[str(p) for p in paths], progress=progress or Progress())
    try:
        importer.read(list(paths), run, report)
    finally:
        rows = run.consolidate(cls.writes) if run.has_table(cls.writes) else 0
        meta = run.read_meta()
        imports = list(meta.get("imports") or [])
        imports.append({**report.to_dict(), "at": iso()})
        changes: dict[str, object] = {"imports": imports}
        if cls.writes == "requests":
            changes["requests"] = rows
        if created and not meta.get("ended_at"):
            changes["ended_at"] = iso()
        run.update_meta(**changes)
        for lack in report.lacks:
            run.add_warning(f"{kind}: {lack}")
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
