"""Recording overhead: erpcap's request recorder against plain Locust, same locustfile; and
the generator's cost of erpcap's own scenario users on ``FastHttpUser`` against ``HttpUser``.

Starts a fast HTTP server that knows nothing of ERPs (tests/scenarios/plain_server.py: one
asyncio protocol, a few microseconds per answer) and writes ``bench_locustfile.py``: one
``FastHttpUser`` with no think time sending ``GET /ping``. Each round runs it twice, in
alternating order, for the same bounded time and users:

- plain Locust: ``locust -f bench_locustfile.py --headless -u N -r N -t T --host URL``;
- erpcap: ``erpcap run --scenario bench_locustfile.py --collect none --users N --duration T
  --no-report``, which records one row per request into the run directory.

Throughput is counted by the server (its ``/__served`` counter, read at the start and the
end of a window that opens once requests flow and ``--settle`` seconds have passed), so
both sides are measured the same way. With ``--pin`` (default on a machine with 2 or more
cores) the load generator (Locust, or erpcap and its Locust) runs on CPU 0 and the server on
CPU 1, and the server's CPU over the window is reported: a server near 100 % of its core
would be the bottleneck, not the recorder. The figure is the ratio of the medians (goal at
least 0.9).

    .venv/bin/python benchmarks/bench_recording.py [--rounds 4] [--users 10] [--seconds 12]
        [--write-docs]

Each round also runs erpcap's own declarative scenario user (:mod:`erpcap.scenarios.rest_users`,
a one-transaction YAML scenario sending ``GET /ping`` with no think time) through ``erpcap run``
twice: as shipped, on ``FastHttpUser`` (geventhttpclient), and with Locust's ``HttpUser``
client (requests' ``HttpSession``) put in place of its client, the user's code unchanged
(``bench_scenario_users.py``, chosen by ``$ERPCAP_BENCH_CLIENT``). Their figure is requests per
CPU-second of the generator (Locust and the ``erpcap run`` process, recorder included), and
the ratio of the two medians (``--kinds`` chooses which comparisons run).

Every load goes to 127.0.0.1, lasts ``--seconds`` plus start-up, and stops by itself.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import httpx
import psutil
from docs_section import replace_section  # this folder is first on sys.path
from machine import Machine

from erpcap.processes import die_with_parent

ROOT = Path(__file__).resolve().parent.parent
SERVER = ROOT / "tests" / "scenarios" / "plain_server.py"

LOCUSTFILE = '''\
"""Recording-overhead benchmark: one FastHttpUser, no think time."""
from locust import FastHttpUser, constant, task


class Pinger(FastHttpUser):
    wait_time = constant(0)

    @task
    def ping(self):
        self.client.get("/ping")
'''


SCENARIO = """\
name: bench-ping
think: 0s
transactions:
  - name: ping
    path: /ping
"""

SCENARIO_USERS = '''\
"""Generator benchmark: erpcap's declarative scenario user as shipped (FastHttpUser), or
with requests' HttpSession (HttpUser's client) in its place: $ERPCAP_BENCH_CLIENT=requests."""
import os
from pathlib import Path

from locust.clients import HttpSession

from erpcap.scenarios.catalog import resolve_scenario
from erpcap.scenarios.launch import LoadSettings
from erpcap.scenarios.rest_users import rest_user_classes
from erpcap.scenarios.shapes import Shape, Step


def _scenario_user():
    here = Path(__file__).resolve().parent
    settings = LoadSettings(run_dir=here, scenario="bench", shape=Shape("constant", (Step(1, 1.0),)))
    fast = rest_user_classes(resolve_scenario(str(here / "bench_scenario.yaml")), settings)
    user = fast["ScenarioUser"]
    if os.environ.get("ERPCAP_BENCH_CLIENT") != "requests":
        return user

    def __init__(self, environment):
        user.__init__(self, environment)
        self.client = HttpSession(self.host, environment.events.request, user=self)

    return type("ScenarioUser", (user,), {"__init__": __init__, "__module__": __name__})


ScenarioUser = _scenario_user()
'''

#: The comparisons ``--kinds`` chooses, each the two kinds of run it compares.
COMPARISONS = {"locust": ("locust", "erpcap"), "users": ("users-http", "users-fast")}

#: The runs of each round, by kind: the label of the table.
KINDS = {
    "locust": "plain Locust",
    "erpcap": "erpcap run",
    "users-http": "scenario users, HttpUser client",
    "users-fast": "scenario users, FastHttpUser",
}


@dataclass
class Sample:
    round: int
    kind: str  # a key of KINDS
    rps: float
    server_cpu: float  # the server's CPU seconds per wall second over the window
    loader_us: float  # CPU microseconds of the load generator (its process tree) per request
    recorded: int | None  # rows erpcap recorded (None for plain Locust)

    @property
    def per_cpu_s(self) -> float:
        """Requests per CPU-second of the load generator."""
        return 1e6 / self.loader_us if self.loader_us > 0 else 0.0


def _load_server() -> object:
    spec = importlib.util.spec_from_file_location("erpcap_bench_plain_server", SERVER)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _served(client: httpx.Client, url: str) -> int:
    return int(client.get(f"{url}/__served").text)


def _tree_cpu(processes: list[psutil.Process]) -> dict[int, float]:
    """CPU seconds (user + system) of each process still alive, by pid."""
    out = {}
    for process in processes:
        try:
            out[process.pid] = sum(process.cpu_times()[:2])
        except psutil.Error:
            continue
    return out


def _measure(
    argv: list[str], url: str, server: psutil.Process, settle_s: float, window_s: float,
    folder: Path, name: str, env: dict[str, str] | None = None,
) -> tuple[float, float, float]:  # fmt: skip
    """Run ``argv``; return requests per second, the server's CPU share, and the load
    generator's CPU microseconds per request, over the window."""
    log = (folder / f"{name}.log").open("wb")
    proc = subprocess.Popen(
        die_with_parent(argv), cwd=folder, stdout=log, stderr=subprocess.STDOUT,
        start_new_session=True, env={**os.environ, **(env or {})},
    )  # fmt: skip
    try:
        with httpx.Client(timeout=5) as client:
            first = _served(client, url)
            deadline = time.monotonic() + 60
            while _served(client, url) == first:  # wait for requests to flow
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"{name}: no requests reached the server; see {log.name}")
                time.sleep(0.05)
            time.sleep(settle_s)
            root = psutil.Process(proc.pid)
            tree = [root, *root.children(recursive=True)]
            load0 = _tree_cpu(tree)
            cpu0, t0, c0 = sum(server.cpu_times()[:2]), time.monotonic(), _served(client, url)
            time.sleep(window_s)
            cpu1, t1, c1 = sum(server.cpu_times()[:2]), time.monotonic(), _served(client, url)
            load1 = _tree_cpu(tree)
            if proc.poll() is not None:
                raise RuntimeError(f"{name} ended before the window closed: lengthen --seconds")
        proc.wait(timeout=120)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
            proc.wait(30)
        log.close()
    loader = sum(load1[pid] - load0[pid] for pid in load1 if pid in load0)
    return (c1 - c0) / (t1 - t0), (cpu1 - cpu0) / (t1 - t0), 1e6 * loader / max(c1 - c0, 1)


def _recorded(runs: Path) -> int:
    import pyarrow.parquet as pq

    run = (runs / "latest").resolve()
    return int(pq.ParquetFile(run / "requests.parquet").metadata.num_rows)


def run_rounds(args: argparse.Namespace, folder: Path) -> list[Sample]:
    (folder / "bench_locustfile.py").write_text(LOCUSTFILE, encoding="utf-8")
    (folder / "bench_scenario.yaml").write_text(SCENARIO, encoding="utf-8")
    (folder / "bench_scenario_users.py").write_text(SCENARIO_USERS, encoding="utf-8")
    plain = _load_server()
    pin = ["taskset", "-c", "0"] if args.pin else []
    # Locust runs past the window: start-up, settle, window, and a margin.
    total = int(args.settle + args.seconds + 8)
    samples: list[Sample] = []
    with plain.serving(folder / "server.log") as (url, pid):  # type: ignore[attr-defined]
        server = psutil.Process(pid)
        if args.pin:
            server.cpu_affinity([1])
        commands = {
            "locust": [*pin, sys.executable, "-m", "locust", "-f", "bench_locustfile.py",
                       "--headless", "-u", str(args.users), "-r", str(args.users),
                       "-t", f"{total}s", "--host", url, "--only-summary",
                       "--exit-code-on-error", "0"],
        }  # fmt: skip
        kinds = [k for c in args.kinds for k in COMPARISONS[c]]
        for i in range(1, args.rounds + 1):
            order = kinds if i % 2 else kinds[::-1]
            for kind in order:
                runs = folder / f"runs-{i}-{kind}"
                scenario = "bench_locustfile.py" if kind == "erpcap" else "bench_scenario_users.py"
                argv = commands.get(kind) or [
                    *pin, sys.executable, "-m", "erpcap", "run", "--target", url,
                    "--scenario", scenario, "--collect", "none",
                    "--users", str(args.users), "--spawn-rate", str(args.users),
                    "--duration", f"{total}s", "--no-report", "--out", str(runs),
                ]  # fmt: skip
                client = {"ERPCAP_BENCH_CLIENT": "requests" if kind == "users-http" else "fast"}
                rps, cpu, us = _measure(argv, url, server, args.settle, args.seconds, folder,
                                        f"{kind}-{i}", client)  # fmt: skip
                rows = None if kind == "locust" else _recorded(runs)
                samples.append(Sample(i, kind, rps, cpu, us, rows))
                print(f"round {i} {kind:10} {rps:8.0f} req/s  server CPU {cpu:5.0%}  "
                      f"load generator {us:5.0f} µs CPU/request"
                      + (f"  rows {rows}" if rows is not None else ""), flush=True)  # fmt: skip
    return samples


def recorder_cost_us(rows: int = 50_000) -> tuple[float, float]:
    """Microseconds of CPU per request that the recorder itself takes, measured in this
    process without Locust: ``on_request`` (the row built and buffered) and the flush to a
    part file. A steadier figure than the throughput ratio on a shared machine."""
    from types import SimpleNamespace

    from erpcap.rundir import RunDir
    from erpcap.scenarios.recorder import RequestRecorder

    with tempfile.TemporaryDirectory(prefix="erpcap-bench-recorder-") as folder:
        run = RunDir.create(Path(folder) / "run", scenario="bench")
        recorder = RequestRecorder(run)
        recorder._environment = SimpleNamespace(runner=SimpleNamespace(user_count=10))
        response = SimpleNamespace(status_code=200)
        recorder.on_request("GET", "/ping", 1.25, 12, response, {}, None, time.time())
        recorder.flush()  # once, for what a process does only the first time (imports)
        started = time.process_time()
        for _ in range(rows):
            recorder.on_request("GET", "/ping", 1.25, 12, response, {}, None, time.time())
        buffered = time.process_time()
        recorder.flush()
        flushed = time.process_time()
    return 1e6 * (buffered - started) / rows, 1e6 * (flushed - buffered) / rows


def summary(
    samples: list[Sample], field: str = "rps", kinds: tuple[str, str] = ("locust", "erpcap")
) -> tuple[float, float, float]:
    """Medians of ``field`` for the two ``kinds`` (plain Locust and erpcap, by default), and
    the second's over the first's."""
    first = statistics.median(getattr(s, field) for s in samples if s.kind == kinds[0])
    second = statistics.median(getattr(s, field) for s in samples if s.kind == kinds[1])
    return first, second, second / first


#: The figures before the columnar buffer (the row built per request as a dict of datetimes).
BEFORE = (
    "Before it (2026-12-05, commit 51dac00, the same command): 4.5 µs to build and buffer the "
    "row and 2.8 µs to write it, measured apart; erpcap 112 µs of CPU per request against "
    "plain Locust's 98 µs, 0.89 of plain Locust's requests/s. Measured the same day with the "
    "recorder attached to plain Locust (this benchmark's locustfile plus an `init` listener "
    "that attaches it; the Locust process's CPU per request, medians of 3 alternating runs "
    "of 8 s): 98.6 µs without a recorder, 107.0 with the previous one, 100.1 with this one; "
    "erpcap's own Locust process (`locust_command`, the same file as a scenario) 101.6 "
    "against plain Locust's 99.2. Two earlier runs of the same command with the columnar "
    "recorder, the same day under more load, gave 0.91 (CPU per request 112 µs against "
    "101.5) and 0.86 (107.5 against 100.5): the throughput ratio moves by a few hundredths "
    "from run to run here. The run of this command before the scenario users were added (6 "
    "rounds of 10 s, load average 2.3, then 1.1): 0.92 of plain Locust's 10,200 req/s, 105 µs "
    "of CPU per request against 97 µs. On a busier machine the CPU per request of every kind "
    "grows (it about doubled in the run of 2026-12-05 03:41): compare kinds within one run."
)


def section(
    args: argparse.Namespace,
    samples: list[Sample],
    cost: tuple[float, float],
    load: tuple[float, float] = (0.0, 0.0),
) -> str:
    ran = {s.kind for s in samples}
    top_cpu = max(s.server_cpu for s in samples)
    lines = [
        "## Recording overhead",
        "",
        "Requests per second of users with no think time against a trivial loopback endpoint "
        "(tests/scenarios/plain_server.py, asyncio), counted by the server, same users and "
        "time, rounds alternating the order"
        + (", load generator on CPU 0 and server on CPU 1" if args.pin else "")
        + f"; measured {datetime.now(UTC):%Y-%m-%d}. The recorder: plain Locust (`locust -f "
        "bench_locustfile.py --headless`, one `FastHttpUser`) against `erpcap run --scenario "
        "bench_locustfile.py --collect none` (the recorder writing one row per request). The "
        "generator: erpcap's own declarative scenario user (a one-transaction YAML scenario, "
        "`GET /ping`) through `erpcap run`, as shipped on `FastHttpUser` and with `HttpUser`'s "
        "client (requests' `HttpSession`) in place of its client, the user's code unchanged.",
        "",
        f"    .venv/bin/python benchmarks/bench_recording.py --rounds {args.rounds} "
        f"--users {args.users} --seconds {args.seconds:g} --kinds {','.join(args.kinds)} "
        "--write-docs",
        "",
        "| round | load generator | requests/s | its CPU per request | requests per CPU-second "
        "| server CPU (share of a core) | rows recorded |",
        "| ---: | --- | ---: | ---: | ---: | ---: | ---: |",
    ]
    for s in samples:
        rows = "" if s.recorded is None else f"{s.recorded:,}"
        lines.append(
            f"| {s.round} | {KINDS[s.kind]} | {s.rps:,.0f} | {s.loader_us:,.0f} µs | "
            f"{s.per_cpu_s:,.0f} | {s.server_cpu:.0%} | {rows} |"
        )
    lines += ["", f"The server used at most {top_cpu:.0%} of its core, so the load generator "
              "was the bottleneck.", ""]  # fmt: skip
    if {"users-http", "users-fast"} <= ran:
        lines += [_users_text(samples), ""]
    if {"locust", "erpcap"} <= ran:
        lines += [_recorder_text(samples, cost), ""]
    lines += [
        f"Load average of the machine before the rounds (other processes share it; the "
        f"benchmark adds about 1.2 while it runs): {load[0]:.1f}, and {load[1]:.1f} after "
        "them"
        + (
            ": the figures are noisy, the CPU per request steadier than requests/s."
            if load[0] >= 1.0
            else "."
        ),
        "",
    ]
    return "\n".join(lines)


def _users_text(samples: list[Sample]) -> str:
    kinds = ("users-http", "users-fast")
    http, fast, ratio = summary(samples, "per_cpu_s", kinds)
    http_rps, fast_rps, rps_ratio = summary(samples, "rps", kinds)
    return (
        f"**erpcap's scenario users on `FastHttpUser`: {fast:,.0f} requests per CPU-second of "
        f"the generator, on `HttpUser`'s client {http:,.0f}: {ratio:.2f} times as many** "
        f"(medians; requests/s {fast_rps:,.0f} against {http_rps:,.0f}, {rps_ratio:.2f}). "
        "The generator's CPU counts the Locust process and the `erpcap run` process with its "
        "recorder: one core of the generator sends at most about that many requests per "
        "second of such a user, and `erpcap run` warns from 80 % of it (docs/workers.md)."
    )


def _recorder_text(samples: list[Sample], cost: tuple[float, float]) -> str:
    plain, erpcap, ratio = summary(samples)
    plain_us, erpcap_us, _ = summary(samples, "loader_us")
    verdict = "met" if ratio >= 0.9 else "not met"
    return (
        f"**erpcap with its recorder: {erpcap:,.0f} req/s, plain Locust {plain:,.0f} req/s: "
        f"{ratio:.2f} of plain Locust** (medians; goal at least 0.90: {verdict}). "
        f"CPU per request of the load generator's processes (on a shared machine steadier "
        f"than requests/s): plain Locust {plain_us:,.0f} µs, erpcap {erpcap_us:,.0f} µs "
        f"(Locust and the `erpcap run` process together): requests per CPU second "
        f"{plain_us / erpcap_us:.2f} of plain Locust.\n\n"
        f"The recorder's own CPU per request, measured apart (no Locust, a tight loop): "
        f"{cost[0]:.1f} µs to buffer the request, {cost[1]:.1f} µs to build its row and "
        f"write it to a part file"
        + (
            f", {sum(cost):.1f} µs of the {erpcap_us - plain_us:.0f} µs measured above. "
            if erpcap_us - plain_us > sum(cost)
            else f"; the difference measured above ({erpcap_us - plain_us:.0f} µs) is within "
            "the noise of a shared machine. "
        )
        + "Per request the recorder keeps one tuple of plain values (epoch "
        "seconds, ints, strings; scenarios/request_columns.py), and the flush, every 2 s, "
        "builds the Arrow columns from them at once (timestamps from epoch microseconds with "
        "numpy, rounded as `datetime.fromtimestamp` rounds): the rows hold the same values as "
        "when each one was a dict of datetimes. " + BEFORE
    )


def write_docs(text: str, machine: Machine) -> None:
    """Replace (or add) the section of docs/benchmarks.md."""
    replace_section("## Recording overhead", text, machine=machine)


def _kinds(text: str) -> list[str]:
    kinds = [k.strip() for k in text.split(",") if k.strip()]
    unknown = [k for k in kinds if k not in COMPARISONS]
    if unknown or not kinds:
        raise argparse.ArgumentTypeError(f"use {', '.join(COMPARISONS)}, comma-separated")
    return kinds


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=4)
    parser.add_argument("--users", type=int, default=10)
    parser.add_argument("--seconds", type=float, default=12.0, help="the measured window")
    parser.add_argument("--settle", type=float, default=3.0, help="seconds before the window")
    parser.add_argument(
        "--pin", action=argparse.BooleanOptionalAction, default=(os.cpu_count() or 1) >= 2,
        help="load generator on CPU 0, server on CPU 1 (default with 2 or more cores)",
    )  # fmt: skip
    parser.add_argument(
        "--kinds", type=_kinds, default=list(COMPARISONS),
        help="comparisons: locust (the recorder against plain Locust), users (FastHttpUser "
        "against HttpUser), comma-separated",
    )  # fmt: skip
    parser.add_argument("--keep", type=Path, help="keep the logs and runs in DIR")
    parser.add_argument("--write-docs", action="store_true")
    args = parser.parse_args()
    machine = Machine.now()
    signal.signal(signal.SIGTERM, _interrupt)  # stop the children on SIGTERM too
    folder = args.keep or Path(tempfile.mkdtemp(prefix="erpcap-bench-recording-"))
    folder.mkdir(parents=True, exist_ok=True)
    cost = recorder_cost_us()
    print(f"recorder: {cost[0]:.1f} µs per row buffered, {cost[1]:.1f} µs per row flushed")
    load_before = os.getloadavg()[0]
    samples = run_rounds(args, folder)
    load = (load_before, os.getloadavg()[0])
    ran = {s.kind for s in samples}
    if {"locust", "erpcap"} <= ran:
        plain, erpcap, ratio = summary(samples)
        print(f"plain Locust {plain:,.0f} req/s, erpcap {erpcap:,.0f} req/s: ratio {ratio:.2f}")
    if {"users-http", "users-fast"} <= ran:
        http, fast, ratio = summary(samples, "per_cpu_s", ("users-http", "users-fast"))
        print(f"scenario users per generator CPU-second: HttpUser client {http:,.0f}, "
              f"FastHttpUser {fast:,.0f}: ratio {ratio:.2f}")  # fmt: skip
    if args.write_docs:
        write_docs(section(args, samples, cost, load), machine)
    return 0


if __name__ == "__main__":
    sys.exit(main())
