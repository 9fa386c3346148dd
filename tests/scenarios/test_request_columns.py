"""Request entries built into a REQUESTS_SCHEMA table: the values one row at a time gives."""

from __future__ import annotations

import doctest
from datetime import UTC, datetime
from types import ModuleType
from typing import Any

import numpy as np
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from erpcap.scenarios import recorder, remote, request_columns
from erpcap.scenarios.remote import pack_rows, pack_table, unpack_rows
from erpcap.scenarios.request_columns import Entry, epoch_us, request_entry, requests_table
from erpcap.types import REQUESTS_SCHEMA

T0 = 1_764_100_000.0
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)

# Epoch seconds of 2020-2040, with fractions that land on and near half microseconds.
seconds = st.one_of(
    st.floats(1.58e9, 2.2e9, allow_nan=False),
    st.integers(1_580_000_000_000_000, 2_200_000_000_000_000).map(lambda us: (us + 0.5) / 1e6),
)


@settings(deadline=None)
@given(st.lists(seconds, min_size=1, max_size=50))
def test_epoch_microseconds_round_as_datetime_does(values: list[float]) -> None:
    expected = [(datetime.fromtimestamp(v, UTC) - EPOCH).total_seconds() for v in values]
    got = epoch_us(np.array(values, dtype=np.float64)).tolist()
    assert got == [round(e * 1_000_000) for e in expected]


def _entry(**overrides: Any) -> Entry:
    """An entry of ``request_entry``'s arguments: a 201 of create_sales_order by default."""
    args = dict(zip(_ARGS, _DEFAULTS, strict=True)) | overrides
    return request_entry(**args)


_ARGS = ("request_type", "name", "response_time_ms", "response_length", "status_code",
         "context", "exception", "start_time", "users", "user_class", "due")  # fmt: skip
_DEFAULTS = ("POST", "create_sales_order", 25.0004, 120, 201, {}, None, T0, 4, "OrderEntryUser",
             None)  # fmt: skip


@settings(deadline=None)
@given(st.lists(st.tuples(seconds, st.floats(0, 120_000, allow_nan=False), seconds), max_size=30))
def test_times_of_many_rows(rows: list[tuple[float, float, float]]) -> None:
    """Start, intended start, service and latency over whole columns, as per row."""
    entries = [_entry(start_time=s, response_time_ms=ms, due=d) for s, ms, d in rows]
    table = requests_table(entries, "h:1").to_pylist()
    assert len(table) == len(rows)
    for row, (sent, ms, due) in zip(table, rows, strict=True):
        start = datetime.fromtimestamp(sent, UTC)
        intended = min(start, datetime.fromtimestamp(due, UTC))
        assert (row["start"], row["intended_start"]) == (start, intended)
        assert row["service_us"] == round(ms * 1000.0)
        assert row["latency_us"] == row["service_us"] + (start - intended) // _US
        assert row["paced"] is True


_US = datetime(1970, 1, 1, 0, 0, 0, 1, tzinfo=UTC) - EPOCH


def test_every_column_of_a_mixed_batch() -> None:
    entries = [
        _entry(),
        _entry(name="check_availability", context={"group": "close"}),  # the context's group
        _entry(
            name="/ping",
            status_code=None,
            response_length=None,
            response_time_ms=None,
            user_class="",
            exception=ConnectionError("refused"),
        ),  # fmt: skip
        _entry(status_code=409, context={"outcome": "insufficient_stock"}, due=T0 - 1.5),
        _entry(name=7, user_class=None, status_code="200", exception=ValueError("x" * 900)),
        _entry(due="soon", response_time_ms=-3.0),  # not a number: not paced
    ]
    table = requests_table(entries, "host:12")
    assert table.schema == REQUESTS_SCHEMA
    rows = table.to_pylist()
    assert [r["group"] for r in rows] == ["order", "close", "other", "order", "other", "order"]
    assert [r["name"] for r in rows][-2:] == ["7", "create_sales_order"]
    assert [r["user_class"] for r in rows] == [
        "OrderEntryUser", "OrderEntryUser", "", "OrderEntryUser", "None", "OrderEntryUser",
    ]  # fmt: skip
    assert [r["status_code"] for r in rows] == [201, 201, 0, 409, 200, 201]
    assert [r["bytes"] for r in rows] == [120, 120, 0, 120, 120, 120]
    assert [r["ok"] for r in rows] == [True, True, False, True, False, True]
    assert [r["error"] for r in rows][:4] == [None, None, "refused", "insufficient_stock"]
    assert rows[4]["error"] == "x" * 500
    assert [r["service_us"] for r in rows] == [25000, 25000, 0, 25000, 25000, 0]
    assert [r["latency_us"] for r in rows] == [25000, 25000, 0, 1_525_000, 25000, 0]
    assert [r["paced"] for r in rows] == [False, False, False, True, False, False]
    assert {r["worker"] for r in rows} == {"host:12"}


def test_no_start_time_is_now_less_the_response_time() -> None:
    before = datetime.now(UTC)
    row = requests_table([_entry(start_time=None, response_time_ms=2000.0)], "h").to_pylist()[0]
    assert before.timestamp() - 2.1 <= row["start"].timestamp() <= before.timestamp() - 1.9


def test_an_empty_batch_is_an_empty_table() -> None:
    assert requests_table([], "h").num_rows == 0


def test_a_shipped_table_packs_as_its_rows_do() -> None:
    """Remote workers ship tables; the message is the one rows made (an older master
    reads it)."""
    table = requests_table([_entry(), _entry(due=T0 - 1, exception=OSError("reset"))], "w:1")
    packed = pack_table(table)
    assert packed == pack_rows(table.to_pylist())
    assert pa.Table.from_pylist(unpack_rows(packed), schema=REQUESTS_SCHEMA).equals(table)


@pytest.mark.parametrize("module", [request_columns, recorder, remote])
def test_doctests(module: ModuleType) -> None:
    result = doctest.testmod(module)
    assert result.attempted > 0 and result.failed == 0
