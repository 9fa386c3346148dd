"""Reading a few columns of a table compactly, and consolidating parts in Arrow."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from erpcap.rundir import RunDir

T0 = datetime(2026, 11, 25, 10, tzinfo=UTC)


def _rows(first: int, count: int, *, late: int = 0) -> list[dict]:
    return [
        {
            "intended_start": T0 + timedelta(seconds=i),
            "start": T0 + timedelta(seconds=i),
            "name": f"tx{i % 3}",
            "group": "query",
            "user_class": "sales",
            "method": "GET",
            "status_code": 200 if i % 4 else 500,
            "ok": bool(i % 4),
            "latency_us": 1000 + i + late,
            "service_us": 1000 + i,
            "bytes": 10,
            "users": 1,
            "worker": "w1",
            "error": None if i % 4 else f"pool {i} exhausted",
        }
        for i in range(first, first + count)
    ]


def test_read_columns_gives_the_values_of_read_table_in_categoricals(tmp_path):
    run = RunDir.create(tmp_path / "r")
    run.part_writer("requests").write_table(pa.Table.from_pylist(_rows(0, 6)))
    # a part of an older minor version (no paced): paced is derived (latency above service)
    older = pa.Table.from_pylist(_rows(6, 4, late=5))
    pq.write_table(older, run.path / "requests" / "part-old-000001.parquet")
    columns = ["start", "name", "error", "paced"]
    compact = run.read_columns("requests", columns)
    assert list(compact.columns) == columns
    assert isinstance(compact["name"].dtype, pd.CategoricalDtype)
    whole = run.read_table("requests")[columns]
    for column in columns:
        assert compact[column].astype(object).tolist() == whole[column].astype(object).tolist()
    assert compact["paced"].tolist() == [False] * 6 + [True] * 4


def test_consolidate_sorts_by_start_keeping_the_writers_order_of_equal_starts(tmp_path):
    run = RunDir.create(tmp_path / "r")
    later, earlier = _rows(5, 5), _rows(0, 5)
    twin = {**earlier[2], "worker": "w2"}  # the same start as earlier[2], written after it
    run.part_writer("requests").write_table(pa.Table.from_pylist(later))
    run.part_writer("requests").write_table(pa.Table.from_pylist([*earlier, twin]))
    assert run.consolidate("requests") == 11
    assert pq.read_schema(run.path / "requests.parquet").field("name").type == pa.string()
    merged = run.read_table("requests")
    assert merged["latency_us"].tolist() == [1000, 1001, 1002, 1002, *range(1003, 1010)]
    assert merged["worker"].tolist()[2:4] == ["w1", "w2"]
    assert merged["error"].isna().tolist() == [i % 4 != 0 for i in [0, 1, 2, 2, *range(3, 10)]]
