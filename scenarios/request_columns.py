"""Request rows kept as plain values, and the REQUESTS_SCHEMA table built from many at once.

The recorder runs in Locust's process, on the path of every request: at thousands of
requests per second each microsecond it spends there is a share of the load generator. So
per request it keeps one tuple of plain values (:func:`request_entry`: epoch seconds as
floats, ints, strings; no ``datetime``, no dict), and the work that a whole column can do at
once waits for the flush (:func:`requests_table`): timestamps to epoch microseconds, the
service and latency times, the transaction groups, with numpy and Arrow over the columns.

The values are those one row at a time would give: an epoch second becomes microseconds the
way ``datetime.fromtimestamp`` rounds it (:func:`epoch_us`), and a response time the way
``round`` does (half to even).
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import numpy.typing as npt
import pyarrow as pa

from erpcap.scenarios.catalog import group_of
from erpcap.types import REQUESTS_SCHEMA

#: Longest error text kept per row, in characters.
MAX_ERROR_CHARS = 500

#: One request: start (epoch s), intended start (epoch s, or None when not paced), name,
#: group from the context (or None), user class, method, status code, ok, response time
#: (ms), bytes, active users, error text.
Entry = tuple[
    float, float | None, Any, Any, Any, Any, Any, bool, float, Any, int, str | None
]  # fmt: skip
_FIELDS = 12

#: For ``isinstance`` on the request path: ``int | float`` there builds a union per call
#: (0.2 µs).
NUMBERS = (int, float)


def request_entry(
    request_type: str,
    name: str,
    response_time_ms: float | None,
    response_length: int | None,
    status_code: int | None,
    context: Mapping[str, Any],
    exception: BaseException | None,
    start_time: float | None,
    users: int,
    user_class: Any,
    due: Any,
) -> Entry:
    """One request as an :data:`Entry` (cheap: what a column can do waits for the flush).

    ``due`` is the intended start (epoch seconds) when the request was paced; anything
    but a number means it was not. ``start_time`` None (no start known) is taken as now
    less the response time.
    """
    response_time = response_time_ms or 0.0
    if start_time is None:
        start_time = time.time() - max(0, round(response_time * 1000.0)) / 1e6
    error: str | None
    if exception is not None:
        error = _error_text(exception)
    else:
        outcome = context.get("outcome")
        error = str(outcome) if outcome else None
    return (
        start_time,
        due if isinstance(due, NUMBERS) else None,
        name,
        context.get("group"),
        user_class,
        request_type,
        status_code or 0,
        exception is None,
        response_time,
        response_length or 0,
        users,
        error,
    )


def _error_text(exception: BaseException) -> str:
    text = str(exception) or type(exception).__name__
    # Locust wraps failure messages as CatchResponseError('...'); the text is what we set.
    return text[:MAX_ERROR_CHARS]


def epoch_us(seconds: npt.NDArray[np.float64]) -> npt.NDArray[np.int64]:
    """Epoch seconds as integer microseconds, rounded as ``datetime.fromtimestamp`` rounds:
    the fraction of the second, in microseconds, half to even.

    >>> epoch_us(np.array([1_700_000_000.25, 0.0000025, -1.5])).tolist()
    [1700000000250000, 2, -1500000]
    """
    fraction, whole = np.modf(seconds)
    return whole.astype(np.int64) * 1_000_000 + np.rint(fraction * 1e6).astype(np.int64)


def requests_table(entries: Sequence[Entry], worker: str) -> pa.Table:
    """The entries as a table of REQUESTS_SCHEMA, every row naming ``worker``.

    ``service_us`` is the response time (sent → response read); ``latency_us`` adds the
    delay between the intended and the actual start (0 in the closed model). An intended
    start after the actual start counts as the actual start.
    """
    n = len(entries)
    columns = list(zip(*entries, strict=True)) if entries else [()] * _FIELDS
    starts, dues, names, groups, classes, methods = columns[:6]
    statuses, oks, response_ms, sizes, users, errors = columns[6:]
    start = epoch_us(np.array(starts, dtype=np.float64))
    due = np.array(dues, dtype=np.float64)  # None: NaN
    paced = ~np.isnan(due)
    intended = np.where(paced, np.minimum(start, epoch_us(np.where(paced, due, 0.0))), start)
    # fmax: a NaN response time counts as 0, as a missing one does.
    service = np.fmax(np.rint(np.array(response_ms, dtype=np.float64) * 1000.0), 0.0)
    service_us = service.astype(np.int64)
    by_name = {name: group_of(str(name)) for name in set(names)}
    arrays = [
        pa.array(intended, type=REQUESTS_SCHEMA.field("intended_start").type),
        pa.array(start, type=REQUESTS_SCHEMA.field("start").type),
        _strings(names),
        _strings([group or by_name[name] for group, name in zip(groups, names, strict=True)]),
        _strings(classes),
        _strings(methods),
        _ints(statuses, pa.int32()),
        pa.array(oks, type=pa.bool_()),
        pa.array(service_us + (start - intended), type=pa.int64()),
        pa.array(service_us, type=pa.int64()),
        _ints(sizes, pa.int64()),
        _ints(users, pa.int32()),
        pa.repeat(pa.scalar(worker, type=pa.string()), n),
        pa.array(errors, type=pa.string()),
        pa.array(paced, type=pa.bool_()),
    ]
    return pa.Table.from_arrays(arrays, schema=REQUESTS_SCHEMA)


def _strings(values: Sequence[Any]) -> pa.Array:
    """``values`` as strings, each ``str(value)`` (None too: the columns are not nullable)."""
    try:
        array = pa.array(values, type=pa.string())
    except (pa.ArrowTypeError, pa.ArrowInvalid):  # a name that is not a str
        array = None
    if array is None or array.null_count:
        array = pa.array([str(v) for v in values], type=pa.string())
    return array


def _ints(values: Sequence[Any], kind: pa.DataType) -> pa.Array:
    try:
        return pa.array(values, type=kind)
    except (pa.ArrowTypeError, pa.ArrowInvalid):  # e.g. a status code given as "200"
        return pa.array([int(v) for v in values], type=kind)
