"""One side of a comparison: an analysed run directory, read once.

The latencies come from requests.parquet (every successful request's response time, see
:func:`erpcap.analysis.latency.with_response`); the capacity and the steps from its
findings.json, which must be there and current — a comparison never analyses a run itself,
so that both sides are judged by the same ``erpcap analyze`` the user ran and can read.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from erpcap.analysis.latency import RESPONSE, with_response
from erpcap.errors import RunDirError
from erpcap.rundir import FINDINGS, RunDir


@dataclass(frozen=True)
class Side:
    """A run ready to compare: its findings and its successful requests."""

    label: str
    path: Path
    findings: dict[str, Any]
    #: Per transaction name: successful response times in µs (float64, unsorted).
    latencies: dict[str, np.ndarray]
    #: Per transaction name: its group (order, query, …).
    groups: dict[str, str]
    #: Per transaction name: (requests, failed requests), over every request.
    outcomes: dict[str, tuple[int, int]]
    #: Start times of the successful requests, UTC nanoseconds (for per-second throughput),
    #: sorted.
    ok_starts: np.ndarray


def read_side(label: str, folder: str | Path) -> Side:
    """Open ``folder`` as run ``label`` ("A" or "B").

    Raises:
        RunDirError: not a run directory, no findings.json, or a findings.json older than
            the run's tables — each with the ``erpcap analyze`` line to run.
    """
    run = RunDir.open(folder)
    if not run.file(FINDINGS).is_file():
        raise RunDirError(
            f"run {label} has not been analysed (no {FINDINGS})",
            path=run.path,
            hint=f"run `erpcap analyze {run.path}` first",
        )
    findings = run.read_findings(current=True)
    columns = ("start", "name", "group", "ok", "latency_us", "service_us", "paced")
    requests = run.read_columns("requests", columns)
    passed = requests["ok"].to_numpy(dtype=bool)
    tally = pd.DataFrame({"name": requests["name"].astype(str), "failed": ~passed})
    counts = tally.groupby("name", sort=True)["failed"].agg(["size", "sum"])
    outcomes = {str(k): (int(n), int(f)) for k, n, f in counts.itertuples(name=None)}
    ok = requests.loc[passed]
    ok = with_response(ok)
    latencies: dict[str, np.ndarray] = {}
    groups: dict[str, str] = {}
    if not ok.empty:
        codes, names = pd.factorize(ok["name"].astype(str), sort=True)
        values = ok[RESPONSE].to_numpy(dtype=np.float64)
        order = np.argsort(codes, kind="stable")
        bounds = np.searchsorted(codes[order], np.arange(1, len(names)))
        for name, part in zip(names, np.split(values[order], bounds), strict=True):
            latencies[str(name)] = part
        first_group = ok.groupby("name", sort=False, observed=True)["group"].first()
        groups = {str(k): str(v) for k, v in first_group.items()}
    starts = pd.to_datetime(ok["start"], utc=True).to_numpy(dtype="datetime64[ns]").astype(np.int64)
    return Side(
        label=label,
        path=run.path,
        findings=findings,
        latencies=latencies,
        groups=groups,
        outcomes=outcomes,
        ok_starts=np.sort(starts),
    )
