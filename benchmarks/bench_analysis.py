"""How analysis scales with the number of recorded requests, in time and in memory.

Builds run directories of 1M, 3M and 10M synthetic requests (a 5-step ladder, 12
transactions, 0.2 % failures), written by the real part writer in parts of at most a million
rows as a long run leaves them, then times ``analyze_run`` and measures its peak memory in a
fresh child process per size, so sizes do not share caches, and renders its HTML report to
show that the report's size does not grow with the requests. Prints one line per size,
``N requests: analysis S s, peak RSS M MB``, then a table. The machine is shared and noisy:
compare sizes within one run. Each run directory is removed once measured.

    .venv/bin/python benchmarks/bench_analysis.py [--sizes 1000000,3000000,10000000] [--write-docs]

``--write-docs`` rewrites the "## Analysis" section of docs/benchmarks.md with the table.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pyarrow as pa
from docs_section import replace_section  # this folder is first on sys.path
from machine import Machine

from erpcap.rundir import RunDir
from erpcap.types import REQUESTS_SCHEMA

NAMES = [
    ("create_sales_order", "order"), ("ship_order", "order"), ("record_payment", "order"),
    ("check_availability", "query"), ("get_sales_order", "query"),
    ("list_customer_orders", "query"), ("trace_lot", "query"), ("get_lot_history", "query"),
    ("run_invoicing", "close"), ("close_period", "close"), ("trial_balance", "close"),
    ("login", "auth"),
]  # fmt: skip
STEPS = [2, 5, 10, 20, 40]
STEP_S = 600
#: Rows per part file (a long run flushes many parts; compaction merges them to about this).
PART_ROWS = 1_000_000
HEAD = "## Analysis"
DEFAULT_SIZES = "1000000,3000000,10000000"


def _strings(pick: np.ndarray, values: list[str]) -> pa.Array:
    """``values[pick]`` as a plain string column, built without a Python object per row."""
    indices = pa.array(pick.astype("int32"))
    return pa.DictionaryArray.from_arrays(indices, pa.array(values)).cast(pa.string())


def _part(rng: np.random.Generator, t0_us: int, lo: float, hi: float, size: int) -> pa.Table:
    """``size`` requests started between ``lo`` and ``hi`` seconds into the run."""
    offsets = np.sort(rng.uniform(lo, hi, size))
    start = pa.array(t0_us + np.round(offsets * 1e6).astype("int64")).cast(REQUESTS_SCHEMA[0].type)
    pick = rng.integers(0, len(NAMES), size)
    latency = rng.lognormal(np.log(40_000), 0.7, size).astype("int64")
    ok = rng.random(size) > 0.002
    failed = np.flatnonzero(~ok)
    errors = np.full(size, None, dtype=object)
    errors[failed] = [f"500 pool exhausted: no connection for order {i}" for i in failed % 97]
    one = np.zeros(size, "int32")
    return pa.table(
        {
            "intended_start": start, "start": start,
            "name": _strings(pick, [n for n, _ in NAMES]),
            "group": _strings(pick, [g for _, g in NAMES]),
            "user_class": _strings(one, ["sales"]), "method": _strings(one, ["POST"]),
            "status_code": np.where(ok, 200, 500).astype("int32"), "ok": ok,
            "latency_us": latency, "service_us": latency,
            "bytes": np.full(size, 512, dtype="int64"),
            "users": np.array(STEPS, dtype="int32")[(offsets // STEP_S).astype(int)],
            "worker": _strings(one, ["w1"]),
            "error": pa.array(errors, type=pa.string()),
            "paced": np.zeros(size, dtype=bool),
        },
        schema=REQUESTS_SCHEMA,
    )  # fmt: skip


def build(folder: Path, size: int, seed: int = 3) -> RunDir:
    """A run directory of ``size`` requests over a 5-step ladder, in parts of PART_ROWS."""
    rng = np.random.default_rng(seed)
    run = RunDir.create(folder, scenario="bench", status="completed")
    t0 = datetime(2026, 11, 25, tzinfo=UTC)
    events = [
        {"ts": (t0 + timedelta(seconds=i * STEP_S)).isoformat(), "kind": "step", "step": i + 1,
         "users": users}
        for i, users in enumerate(STEPS)
    ]  # fmt: skip
    (run.path / "events.jsonl").write_text("".join(json.dumps(e) + "\n" for e in events))
    writer = run.part_writer("requests")
    parts = -(-size // PART_ROWS)
    span = STEP_S * len(STEPS) / parts
    t0_us = int(t0.timestamp() * 1_000_000)
    for i in range(parts):
        rows = size // parts + (1 if i < size % parts else 0)
        writer.write_table(_part(rng, t0_us, i * span, (i + 1) * span, rows))
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
    """``analyze_run`` of ``run`` in a fresh process: seconds and peak RSS in MB."""
    out = subprocess.run(
        [sys.executable, "-c", CHILD, str(run.path)], capture_output=True, text=True, check=True
    )
    result: dict[str, float] = json.loads(out.stdout)
    command = [sys.executable, "-m", "erpcap", "report", str(run.path), "--format", "html"]
    subprocess.run(command, capture_output=True, check=True)
    result["report_kb"] = run.file("report.html").stat().st_size / 1024
    return result


def table(rows: list[tuple[int, dict[str, float]]]) -> str:
    lines = [
        "| requests | analyze_run s | requests/s | peak RSS MB | peak RSS per million requests "
        "| report.html KB |",
        "| ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for size, result in rows:
        report = result.get("report_kb")
        lines.append(
            f"| {size:,} | {result['seconds']:.1f} | {size / result['seconds']:,.0f} | "
            f"{result['peak_rss_mb']:,.0f} | {result['peak_rss_mb'] / size * 1e6:,.0f} | "
            f"{f'{report:,.0f}' if report else 'not measured'} |"
        )
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sizes", default=DEFAULT_SIZES, help="comma-separated request counts")
    parser.add_argument("--write-docs", action="store_true", help="rewrite docs/benchmarks.md")
    args = parser.parse_args()
    try:
        sizes = [int(s) for s in args.sizes.split(",")]
    except ValueError:
        print(f"--sizes: expected comma-separated whole numbers, got {args.sizes!r}")
        return 2
    machine = Machine.now()
    rows = []
    with tempfile.TemporaryDirectory(prefix="bench-analysis-") as tmp:
        for size in sizes:
            folder = Path(tmp) / f"run{size}"
            run = build(folder, size)
            result = measure(run)
            shutil.rmtree(folder)
            rows.append((size, result))
            print(
                f"{size:,} requests: analysis {result['seconds']:.1f} s, "
                f"peak RSS {result['peak_rss_mb']:,.0f} MB",
                flush=True,
            )
    print()
    print(table(rows))
    if args.write_docs:
        replace_section(HEAD, docs_text(sizes, table(rows)), machine=machine)
    return 0


#: The same command before the analysis read compact columns (commit 68e2fca, 2026-12-05,
#: this machine, measured right before the figures in docs/benchmarks.md): every column of every request in
#: pandas, text as Python strings, the frame copied per transaction and per second.
BEFORE = [
    (1_000_000, {"seconds": 2.9, "peak_rss_mb": 545.0}),
    (3_000_000, {"seconds": 6.1, "peak_rss_mb": 1211.0}),
    (10_000_000, {"seconds": 25.8, "peak_rss_mb": 3488.0}),
]


def docs_text(sizes: list[int], figures: str) -> str:
    """The "## Analysis" section of docs/benchmarks.md around ``figures`` (the table)."""
    command = "benchmarks/bench_analysis.py"
    if ",".join(map(str, sizes)) != DEFAULT_SIZES:
        command += f" --sizes {','.join(map(str, sizes))}"
    return f"""{HEAD}

How `erpcap analyze` scales with the number of recorded requests, in time and in memory:
synthetic run directories (a 5-step ladder, 12 transactions, 0.2 % failures) written by the
real part writer in parts of a million rows, each analysed in a fresh child process (peak RSS
is the child's). Command:

```
.venv/bin/python {command} --write-docs
```

{figures}

The analysis reads only the request columns its statistics use, text as categoricals (one
small integer per request), computes per-transaction statistics one transaction's columns at
a time and the per-second intervals with NumPy sorts instead of a frame per group.
Percentiles stay exact (every request, linear interpolation): findings.json and
intervals.parquet came out the same as before to the last bit on a check run (340,000
requests in parts out of time order, paced requests, a part without `paced`). The report
is built from intervals.parquet, whose charts hold at most 1,500 points a series, so its
size does not grow with the number of requests (last column: `erpcap report` of each run).

Before (the same command on the previous analysis, commit 68e2fca, run just before the
table above on the same machine):

{table(BEFORE)}
"""


if __name__ == "__main__":
    sys.exit(main())
