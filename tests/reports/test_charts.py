"""Charts of long runs and of partial time series."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from types import ModuleType

import numpy as np
import pandas as pd

from erpcap.reports import Translator, load_report_data
from erpcap.reports.chart_base import MAX_POINTS
from erpcap.reports.charts import build_charts
from erpcap.rundir import RunDir


def _values(array: object) -> list[float]:
    """A plotly data array: a list, or plotly's typed-array encoding (dtype + base64)."""
    if isinstance(array, dict):
        data = base64.b64decode(array["bdata"])
        return np.frombuffer(data, dtype=np.dtype(array["dtype"])).tolist()
    assert isinstance(array, list)
    return array


def _intervals(seconds: int, names: tuple[str, ...]) -> pd.DataFrame:
    rng = np.random.default_rng(3)
    ts = pd.date_range("2026-11-25T10:00:00Z", periods=seconds, freq="s")
    frames = []
    for name in names:
        p50 = rng.uniform(20, 40, seconds)
        frames.append(
            pd.DataFrame(
                {
                    "ts": ts,
                    "name": name,
                    "count": rng.integers(10, 30, seconds),
                    "errors": rng.integers(0, 2, seconds),
                    "p50_ms": p50,
                    "p95_ms": p50 * 3,
                    "p99_ms": p50 * 5,
                    "max_ms": p50 * 9,
                    "users": np.full(seconds, 25, dtype="int32"),
                }
            )
        )
    return pd.concat(frames, ignore_index=True)


def test_a_long_run_is_bucketed(synthetic: ModuleType, tmp_path: Path) -> None:
    run = RunDir.create(tmp_path / "soak", status="completed")
    run.write_json("findings.json", synthetic.minimal_findings())
    seconds = 4 * 3600
    table = _intervals(seconds, ("*",))
    table.loc[1234, "p95_ms"] = 9999.0  # one bad second must survive the bucketing
    run.write_table("intervals", table)
    charts = build_charts(load_report_data(run), Translator("en"))
    [throughput, latency] = charts.charts
    assert "10-second buckets" in throughput.note
    rps = json.loads(throughput.figure_json)["data"][0]
    assert len(_values(rps["y"])) <= MAX_POINTS
    p95 = next(t for t in json.loads(latency.figure_json)["data"] if t["name"] == "p95")
    assert np.nanmax(_values(p95["y"])) == 9999.0
    assert any("No resource metrics" in note for note in charts.notes)


def test_intervals_without_an_all_row(synthetic: ModuleType, tmp_path: Path) -> None:
    """An importer may write only per-transaction rows: the totals are summed."""
    run = RunDir.create(tmp_path / "imported", status="completed")
    run.write_json("findings.json", synthetic.minimal_findings())
    table = _intervals(60, ("a", "b"))
    run.write_table("intervals", table)
    charts = build_charts(load_report_data(run), Translator("en"))
    rps = json.loads(charts.charts[0].figure_json)["data"][0]
    expected = table.groupby("ts")["count"].sum().tolist()
    assert _values(rps["y"]) == expected


def test_the_user_line_follows_the_load_steps(make_run) -> None:
    from erpcap.analysis import analyze_run

    run = make_run(
        [(5, 20, 10, 50, 0), (10, 20, 20, 60, 0), (20, 20, 30, 80, 0), (40, 20, 30, 400, 0)]
    )
    # Rows tagged with a wrong count (as when the count at the end of a request was taken)
    # must not move the line: it comes from the steps.
    requests = run.read_table("requests")
    run.write_table("requests", requests.assign(users=40))
    analyze_run(run)
    charts = {
        c.id: json.loads(c.figure_json)
        for c in build_charts(load_report_data(run), Translator("en")).charts
    }
    for chart_id in ("chart-throughput", "chart-latency"):
        users = [tr for tr in charts[chart_id]["data"] if tr.get("yaxis") == "y2"]
        assert len(users) == 1
        assert _values(users[0]["y"]) == [5, 10, 20, 40, 40]
        assert users[0]["line"]["shape"] == "hv"
