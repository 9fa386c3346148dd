"""Resource summaries of other sources: label sets apart while few, summed when many."""

from __future__ import annotations

import json

import pandas as pd

from erpcap.analysis.resources import MAX_LABEL_SETS, summarize


def _rows(metric: str, labels: list[dict[str, str]], value: float) -> list[dict[str, object]]:
    ts = pd.to_datetime(["2026-12-01T10:00:00Z", "2026-12-01T10:00:01Z"])
    return [{"ts": t, "source": "prom", "metric": metric, "labels": json.dumps(lab), "value": value}
            for t in ts for lab in labels]  # fmt: skip


def test_few_label_sets_are_kept_apart_and_many_are_summed_and_counted() -> None:
    modes = [{"mode": m, "instance": "h1:9100"} for m in ("user", "system")]
    routes = [{"route": f"/r{i}"} for i in range(MAX_LABEL_SETS + 4)]
    frame = pd.DataFrame(_rows("cpu_mode_percent", modes, 40.0) + _rows("req_per_s", routes, 2.0))
    sources = summarize(frame)["sources"]
    cpu = [s for s in sources if s["metric"] == "cpu_mode_percent"]
    assert [(s["labels"]["mode"], s["mean"]) for s in cpu] == [("system", 40.0), ("user", 40.0)]
    (requests,) = [s for s in sources if s["metric"] == "req_per_s"]
    assert (requests["series"], requests["mean"]) == (
        MAX_LABEL_SETS + 4,
        2.0 * (MAX_LABEL_SETS + 4),
    )
