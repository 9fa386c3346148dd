"""How analysis scales with the number of recorded requests.

Builds run directories of 100k, 300k and 1M synthetic requests with the real writer (a
5-step ladder, 12 transactions), then times ``analyze_run`` and measures its peak memory in
a fresh child process per size, so sizes do not share caches. Reports seconds, requests per
second of analysis, peak RSS, and the ratio of each size's time to the smallest one's (the
machine is shared and noisy: compare ratios within one run).

    .venv/bin/python benchmarks/bench_analysis.py [--sizes 100000,300000,1000000]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from erpcap.rundir import RunDir
from erpcap.types import REQUESTS_SCHEMA

NAMES = [
    ("create_sales_order", "order"), ("ship_order", "order"), ("record_payment", "order"),
    ("check_availability", "query"), ("get_sales_order", "query"),
    ("list_customer_orders", "query"), ("trace_lot", "query"), ("get_lot_history", "query"),
    ("run_invoicing", "close"), ("close_period", "close"), ("trial_balance", "close"),
    ("login", "auth"),
]  # fmt: skip


def build(folder: Path, size: int, seed: int = 3) -> RunDir:
    rng = np.random.default_rng(seed)
    run = RunDir.create(folder, scenario="bench", status="completed")
    t0 = datetime(2026, 11, 25, tzinfo=UTC)
    steps = [2, 5, 10, 20, 40]
    seconds = 600
    events = [
        {
            "ts": (t0 + timedelta(seconds=i * seconds)).isoformat(),
            "kind": "step",
            "step": i + 1,
            "users": u,
        }
        for i, u in enumerate(steps)
    ]
    (run.path / "events.jsonl").write_text("".join(json.dumps(e) + "\n" for e in events))
    offsets = np.sort(rng.uniform(0, seconds * len(steps), size))
    start = (pd.Timestamp(t0) + pd.to_timedelta(np.round(offsets * 1e6), unit="us")).as_unit("us")
    pick = rng.integers(0, len(NAMES), size)
    latency = rng.lognormal(np.log(40_000), 0.7, size).astype("int64")
    ok = rng.random(size) > 0.002
    table = pa.table(
        {
            "intended_start": start, "start": start,
            "name": [NAMES[i][0] for i in pick], "group": [NAMES[i][1] for i in pick],
            "user_class": ["sales"] * size, "method": ["POST"] * size,
            "status_code": np.where(ok, 200, 500).astype("int32"), "ok": ok,
            "latency_us": latency, "service_us": latency,
            "bytes": np.full(size, 512, dtype="int64"),
            "users": np.array(steps, dtype="int32")[(offsets // seconds).astype(int)],
            "worker": ["w1"] * size, "error": [None] * size,
        },
        schema=REQUESTS_SCHEMA,
    )  # fmt: skip
    pq.write_table(table, run.path / "requests.parquet")
    return run


CHILD = """
import json, resource, sys, time
from erpcap.analysis import analyze_run
from erpcap.rundir import RunDir
run = RunDir.open(sys.argv[1])
t = time.perf_counter()
analyze_run(run)
elapsed = time.perf_counter() - t
peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps({"seconds": elapsed, "peak_rss_mb": peak_kb / 1024}))
"""


def measure(run: RunDir) -> dict[str, float]:
    out = subprocess.run(
        [sys.executable, "-c", CHILD, str(run.path)], capture_output=True, text=True, check=True
    )
    return json.loads(out.stdout)


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sizes", default="100000,300000,1000000")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for size in sizes:
            run = build(Path(tmp) / f"run{size}", size)
            t = time.perf_counter()
            result = measure(run)
            result["wall_s"] = time.perf_counter() - t
            rows.append((size, result))
            print(
                f"{size:>9,} requests: analysis {result['seconds']:.2f} s, peak RSS {result['peak_rss_mb']:.0f} MB",
                flush=True,
            )
    base = rows[0][1]["seconds"] / rows[0][0]
    print()
    print("| requests | analyze_run s | requests/s | peak RSS MB | time per request vs smallest |")
    print("| ---: | ---: | ---: | ---: | ---: |")
    for size, result in rows:
        per = result["seconds"] / size
        print(
            f"| {size:,} | {result['seconds']:.2f} | {size / result['seconds']:,.0f} | "
            f"{result['peak_rss_mb']:.0f} | {per / base:.2f}× |"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
