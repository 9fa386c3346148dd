"""The statements that took the database's time, from ``sql_stats`` (the database collectors).

A first look, for the report and findings.json: per statement fingerprint, summed over the
sources' own rows for the whole run, its calls, time, mean and share of all statement time;
and per load step the database time spent. The slow-SQL analysis (anti-patterns, index
advice) builds on the same table.

>>> import pandas as pd
>>> rows = pd.DataFrame({"source": ["postgres"] * 3, "step": [None, None, 1.0],
...     "fingerprint": ["select ?", "update t set a = ?", "select ?"], "query": ["SELECT $1"] * 3,
...     "calls": [90, 10, 40], "total_ms": [30.0, 70.0, 12.0], "max_ms": [2.0, 9.0, 2.0]})
>>> block = summarize(rows)
>>> [(s["fingerprint"], s["share"]) for s in block["top"]], block["total_ms"]
([('update t set a = ?', 0.7), ('select ?', 0.3)], 100.0)
>>> block["by_step"]
{1: {'calls': 40, 'total_ms': 12.0}}
"""

from __future__ import annotations

from typing import Any

import pandas as pd

#: Statements listed, at most.
TOP = 10


def summarize(sql_stats: pd.DataFrame, top: int = TOP) -> dict[str, Any] | None:
    """``{"calls", "total_ms", "top": [...], "by_step": {step: {calls, total_ms}}}``, or None
    when no database collector recorded statements."""
    if sql_stats.empty:
        return None
    whole = sql_stats[sql_stats["step"].isna()]
    total = float(whole["total_ms"].sum())
    grouped = (
        whole.groupby(["source", "fingerprint"], sort=False)
        .agg(
            calls=("calls", "sum"),
            total_ms=("total_ms", "sum"),
            max_ms=("max_ms", "max"),
            query=("query", "first"),
        )
        .reset_index()
        .sort_values(["total_ms", "calls"], ascending=False, kind="stable")
        .head(top)
    )
    listed = []
    for row in grouped.to_dict("records"):
        calls, spent, longest = int(row["calls"]), float(row["total_ms"]), row["max_ms"]
        listed.append(
            {
                "source": str(row["source"]),
                "fingerprint": str(row["fingerprint"]),
                "query": str(row["query"]),
                "calls": calls,
                "total_ms": round(spent, 3),
                "mean_ms": round(spent / calls, 3) if calls else None,
                "max_ms": None if pd.isna(longest) else round(float(longest), 3),
                "share": round(spent / total, 4) if total > 0 else None,
            }
        )
    steps = sql_stats.dropna(subset=["step"])
    per_step = steps.groupby(steps["step"].astype("int64"), sort=True)[["calls", "total_ms"]].sum()
    by_step: dict[int, dict[str, Any]] = {
        int(str(step)): {"calls": int(row["calls"]), "total_ms": round(float(row["total_ms"]), 3)}
        for step, row in per_step.to_dict("index").items()
    }
    return {
        "calls": int(whole["calls"].sum()),
        "total_ms": round(total, 3),
        "statements": int(whole["fingerprint"].nunique()),
        "top": listed,
        "by_step": by_step,
    }
