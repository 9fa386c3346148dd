"""The run directory: the one contract between erpcap's stages.

A run directory holds ``run.json`` (what ran, where, with what), tables in Parquet
(``requests``, ``metrics``, ``intervals``, ...), ``events.jsonl`` and the outputs
(``findings.json``, ``report.html``, ``summary.md``, ``junit.xml``). The layout is documented
in docs/run-directory.md.

Live writers never rewrite a file in place: a table grows as part files
(``requests/part-<pid>-<seq>.parquet``), each written to a temporary name and renamed, so a
killed run keeps every part it flushed, and a reader sees the union of the consolidated
table and any parts. :meth:`RunDir.consolidate` later merges the parts into one file.
While the run lasts, :func:`erpcap.compaction.compact` merges small parts into
``merged-*.parquet`` files that name the parts they replace (:data:`MERGED_KEY`); a reader
ignores a part that a merged file names, so a compaction killed at any point neither loses
nor doubles a row.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import os
import re
import threading
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from erpcap.errors import RunDirError
from erpcap.textfile import read_text
from erpcap.types import COLUMN_DEFAULTS, DERIVED_DEFAULTS, SCHEMA_VERSION, TABLE_SCHEMAS

RUN_JSON = "run.json"
#: The link, next to the run folders, that names the newest run (``runs/latest``).
LATEST = "latest"
EVENTS = "events.jsonl"
FINDINGS = "findings.json"
#: The outcome of ``erpcap gate`` (docs/budgets.md); reports show it when it is current.
GATE = "gate.json"
#: The recorded tables an analysis reads; findings.json notes their state (``inputs``).
#: ``load_stats`` (1.2) holds an imported load tool's own statistics.
INPUT_TABLES = ("requests", "metrics", "load_stats", "sql_stats", "statements")
#: How ``inputs`` records a table that has no file (and how a findings.json written before
#: a table was an input is read: it had none).
_NO_FILES: dict[str, Any] = {"rows": 0, "files": []}

_SAFE_NAME = re.compile(r"[^A-Za-z0-9._-]+")
#: Parquet metadata key of a merged part: the ``[name, size]`` of every file it replaces.
MERGED_KEY = b"erpcap.merged_from"
#: Name prefix of the part files that compaction writes (erpcap/compaction.py).
MERGED_PREFIX = "merged-"
_WRITER_NUMBERS = itertools.count(1)


def utcnow() -> datetime:
    """The current time, timezone-aware UTC."""
    return datetime.now(UTC)


def iso(ts: datetime | None = None) -> str:
    """An ISO 8601 UTC timestamp with microseconds.

    >>> iso(datetime(2026, 11, 25, 10, 0, tzinfo=UTC))
    '2026-11-25T10:00:00.000000Z'
    """
    ts = ts or utcnow()
    return ts.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def run_folder_name(label: str, when: datetime | None = None) -> str:
    """The folder name of a new run: its UTC start and a label.

    >>> run_folder_name("peak order!", datetime(2026, 11, 25, 10, 0, tzinfo=UTC))
    '2026-11-25T10-00-00_peak-order'
    """
    when = when or utcnow()
    safe = _SAFE_NAME.sub("-", label).strip("-") or "run"
    return f"{when.astimezone(UTC).strftime('%Y-%m-%dT%H-%M-%S')}_{safe}"


def _write_atomic(path: Path, data: bytes) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)


def _major(version: str) -> int:
    try:
        return int(str(version).split(".", 1)[0])
    except ValueError:
        return -1


class PartWriter:
    """Buffers rows of one table and flushes them as Parquet part files.

    Thread-safe. ``flush()`` is cheap when the buffer is empty; callers flush on a timer
    (every few seconds) and once more at the end.
    """

    def __init__(
        self, folder: Path, schema: pa.Schema, prefix: str = "part", table: str = ""
    ) -> None:
        self._folder = folder
        self._schema = schema
        self._table = table
        # Several writers of one table may live in one process (two collectors): each has
        # its own number, so their part files never share a name.
        self._prefix = f"{prefix}-{os.getpid()}-{next(_WRITER_NUMBERS)}"
        self._rows: list[Mapping[str, Any]] = []
        self._seq = 0
        self._lock = threading.Lock()
        self.rows_written = 0
        folder.mkdir(parents=True, exist_ok=True)

    def append(self, row: Mapping[str, Any]) -> None:
        with self._lock:
            self._rows.append(row)

    def extend(self, rows: Iterable[Mapping[str, Any]]) -> None:
        with self._lock:
            self._rows.extend(rows)

    @property
    def pending(self) -> int:
        return len(self._rows)

    def flush(self) -> int:
        """Write the buffered rows as one part file; return how many were written."""
        with self._lock:
            rows, self._rows = self._rows, []
            if not rows:
                return 0
            self._seq += 1
            seq = self._seq
        present = _without_missing(self._schema, self._table, rows[0].keys())
        return self._write(pa.Table.from_pylist(list(rows), schema=present), seq)

    def write_table(self, data: pa.Table) -> int:
        """Write ``data``, rows already in columns, as one part file now (the buffered rows
        wait for :meth:`flush`); return how many rows it held.

        For a writer that builds its columns itself (the request recorder): no row
        becomes a dict. ``data`` has the schema's columns, or those of an older minor version.
        """
        if data.num_rows == 0:
            return 0
        with self._lock:
            self._seq += 1
            seq = self._seq
        return self._write(data, seq)

    def _write(self, data: pa.Table, seq: int) -> int:
        table = _conform(data, self._schema, self._table)
        final = self._folder / f"{self._prefix}-{seq:06d}.parquet"
        tmp = final.with_name(f".{final.name}.tmp")
        pq.write_table(table, tmp)
        os.replace(tmp, final)
        self.rows_written += table.num_rows
        return int(table.num_rows)


class RunDir:
    """A run directory on disk. Create one with :meth:`create`, read one with :meth:`open`."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._events_lock = threading.Lock()
        # run.json is read, changed and rewritten; collector threads add warnings while the
        # pipeline writes the status, so every read-modify-write holds this lock.
        self._meta_lock = threading.RLock()
        self._row_counts: dict[tuple[str, int, int], int] = {}
        #: What each merged part replaces; a merged part never changes once renamed.
        self._merged: dict[str, frozenset[tuple[str, int]]] = {}

    def __repr__(self) -> str:
        return f"RunDir({str(self.path)!r})"

    # -- creation and opening -------------------------------------------------------------

    @classmethod
    def create(cls, path: str | Path, **meta: Any) -> RunDir:
        """Make a new run directory at ``path`` (which must not hold a run yet)."""
        folder = Path(path)
        if (folder / RUN_JSON).exists():
            raise RunDirError(f"{folder} already holds a run", hint="choose another --out folder")
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise RunDirError(
                f"cannot create run directory {folder}: {exc.strerror}",
                hint="check the path and its permissions",
            ) from exc
        run = cls(folder)
        now = iso()
        doc: dict[str, Any] = {
            "schema_version": SCHEMA_VERSION,
            "id": folder.name,
            "created_at": now,
            "started_at": None,
            "ended_at": None,
            "status": "running",
            "warnings": [],
        }
        doc.update(meta)
        run.write_meta(doc)
        return run

    @classmethod
    def create_in(cls, parent: str | Path, label: str, **meta: Any) -> RunDir:
        """Make a new run directory named after the time and ``label`` inside ``parent``."""
        name = run_folder_name(label)
        folder = Path(parent) / name
        n = 1
        while folder.exists():
            n += 1
            folder = Path(parent) / f"{name}-{n}"
        run = cls.create(folder, **meta)
        _point_latest(Path(parent), folder.name)
        return run

    @classmethod
    def open(cls, path: str | Path) -> RunDir:
        """Open an existing run directory, checking that this erpcap can read it."""
        folder = Path(path)
        if not folder.is_dir():
            raise RunDirError(
                f"{folder}: no such folder", hint="give the folder that `erpcap run` printed"
            )
        meta_path = folder / RUN_JSON
        if not meta_path.is_file():
            raise RunDirError(
                f"{folder}: not a run directory (no {RUN_JSON})",
                hint="give the folder that `erpcap run` or `erpcap demo` printed",
            )
        run = cls(folder)
        meta = run.read_meta()
        version = str(meta.get("schema_version", ""))
        major = _major(version)
        if major < 0:
            raise RunDirError(
                f"schema_version {version!r} is not a version",
                path=meta_path,
                hint="the run.json was edited or damaged",
            )
        if major > _major(SCHEMA_VERSION):
            raise RunDirError(
                f"run directory schema {version} is newer than this erpcap reads "
                f"({SCHEMA_VERSION})",
                path=meta_path,
                hint="upgrade erpcap",
            )
        return run

    # -- run.json ---------------------------------------------------------------------------

    def read_meta(self) -> dict[str, Any]:
        meta_path = self.path / RUN_JSON
        text = read_text(meta_path, "run", error=RunDirError)
        try:
            doc = json.loads(text)
        except json.JSONDecodeError as exc:
            raise RunDirError(
                f"not valid JSON: {exc.msg}", path=meta_path, line=exc.lineno
            ) from exc
        if not isinstance(doc, dict):
            raise RunDirError("expected a JSON object", path=meta_path, line=1)
        return doc

    def write_meta(self, doc: Mapping[str, Any]) -> None:
        data = json.dumps(doc, indent=2, sort_keys=False, default=str).encode()
        with self._meta_lock:
            _write_atomic(self.path / RUN_JSON, data + b"\n")

    def update_meta(self, **changes: Any) -> dict[str, Any]:
        with self._meta_lock:
            doc = self.read_meta()
            doc.update(changes)
            self.write_meta(doc)
            return doc

    def add_warning(self, message: str) -> None:
        """Record a warning in run.json and events.jsonl."""
        with self._meta_lock:
            doc = self.read_meta()
            warnings = list(doc.get("warnings") or [])
            if message not in warnings:
                warnings.append(message)
            doc["warnings"] = warnings
            self.write_meta(doc)
        self.event("warning", message=message)

    # -- events.jsonl -------------------------------------------------------------------

    def event(self, kind: str, **fields: Any) -> dict[str, Any]:
        """Append one event line; safe across threads and (O_APPEND) processes."""
        record = {"ts": iso(), "kind": kind, **fields}
        line = (json.dumps(record, default=str) + "\n").encode()
        with self._events_lock:
            fd = os.open(self.path / EVENTS, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
            try:
                os.write(fd, line)
            finally:
                os.close(fd)
        return record

    def read_events(self) -> list[dict[str, Any]]:
        """The events in order; a torn or damaged line (a killed writer) is skipped."""
        path = self.path / EVENTS
        if not path.exists():
            return []
        events = []
        for raw in path.read_bytes().splitlines():
            if not raw.strip():
                continue
            try:
                event = json.loads(raw.decode("utf-8"))
            except (UnicodeDecodeError, json.JSONDecodeError):
                continue
            if isinstance(event, dict):
                events.append(event)
        return events

    # -- tables ---------------------------------------------------------------------------

    def part_writer(self, table: str) -> PartWriter:
        """A writer that adds part files to ``table`` (one of TABLE_SCHEMAS)."""
        return PartWriter(self.path / table, _schema(table), table=table)

    def _parts(self, table: str) -> list[Path]:
        """The part files of ``table`` that hold rows no other file holds: every visible part
        less those a merged part replaces (left behind by a compaction that was killed)."""
        folder = self.path / table
        if not folder.is_dir():
            return []
        files = sorted(p for p in folder.glob("*.parquet") if not p.name.startswith("."))
        replaced: set[tuple[str, int]] = set()
        for file in files:
            if file.name.startswith(MERGED_PREFIX):
                replaced |= self.merged_from(file)
        if not replaced:
            return files
        live = []
        for file in files:
            try:
                if (file.name, file.stat().st_size) not in replaced:
                    live.append(file)
            except OSError:
                continue  # removed meanwhile: a compaction finishing
        return live

    def all_parts(self, table: str) -> list[Path]:
        """Every visible part file of ``table``, replaced ones included."""
        folder = self.path / table
        if not folder.is_dir():
            return []
        return sorted(p for p in folder.glob("*.parquet") if not p.name.startswith("."))

    def merged_from(self, file: Path) -> frozenset[tuple[str, int]]:
        """The ``(name, size)`` of each file a merged part replaces (empty for other files).

        Name and size, so that a later part that reuses a name (a new process with a
        recycled pid) is not mistaken for the one that was merged.
        """
        key = str(file)
        if key not in self._merged:
            try:
                meta = pq.read_schema(file).metadata or {}
                listed = json.loads(meta.get(MERGED_KEY, b"[]"))
                self._merged[key] = frozenset((str(n), int(size)) for n, size in listed)
            except (pa.ArrowInvalid, OSError, ValueError, TypeError):
                return frozenset()
        return self._merged[key]

    def has_table(self, table: str) -> bool:
        return (self.path / f"{table}.parquet").exists() or bool(self._parts(table))

    def read_table(self, table: str) -> pd.DataFrame:
        """The whole table: the consolidated file plus any parts; empty if there is none.

        A part that cannot be read (a run killed mid-write leaves only ``.tmp`` files, which
        are ignored) is reported as a RunDirError naming it.
        """
        return self.read_columns(table, None, compact=False)

    def read_columns(
        self, table: str, columns: Sequence[str] | None, *, compact: bool = True
    ) -> pd.DataFrame:
        """``columns`` of ``table`` (all when None), read as :meth:`read_table` reads it.

        ``compact``: text columns come as pandas categoricals (each distinct text held once,
        a small integer per row), so that millions of requests fit in memory; the values and
        their order are those :meth:`read_table` gives. The frame is built column by column
        from Arrow's memory, some columns sharing it: read it, or copy it before changing it
        in place.
        """
        schema = _schema(table)
        if columns is not None:
            schema = pa.schema([schema.field(c) for c in columns])
        if compact:
            schema = _dictionary_strings(schema)
        data = self._read_arrow(table, schema)
        if not compact:
            whole: pd.DataFrame = data.to_pandas()
            return whole
        frame: pd.DataFrame = data.to_pandas(self_destruct=True, split_blocks=True)
        del data  # each Arrow column was freed as it was converted
        # Arrow's allocator keeps what it freed for reuse; the analysis that follows allocates
        # with NumPy, so give it back (hundreds of MB for millions of requests)
        pa.default_memory_pool().release_unused()
        return frame

    def _read_arrow(self, table: str, schema: pa.Schema) -> pa.Table:
        """The consolidated file plus the parts of ``table``, in ``schema``."""
        for attempt in range(3):
            try:
                return self._read_files(table, schema)
            except FileNotFoundError:
                if attempt == 2:  # parts merged away while they were read, three times
                    raise
        raise AssertionError("unreachable")

    def _read_files(self, table: str, schema: pa.Schema) -> pa.Table:
        pieces: list[pa.Table] = []
        files = []
        main = self.path / f"{table}.parquet"
        if main.exists():
            files.append(main)
        files.extend(self._parts(table))
        for file in files:
            try:
                pieces.append(_conform(_read_file(file, schema, table), schema, table))
            except FileNotFoundError:
                raise  # merged by a compaction meanwhile: read_table lists again
            except (pa.ArrowInvalid, OSError) as exc:
                hint = (
                    "this file holds the whole table: restore it from a copy, or re-run; "
                    "removing it leaves the run without these rows"
                    if file == main
                    else "move the damaged part aside; the other parts still hold the data"
                )
                raise RunDirError(f"cannot read table file: {exc}", path=file, hint=hint) from exc
        return pa.concat_tables(pieces) if pieces else schema.empty_table()

    def write_table(self, table: str, frame: pd.DataFrame) -> Path:
        """Replace ``table`` with ``frame`` (used for derived tables such as intervals)."""
        schema = _schema(table)
        present = _without_missing(schema, table, frame.columns)
        arrow = _conform(
            pa.Table.from_pandas(frame, schema=present, preserve_index=False), schema, table
        )
        path = self.path / f"{table}.parquet"
        tmp = path.with_name(f".{path.name}.tmp")
        pq.write_table(arrow, tmp)
        os.replace(tmp, path)
        return path

    def consolidate(self, table: str) -> int:
        """Merge the part files of ``table`` into ``<table>.parquet``; return the row count.

        The merged file is written under a temporary name and renamed once complete; the
        parts are removed right after. Only a crash inside that last step can leave a part
        next to the merged file that already holds its rows.
        """
        parts = self._parts(table)
        if not parts:
            main = self.path / f"{table}.parquet"
            return pq.read_metadata(main).num_rows if main.exists() else 0
        schema = _schema(table)
        # Arrow only, text dictionary-encoded: millions of rows without a Python object each
        data = self._read_arrow(table, _dictionary_strings(schema))
        key = next((k for k in ("start", "ts") if k in schema.names), None)
        order = pc.sort_indices(data, sort_keys=[(key, "ascending")]) if key else None
        path = self.path / f"{table}.parquet"
        tmp = path.with_name(f".{path.name}.tmp")
        with pq.ParquetWriter(tmp, schema) as writer:
            for lo in range(0, data.num_rows, CONSOLIDATE_ROWS):
                # a stable sort: rows of one start time keep the order they were read in
                rows = (
                    data.slice(lo, CONSOLIDATE_ROWS)
                    if order is None
                    else data.take(order.slice(lo, CONSOLIDATE_ROWS))
                )
                writer.write_table(rows.cast(schema))
        os.replace(tmp, path)
        count = int(data.num_rows)
        del data, order
        pa.default_memory_pool().release_unused()
        live = set(parts)
        leftovers = [p for p in self.all_parts(table) if p not in live]
        for part in leftovers + parts:  # replaced leftovers first: they must not outlive
            part.unlink(missing_ok=True)  # the merged parts that hide them
        folder = self.path / table
        with contextlib.suppress(OSError):
            folder.rmdir()
        return count

    def count_rows(self, table: str) -> int:
        """Rows in ``table`` from Parquet footers only (cheap; for progress displays).

        A part file never changes once renamed into place, so its count is read once and
        remembered: polling a long run (thousands of parts) reads only the new footers.
        The consolidated file is keyed by its size and mtime, since consolidation rewrites it.
        """
        total = 0
        main = self.path / f"{table}.parquet"
        files = ([main] if main.exists() else []) + self._parts(table)
        for file in files:
            try:
                key = (str(file), *_stamp(file)) if file == main else (str(file), 0, 0)
                if key not in self._row_counts:
                    self._row_counts[key] = pq.read_metadata(file).num_rows
                total += self._row_counts[key]
            except (pa.ArrowInvalid, OSError):
                continue
        return total

    # -- JSON documents -------------------------------------------------------------------

    def write_json(self, name: str, doc: Any) -> Path:
        path = self.path / name
        _write_atomic(
            path, (json.dumps(doc, indent=2, ensure_ascii=False, default=str) + "\n").encode()
        )
        return path

    def read_json(self, name: str) -> Any:
        path = self.path / name
        if not path.exists():
            raise RunDirError(f"{path}: missing", hint=f"run the stage that writes {name} first")
        text = read_text(path, name, error=RunDirError)
        try:
            return json.loads(text)
        except json.JSONDecodeError as exc:
            raise RunDirError(f"not valid JSON: {exc.msg}", path=path, line=exc.lineno) from exc

    def read_findings(self, *, current: bool = True) -> dict[str, Any]:
        """findings.json; with ``current`` (the default) it must describe today's data.

        The analysis records what it read (:meth:`inputs`); when the tables have changed since
        (a request part added, a table replaced or removed), the findings describe other data
        and a :class:`RunDirError` says to analyse again. A findings.json without that record
        (written before schema 1.1, or imported) is taken as it is.
        """
        doc = self.read_json(FINDINGS)
        if not isinstance(doc, dict):
            raise RunDirError("expected a JSON object", path=self.path / FINDINGS, line=1)
        recorded = doc.get("inputs")
        if current and isinstance(recorded, dict):
            now = self.inputs()
            changed = [t for t in INPUT_TABLES if recorded.get(t, _NO_FILES) != now.get(t)]
            if changed:
                table = changed[0]
                rows = (recorded.get(table) or _NO_FILES).get("rows")
                raise RunDirError(
                    f"findings.json is older than the data: it was computed from {rows} rows "
                    f"of {table}, which now holds {now[table]['rows']}",
                    path=self.path / FINDINGS,
                    hint=f"run `erpcap analyze {self.path}` again",
                )
        return doc

    def inputs(self) -> dict[str, dict[str, Any]]:
        """What the analysis reads, for telling later whether findings.json is current: per
        table, its row count and its files (relative name, size in bytes, rows).

        Sizes and row counts, not modification times, so that a copied run directory (``cp``
        without ``-p``, an archive, a customer's upload) stays current.
        """
        out: dict[str, dict[str, Any]] = {}
        for table in INPUT_TABLES:
            main = self.path / f"{table}.parquet"
            files = ([main] if main.exists() else []) + self._parts(table)
            listed = []
            for file in files:
                try:
                    rows = pq.read_metadata(file).num_rows
                    size = file.stat().st_size
                except (pa.ArrowInvalid, OSError):
                    rows, size = -1, -1  # damaged: differs from any readable file
                listed.append([str(file.relative_to(self.path)), size, rows])
            out[table] = {"rows": sum(max(r, 0) for *_, r in listed), "files": listed}
        return out

    def file(self, name: str) -> Path:
        return self.path / name


def _point_latest(parent: Path, name: str) -> None:
    """Make ``parent/latest`` a relative link to the run folder ``name`` (atomically).

    A ``latest`` that is not a link (a user's own folder) is left alone; so is a file system
    without symbolic links.
    """
    link = parent / LATEST
    if link.exists() and not link.is_symlink():
        return
    tmp = parent / f".{LATEST}.{os.getpid()}.tmp"
    with contextlib.suppress(OSError):
        tmp.unlink(missing_ok=True)
        tmp.symlink_to(name, target_is_directory=True)
        os.replace(tmp, link)


def _stamp(path: Path) -> tuple[int, int]:
    stat = path.stat()
    return stat.st_size, stat.st_mtime_ns


def _without_missing(schema: pa.Schema, table: str, columns: Iterable[str]) -> pa.Schema:
    """``schema`` less the defaulted columns (:data:`COLUMN_DEFAULTS`) that ``columns`` lacks:
    a writer that predates a column leaves it to :func:`_conform`."""
    have = set(columns)
    missing = [n for n in COLUMN_DEFAULTS.get(table, {}) if n not in have]
    return pa.schema([f for f in schema if f.name not in missing]) if missing else schema


def _conform(data: pa.Table, schema: pa.Schema, table: str) -> pa.Table:
    """``data`` in ``schema``: columns of a newer minor version that an older writer did not
    know are added with their documented default (:data:`COLUMN_DEFAULTS`)."""
    derived = DERIVED_DEFAULTS.get(table, {})
    for name, value in COLUMN_DEFAULTS.get(table, {}).items():
        if name in data.column_names or name not in schema.names:
            continue
        if name in derived and set(derived[name]) <= set(data.column_names):
            left, right = derived[name]
            column = pc.greater(data[left], data[right])
        else:
            column = pa.array([value] * data.num_rows, type=schema.field(name).type)
        data = data.append_column(name, column)
    return data.select(schema.names).cast(schema)


#: Rows per row group of a consolidated table (each sorted slice is written as one).
CONSOLIDATE_ROWS = 1_000_000


def _read_file(file: Path, schema: pa.Schema, table: str) -> pa.Table:
    """The columns of ``schema`` that ``file`` holds (and those a missing one is derived
    from: :data:`DERIVED_DEFAULTS`), text columns of a dictionary type read as such."""
    if schema.equals(_schema(table)):
        return pq.read_table(file)
    dictionary = [f.name for f in schema if pa.types.is_dictionary(f.type)]
    with pq.ParquetFile(file, read_dictionary=dictionary) as parquet:
        have = set(parquet.schema_arrow.names)
        wanted = [n for n in schema.names if n in have]
        for name, sources in DERIVED_DEFAULTS.get(table, {}).items():
            if name in schema.names and name not in have:
                wanted += [s for s in sources if s in have and s not in wanted]
        return parquet.read(columns=wanted)


def _dictionary_strings(schema: pa.Schema) -> pa.Schema:
    """``schema`` with every text column dictionary-encoded (a pandas categorical)."""
    return pa.schema(
        [
            f.with_type(pa.dictionary(pa.int32(), f.type)) if pa.types.is_string(f.type) else f
            for f in schema
        ]
    )


def _schema(table: str) -> pa.Schema:
    try:
        return TABLE_SCHEMAS[table]
    except KeyError:
        raise ValueError(f"unknown table {table!r}; known: {sorted(TABLE_SCHEMAS)}") from None
