"""Failed requests grouped the way a person reads them: by transaction, status and message
shape, each group with the cause it points to.

A message that names a record (``no item 568``, ``/lots/91/trace``, a UUID) would make every
record its own row; :func:`message_shape` replaces such values with placeholders so that the
same failure meets in one group, which keeps one original message as its sample.

Causes, in the order :func:`cause_of` checks them:

============  ===============================================================================
``connection``  no response, and the client says the connection was refused, reset or closed:
                the target went away (crashed, restarted, out of sockets or file handles)
``timeout``     no response within the client's time-out, or 408/504 from the server or a proxy
``auth``        401 or 403: wrong credentials, expired or rejected tokens, missing rights
``server``      500–599 other than 504: the ERP failed internally
``client``      any other 4xx: the ERP refused what the scenario sent (often test data that ran
                out: stock, open orders) or the endpoint does not exist
``other``       anything else (a status 0 without a recognisable message)
============  ===============================================================================
"""

from __future__ import annotations

import re
from typing import Any

import pandas as pd

#: Causes in report order.
CAUSES = ("connection", "timeout", "auth", "server", "client", "other")

#: Longest sample message kept per group, in characters.
MAX_SAMPLE = 300

_UUID = re.compile(r"\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b", re.I)
_HEX = re.compile(r"\b(?=[0-9a-f]*\d)[0-9a-f]{16,}\b", re.I)
_QUOTED = re.compile(r"'[^']*'|\"[^\"]*\"")
_NUMBER = re.compile(r"(?<![A-Za-z_])[-+]?\d+(?:\.\d+)?")
_SPACE = re.compile(r"\s+")
_CONNECTION = re.compile(
    r"refused|reset by peer|connection (?:error|aborted|closed|reset)|broken pipe|"
    r"remote (?:end|host) closed|no route|unreachable|name or service not known",
    re.I,
)
_TIMEOUT = re.compile(r"time(?:d)? ?out|deadline", re.I)


def message_shape(message: str | None, status: int = 0) -> str:
    """``message`` with the values that name a record replaced, for grouping.

    The status code, where the message repeats it (``"409 insufficient_stock: …"``), is kept;
    other numbers become ``N``, quoted values, UUIDs and long hex ids ``…``.

    >>> message_shape("404 not_found: no item 568 (GET /items?item_id=568)", 404)
    '404 not_found: no item N (GET /items?item_id=N)'
    >>> message_shape("lot 'L-2026-0042' is expired", 409)
    'lot … is expired'
    >>> message_shape(None)
    ''
    """
    if not message:
        return ""
    text = _SPACE.sub(" ", str(message)).strip()
    code = str(status)
    text = _UUID.sub("…", text)
    text = _HEX.sub("…", text)
    text = _QUOTED.sub("…", text)
    text = _NUMBER.sub(lambda m: m[0] if status and m[0] == code else "N", text)
    return text[:MAX_SAMPLE]


def cause_of(status: int, message: str | None) -> str:
    """The cause a failed request points to (see the module's table).

    >>> cause_of(0, "connection error: [Errno 111] Connection refused")
    'connection'
    >>> cause_of(0, "ReadTimeout: timed out"), cause_of(504, "gateway")
    ('timeout', 'timeout')
    >>> cause_of(401, "bad_credentials"), cause_of(503, "pool exhausted"), cause_of(409, "")
    ('auth', 'server', 'client')
    """
    text = message or ""
    if status in (408, 504) or (status == 0 and _TIMEOUT.search(text)):
        return "timeout"
    if status == 0:
        return "connection" if _CONNECTION.search(text) else "other"
    if status in (401, 403):
        return "auth"
    if 500 <= status < 600:
        return "server"
    if 400 <= status < 500:
        return "client"
    return "other"


#: The columns of :func:`error_groups` and :func:`counted_groups`.
GROUP_COLUMNS = ["name", "status_code", "shape", "sample", "cause", "count"]


def error_groups(requests: pd.DataFrame) -> pd.DataFrame:
    """Every failure group: columns ``name``, ``status_code``, ``shape``, ``sample``,
    ``cause``, ``count``, most frequent first.

    Requests are first counted per distinct original message (a cheap group-by), and only
    those distinct messages are shaped, so time grows with the variety of messages, not with
    the number of failures.
    """
    failed = requests.loc[~requests["ok"], ["name", "status_code", "error"]]
    if failed.empty:
        return pd.DataFrame(columns=GROUP_COLUMNS)
    raw = (
        failed.assign(error=failed["error"].astype(object).fillna("").astype(str))
        .groupby(["name", "status_code", "error"], sort=False, observed=True)
        .size()
        .reset_index(name="count")
    )
    return counted_groups(raw)


def counted_groups(raw: pd.DataFrame) -> pd.DataFrame:
    """:func:`error_groups` of failures already counted per message: columns ``name``,
    ``status_code``, ``error`` and ``count`` (a load tool's own failure table).

    >>> frame = pd.DataFrame({"name": ["a", "a"], "status_code": [500, 500],
    ...                       "error": ["pool 1 exhausted", "pool 2 exhausted"], "count": [3, 4]})
    >>> counted_groups(frame)[["shape", "count"]].values.tolist()
    [['pool N exhausted', 7]]
    """
    if raw.empty:
        return pd.DataFrame(columns=GROUP_COLUMNS)
    raw = raw.copy()
    codes = raw["status_code"].astype("int64").tolist()
    messages = raw["error"].astype(str).tolist()
    raw["shape"] = [message_shape(m, c) for m, c in zip(messages, codes, strict=True)]
    raw["cause"] = [cause_of(c, m) for m, c in zip(messages, codes, strict=True)]
    raw["sample"] = raw["error"].astype(str).str.slice(0, MAX_SAMPLE)
    raw = raw.sort_values("count", ascending=False, kind="stable")
    grouped = raw.groupby(["name", "status_code", "shape"], sort=False).agg(
        sample=("sample", "first"), cause=("cause", "first"), count=("count", "sum")
    )
    grouped = grouped.reset_index().sort_values("count", ascending=False, kind="stable")
    return grouped[GROUP_COLUMNS].reset_index(drop=True)


def top_errors(groups: pd.DataFrame, limit: int = 10) -> list[dict[str, Any]]:
    """The ``limit`` largest of :func:`error_groups`, as findings.json rows: ``transaction``,
    ``status_code``, ``error`` (the message shape), ``sample`` (one original message),
    ``cause`` and ``count``."""
    return [
        {
            "transaction": str(row["name"]),
            "status_code": int(row["status_code"]),
            "error": str(row["shape"]),
            "sample": str(row["sample"]),
            "cause": str(row["cause"]),
            "count": int(row["count"]),
        }
        for row in groups.head(limit).to_dict("records")
    ]


def causes(groups: pd.DataFrame) -> dict[str, int]:
    """Failed requests per cause over every group of :func:`error_groups`, in CAUSES order.

    >>> causes(pd.DataFrame({"cause": ["server", "auth", "server"], "count": [5, 1, 2]}))
    {'auth': 1, 'server': 7}
    """
    totals: dict[str, int] = {}
    for cause, count in zip(groups["cause"], groups["count"], strict=True):
        totals[str(cause)] = totals.get(str(cause), 0) + int(count)
    return {c: totals[c] for c in CAUSES if totals.get(c)}
