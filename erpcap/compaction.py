"""Compaction: merge a live run's small part files into bigger ones, so a long run (a soak of
hours) keeps a small folder.

The request recorder writes a part every 2 seconds per Locust process: 1,800 files an hour,
each read again by every progress poll and every analysis. :func:`compact` merges the
finished parts of a table into one ``merged-<pid>-<ns>.parquet`` in three steps, each of
which may be cut short by a kill without losing or doubling a row:

1. the merged rows are written under a hidden temporary name (``.merged-….tmp``), which every
   reader ignores; a kill here leaves the parts as they were;
2. the file is renamed into place (atomic); its Parquet metadata (``erpcap.merged_from``)
   lists the ``[name, size]`` of every part it replaces, and from this moment readers
   (:meth:`erpcap.rundir.RunDir.read_table`, ``count_rows``, ``inputs``) skip those parts;
3. the replaced parts are removed; a kill here leaves parts that readers already skip, and
   the next compaction (or the final consolidation) removes them first.

A merged part that is merged again passes its own list on, so a leftover stays hidden
whatever merges come after. Parts of at least :data:`MAX_PART_BYTES` are left alone, so each
compaction rewrites a bounded amount; the pipeline runs it every
:data:`erpcap.pipeline.COMPACT_EVERY_S` seconds, for every run, and notes each merge as a
``compacted`` event (``table``, ``parts``).
"""

from __future__ import annotations

import contextlib
import json
import os
import time

import pyarrow as pa
import pyarrow.parquet as pq

from erpcap.rundir import MERGED_KEY, MERGED_PREFIX, RunDir, _conform, _schema

#: Tables that compaction merges (the ones live writers add parts to).
TABLES = ("requests", "metrics", "sql_stats")
#: Merge only when at least this many small parts are waiting (the pipeline's default).
MIN_PARTS = 20
#: Parts this big (bytes) are not merged again.
MAX_PART_BYTES = 64 * 1024 * 1024


def compact(run: RunDir, table: str, *, min_parts: int = MIN_PARTS) -> int:
    """Merge ``table``'s small finished parts into one; return how many parts it replaced
    (0 when fewer than ``min_parts`` were waiting)."""
    _remove_replaced(run, table)
    small = []
    for part in run._parts(table):
        with contextlib.suppress(OSError):
            size = part.stat().st_size
            if size < MAX_PART_BYTES:
                small.append((part, size))
    if len(small) < max(min_parts, 2):
        return 0
    schema = _schema(table)
    pieces = [_conform(pq.read_table(part), schema, table) for part, _ in small]
    replaced: set[tuple[str, int]] = set()
    for part, size in small:
        replaced.add((part.name, size))
        replaced |= run.merged_from(part)  # what an earlier merge replaced stays hidden
    merged = pa.concat_tables(pieces)
    meta = dict(merged.schema.metadata or {})
    meta[MERGED_KEY] = json.dumps(sorted(replaced)).encode()
    merged = merged.replace_schema_metadata(meta)
    folder = run.path / table
    final = folder / f"{MERGED_PREFIX}{os.getpid()}-{time.time_ns()}.parquet"
    tmp = folder / f".{final.name}.tmp"
    pq.write_table(merged, tmp)  # step 1: hidden
    os.replace(tmp, final)  # step 2: the parts are replaced from here on
    for part, _ in small:  # step 3
        part.unlink(missing_ok=True)
    return len(small)


def _remove_replaced(run: RunDir, table: str) -> None:
    """Finish what a killed compaction left: remove parts that a merged part replaces."""
    live = set(run._parts(table))
    for part in run.all_parts(table):
        if part not in live:
            part.unlink(missing_ok=True)
