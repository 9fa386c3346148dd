"""The run directory: creation, version checks, live part files, consolidation."""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from erpcap.errors import RunDirError
from erpcap.rundir import RunDir
from erpcap.types import SCHEMA_VERSION


def _row(i: int, t0: datetime) -> dict:
    start = t0 + timedelta(milliseconds=10 * i)
    return {
        "intended_start": start,
        "start": start,
        "name": "get_sales_order",
        "group": "query",
        "user_class": "sales",
        "method": "GET",
        "status_code": 200,
        "ok": True,
        "latency_us": 1000 + i,
        "service_us": 1000 + i,
        "bytes": 10,
        "users": 1,
        "worker": "w1",
        "error": None,
    }


def test_create_writes_run_json_with_version_and_status(tmp_path):
    run = RunDir.create_in(tmp_path, "peak order", scenario="peak-order")
    meta = json.loads((run.path / "run.json").read_text())
    assert meta["schema_version"] == SCHEMA_VERSION
    assert meta["status"] == "running"
    assert meta["scenario"] == "peak-order"
    assert run.path.name.endswith("_peak-order")


def test_create_refuses_a_folder_that_holds_a_run(tmp_path):
    RunDir.create(tmp_path / "r")
    with pytest.raises(RunDirError, match="already holds a run"):
        RunDir.create(tmp_path / "r")


def test_open_refuses_a_folder_without_run_json(tmp_path):
    with pytest.raises(RunDirError, match="not a run directory") as info:
        RunDir.open(tmp_path)
    assert info.value.exit_code == 2


def test_open_refuses_a_newer_major_version(tmp_path):
    run = RunDir.create(tmp_path / "r")
    run.update_meta(schema_version="2.0")
    with pytest.raises(RunDirError, match="newer than this erpcap reads"):
        RunDir.open(run.path)


def test_open_accepts_a_newer_minor_version(tmp_path):
    run = RunDir.create(tmp_path / "r")
    run.update_meta(schema_version="1.7")
    assert RunDir.open(run.path).read_meta()["schema_version"] == "1.7"


def test_damaged_run_json_names_file_and_line(tmp_path):
    run = RunDir.create(tmp_path / "r")
    (run.path / "run.json").write_text('{\n  "id": "x",\n  oops\n}')
    with pytest.raises(RunDirError) as info:
        RunDir.open(run.path)
    assert "run.json:3:" in info.value.one_line()


def test_parts_are_readable_before_and_after_consolidation(tmp_path):
    run = RunDir.create(tmp_path / "r")
    t0 = datetime(2026, 11, 25, 10, tzinfo=UTC)
    writer = run.part_writer("requests")
    writer.extend(_row(i, t0) for i in range(5))
    assert writer.flush() == 5
    writer.extend(_row(i, t0) for i in range(5, 8))
    writer.flush()
    assert writer.flush() == 0  # nothing pending
    assert run.count_rows("requests") == 8
    live = run.read_table("requests")
    assert list(live["latency_us"]) == [1000 + i for i in range(8)]
    assert run.consolidate("requests") == 8
    assert not (run.path / "requests").exists()
    assert (run.path / "requests.parquet").exists()
    merged = run.read_table("requests")
    assert len(merged) == 8
    assert str(merged["start"].dt.tz) == "UTC"


def test_a_table_written_at_once_is_a_part_beside_the_buffered_rows(tmp_path):
    """``write_table``: rows already in columns (the request recorder's) become a part now;
    a table of an older minor version (no ``paced``) gets the column's default."""
    import pyarrow as pa

    run = RunDir.create(tmp_path / "r")
    t0 = datetime(2026, 11, 25, 10, tzinfo=UTC)
    writer = run.part_writer("requests")
    writer.extend(_row(i, t0) for i in range(3))  # waits for flush()
    older = pa.Table.from_pylist([_row(i, t0) for i in range(3, 5)])
    assert writer.write_table(older) == 2
    assert writer.write_table(older.slice(0, 0)) == 0  # no empty part
    assert (writer.pending, run.count_rows("requests")) == (3, 2)
    assert writer.flush() == 3
    assert writer.rows_written == 5 and len(run._parts("requests")) == 2
    table = run.read_table("requests")
    assert sorted(table["latency_us"]) == [1000 + i for i in range(5)]
    assert not table["paced"].any()


def test_a_half_written_part_is_ignored(tmp_path):
    """A writer killed mid-flush leaves only a hidden temporary file, never a torn part."""
    run = RunDir.create(tmp_path / "r")
    writer = run.part_writer("requests")
    writer.append(_row(0, datetime(2026, 1, 1, tzinfo=UTC)))
    writer.flush()
    (run.path / "requests" / ".part-1-000002.parquet.tmp").write_bytes(b"PAR1 torn")
    assert len(run.read_table("requests")) == 1


def test_a_damaged_part_is_named(tmp_path):
    run = RunDir.create(tmp_path / "r")
    (run.path / "requests").mkdir()
    (run.path / "requests" / "part-1-000001.parquet").write_bytes(b"not parquet")
    with pytest.raises(RunDirError) as info:
        run.read_table("requests")
    assert "part-1-000001.parquet" in info.value.one_line()


def test_empty_table_has_the_schema_columns(tmp_path):
    run = RunDir.create(tmp_path / "r")
    frame = run.read_table("metrics")
    assert frame.empty
    assert list(frame.columns) == ["ts", "source", "metric", "labels", "value"]


def test_events_skip_a_torn_last_line(tmp_path):
    run = RunDir.create(tmp_path / "r")
    run.event("step", step=1, users=2)
    with (run.path / "events.jsonl").open("a") as handle:
        handle.write('{"ts": "2026-')
    events = run.read_events()
    assert [e["kind"] for e in events] == ["step"]
    assert events[0]["users"] == 2


def test_warnings_go_to_run_json_and_events(tmp_path):
    run = RunDir.create(tmp_path / "r")
    run.add_warning("collector 'psutil' stopped")
    run.add_warning("collector 'psutil' stopped")
    assert run.read_meta()["warnings"] == ["collector 'psutil' stopped"]
    assert [e["kind"] for e in run.read_events()] == ["warning", "warning"]


def test_concurrent_warnings_and_updates_are_all_kept(tmp_path):
    """Collector threads add warnings while the pipeline updates run.json."""
    import threading

    run = RunDir.create(tmp_path / "r")
    barrier = threading.Barrier(8)

    def warn(i: int) -> None:
        barrier.wait()
        for j in range(10):
            run.add_warning(f"collector {i} gap {j}")

    def update() -> None:
        barrier.wait()
        for j in range(10):
            run.update_meta(**{f"key{j}": j})

    threads = [threading.Thread(target=warn, args=(i,)) for i in range(7)]
    threads.append(threading.Thread(target=update))
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    meta = run.read_meta()
    assert len(meta["warnings"]) == 70
    assert all(meta[f"key{j}"] == j for j in range(10))


def test_count_rows_follows_new_parts_and_consolidation(tmp_path, monkeypatch):
    import pyarrow.parquet as pq

    run = RunDir.create(tmp_path / "r")
    t0 = datetime(2026, 11, 25, 10, tzinfo=UTC)
    writer = run.part_writer("requests")
    for batch in range(3):
        writer.extend(_row(i, t0) for i in range(batch * 4, batch * 4 + 4))
        writer.flush()
    assert run.count_rows("requests") == 12
    reads = []
    real = pq.read_metadata
    monkeypatch.setattr(pq, "read_metadata", lambda f: reads.append(f) or real(f))
    writer.extend(_row(i, t0) for i in range(12, 15))
    writer.flush()
    assert run.count_rows("requests") == 15
    assert len(reads) == 1  # only the new part's footer was read
    run.consolidate("requests")
    assert run.count_rows("requests") == 15


def test_runs_latest_links_the_newest_run(tmp_path):
    first = RunDir.create_in(tmp_path, "a")
    assert (tmp_path / "latest").resolve() == first.path.resolve()
    second = RunDir.create_in(tmp_path, "b")
    link = tmp_path / "latest"
    assert link.is_symlink() and not Path(os.readlink(link)).is_absolute()  # survives a move
    assert RunDir.open(link).read_meta()["id"] == second.path.name


def test_a_users_own_latest_folder_is_left_alone(tmp_path):
    (tmp_path / "latest").mkdir()
    RunDir.create_in(tmp_path, "a")
    assert not (tmp_path / "latest").is_symlink()


def test_two_writers_of_one_table_in_one_process_keep_every_row(tmp_path: Path) -> None:
    # Two collectors in one process each write metrics parts; neither may replace the other's.
    run = RunDir.create(tmp_path / "run")
    first, second = run.part_writer("metrics"), run.part_writer("metrics")
    now = datetime(2026, 12, 1, tzinfo=UTC)
    for writer, source in ((first, "host"), (second, "postgres")):
        writer.append({"ts": now, "source": source, "metric": "m", "labels": "{}", "value": 1.0})
        writer.flush()
    assert sorted(run.read_table("metrics")["source"]) == ["host", "postgres"]
