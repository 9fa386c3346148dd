"""How well the open model keeps its schedule: ``erpcap run --rate 200/s`` on a trivial endpoint.

Starts the stub ERP of the tests (tests/scenarios/stub_erp.py: a ThreadingHTTPServer that
answers ``/availability`` at once) on a free loopback port, and drives one transaction,
``check_availability``, through ``erpcap run --rate RATE/s`` for ``--seconds`` (default 30).
From the run directory it reports:

- the **achieved rate**: arrivals sent per second, against the intended (the Poisson
  schedule's own count per second) and the configured rate;
- the **start lag**: actual start minus intended start of every paced request, p50, p99 and
  max (the generator's own lateness: gevent scheduling, a busy core);
- the **dropped** arrivals (none is the goal on an idle endpoint).

The first ``--settle`` seconds (the pool starting and logging in) are left out of the rate
and the lag.

    .venv/bin/python benchmarks/bench_open_model.py [--rate 200] [--seconds 30] [--workers 0]
        [--write-docs]

Every load goes to 127.0.0.1, lasts ``--seconds``, and stops by itself.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
from docs_section import replace_section  # this folder is first on sys.path

from erpcap.processes import ManagedProcess, wait_http_ok
from erpcap.rundir import RunDir

ROOT = Path(__file__).resolve().parent.parent
STUB = ROOT / "tests" / "scenarios" / "stub_erp.py"
SCENARIO = "users:\n  - role: order_entry\n    tasks: {check_availability: 1}\n"
HEAD = "## Open model"


def _stub_url(stub: ManagedProcess, deadline_s: float = 20.0) -> str:
    """The stub's URL, from the ``PORT <n>`` line it prints first."""
    deadline = time.monotonic() + deadline_s
    while time.monotonic() < deadline and stub.poll() is None:
        words = stub.log_path.read_text(encoding="utf-8").split() if stub.log_path.exists() else []
        if words[:1] == ["PORT"] and len(words) > 1:
            return f"http://127.0.0.1:{words[1]}"
        time.sleep(0.1)
    raise SystemExit(f"the stub ERP did not start: {stub.tail()}")


def _run(args: argparse.Namespace, work: Path) -> tuple[RunDir, float]:
    stub = ManagedProcess(
        "stub-erp", [sys.executable, "-u", str(STUB)], log_path=work / "stub.log"
    ).start()
    try:
        url = _stub_url(stub)
        wait_http_ok(f"{url}/health", timeout_s=20, alive=lambda: stub.poll() is None)
        scenario = work / "availability.yaml"
        scenario.write_text(SCENARIO, encoding="utf-8")
        argv = [sys.executable, "-m", "erpcap", "run", "--target", url, "--scenario",
                str(scenario), "--rate", f"{args.rate:g}/s", "--duration", f"{args.seconds:g}s",
                "--collect", "none", "--no-report", "--out", str(work / "runs")]  # fmt: skip
        if args.workers:
            argv += ["--workers", str(args.workers)]
        started = time.monotonic()
        subprocess.run(argv, check=True, timeout=args.seconds + 120)
        wall = time.monotonic() - started
    finally:
        stub.stop()
    return RunDir.open(next((work / "runs").iterdir())), wall


def measure(run: RunDir, settle_s: float) -> dict[str, Any]:
    """The figures of one run (see the module docstring)."""
    meta = run.read_meta()
    arrivals = meta["arrivals"]
    requests = run.read_table("requests")
    failed = requests[~requests["ok"]]
    paced = requests[requests["name"] == "check_availability"]
    first = paced["intended_start"].min()
    steady = paced[paced["intended_start"] >= first + np.timedelta64(int(settle_s * 1e6), "us")]
    span = (steady["intended_start"].max() - steady["intended_start"].min()).total_seconds()
    lag_ms = (steady["start"] - steady["intended_start"]).dt.total_seconds().to_numpy() * 1000
    duration = float(sum(s["duration_s"] for s in meta["rate"]["steps"]))
    return {
        "configured": float(meta["rate"]["steps"][0]["rate"]),
        "intended_per_s": arrivals["intended"] / duration,
        "sent_per_s": arrivals["sent"] / duration,
        "steady_per_s": len(steady) / span if span > 0 else 0.0,
        "intended": arrivals["intended"],
        "sent": arrivals["sent"],
        "dropped": arrivals["dropped"],
        "lag_p50_ms": float(np.percentile(lag_ms, 50)),
        "lag_p99_ms": float(np.percentile(lag_ms, 99)),
        "lag_max_ms": float(lag_ms.max()),
        "service_p50_ms": float(np.percentile(steady["service_us"], 50) / 1000),
        "pool": meta["rate"]["max_users"],
        "errors": int((~requests["ok"]).sum()),
        "error_kinds": (failed["name"] + ": " + failed["error"].fillna("").str[:50])
        .value_counts()
        .to_dict(),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rate", type=float, default=200.0, help="arrivals per second")
    parser.add_argument("--seconds", type=float, default=30.0, help="length of the run")
    parser.add_argument("--settle", type=float, default=3.0, help="seconds left out first")
    parser.add_argument("--workers", type=int, default=0, help="Locust worker processes")
    parser.add_argument("--write-docs", action="store_true", help="write docs/benchmarks.md")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="erpcap-bench-open-") as tmp:
        run, wall = _run(args, Path(tmp))
        figures = measure(run, args.settle)
    figures["wall_s"] = wall
    print(json.dumps(figures, indent=2))
    if args.write_docs:
        write_docs(args, figures)


def _kinds(kinds: dict[str, int]) -> str:
    return "(" + "; ".join(f"{n} × {k}" for k, n in kinds.items()) + ") " if kinds else ""


def write_docs(args: argparse.Namespace, f: dict[str, Any]) -> None:
    """Replace (or add, at the end) the "Open model" section of docs/benchmarks.md."""
    flags = f" --rate {args.rate:g} --seconds {args.seconds:g}"
    flags += f" --workers {args.workers}" if args.workers else ""
    section = (
        f"{HEAD}\n\nSchedule accuracy of the open model: `erpcap run --rate {args.rate:g}/s` "
        f"for {args.seconds:g} s, one transaction (`check_availability`) against the tests' "
        f"stub ERP on loopback, pool of {f['pool']} users (the default: the rate × 2 s), "
        f"{'one Locust process' if not args.workers else f'{args.workers} worker processes'}; "
        f"{os.cpu_count()} cores, measured {time.strftime('%Y-%m-%d')}. The first "
        f"{args.settle:g} s (the pool starting) are left out of the steady rate and the lag.\n\n"
        f"    .venv/bin/python benchmarks/bench_open_model.py{flags} --write-docs\n\n"
        "| figure | value |\n| --- | ---: |\n"
        f"| configured rate | {f['configured']:.1f}/s |\n"
        f"| intended (the Poisson schedule's arrivals) | {f['intended']:,} = "
        f"{f['intended_per_s']:.1f}/s |\n"
        f"| sent | {f['sent']:,} = {f['sent_per_s']:.1f}/s "
        f"({f['sent'] / max(f['intended'], 1):.1%} of intended) |\n"
        f"| achieved after the first {args.settle:g} s | {f['steady_per_s']:.1f}/s |\n"
        f"| dropped (more than 1 s late) | {f['dropped']:,} |\n"
        f"| start lag p50 / p99 / max | {f['lag_p50_ms']:.2f} / {f['lag_p99_ms']:.1f} / "
        f"{f['lag_max_ms']:.1f} ms |\n"
        f"| service time p50 | {f['service_p50_ms']:.2f} ms |\n"
        f"| failed requests | {f['errors']} {_kinds(f['error_kinds'])}|\n\n"
        "The stub is Python's ThreadingHTTPServer with its default listen backlog of 5: logins "
        "that fail with a connection reset are the pool's users all starting within the first "
        "second, not arrivals.\n"
    )
    replace_section(HEAD, section)


if __name__ == "__main__":
    main()
