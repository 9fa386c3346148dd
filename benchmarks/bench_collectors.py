"""What the collectors cost the process that runs them.

Serves the reference ERP on PostgreSQL (seeded small, on a free loopback port) and drives
the same bounded load through ``erpcap run`` twice per round: once with no collector
(``--collect none``) and once with every collector this machine can feed, each at a 1 s
interval — ``psutil``, ``postgres`` (the ERP's database), ``scrape`` (the ERP's /metrics),
and ``mysql`` or ``prometheus`` when their URL is given and the collector is installed.
Unless ``--no-prometheus``, it starts Debian's ``prometheus`` and
``prometheus-node-exporter`` on free loopback ports (scraping the node exporter and the ERP
every second) for the ``prometheus`` collector in live mode, and stops them at the end.
While the load runs, it samples the ``erpcap run`` process itself (not its children:
Locust and the ERP are other processes) for CPU seconds and RSS over a fixed window after
the load has started. The difference between the two is the collectors' own cost, as a
share of one core. Rounds alternate the two kinds, so that a noisy neighbour hits both.

    .venv/bin/python benchmarks/bench_collectors.py [--rounds 2] [--seconds 40]
        [--mysql mysql://root@127.0.0.1:3306/test] [--no-prometheus] [--write-docs]

Every load goes to 127.0.0.1, lasts ``--seconds``, and stops by itself.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import httpx
import psutil
import psycopg
from docs_section import replace_section  # this folder is first on sys.path

from erpcap.collectors.base import default_registry
from erpcap.processes import ManagedProcess, free_port
from erpcap.rundir import RunDir

ADMIN = "postgresql://postgres@127.0.0.1:5432/postgres"
DB_NAME = "erpcap_bench_collectors"
ROOT = Path(__file__).resolve().parent.parent
#: Seconds of the load left out before measuring (Locust starting, users logging in).
SETTLE_S = 8.0


@dataclass
class Sample:
    kind: str
    cpu_share: float  # CPU seconds of the erpcap process per wall second, 1.0 = one core
    rss_mb: float
    requests: int


def _database() -> str:
    with psycopg.connect(ADMIN, autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {DB_NAME} WITH (FORCE)")
        conn.execute(f"CREATE DATABASE {DB_NAME}")
    return f"postgresql://postgres@127.0.0.1:5432/{DB_NAME}"


def _erp(db: str, folder: Path) -> tuple[subprocess.Popen[bytes], str]:
    cli = [sys.executable, "-m", "erpcap.reference_erp"]
    env = {**os.environ, "ERPCAP_ERP_DB": db}
    subprocess.run([*cli, "seed", "--scale", "0.05"], env=env, check=True,
                   stdout=subprocess.DEVNULL, timeout=600)  # fmt: skip
    port = free_port()
    log = (folder / "erp.log").open("wb")
    server = subprocess.Popen(
        [*cli, "serve", "--host", "127.0.0.1", "--port", str(port)],
        env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{url}/health", timeout=1).status_code == 200:
                return server, url
        except httpx.HTTPError:
            time.sleep(0.2)
    raise SystemExit(f"the reference ERP did not start: {(folder / 'erp.log').read_text()}")


def _wait_http(url: str, process: ManagedProcess) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and process.poll() is None:
        try:
            if httpx.get(url, timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise SystemExit(f"{process.name} did not start: {process.tail()}")


def _prometheus(folder: Path, erp: str) -> tuple[list[ManagedProcess], str] | None:
    """Prometheus scraping a node exporter and the ERP every second, or None when Debian's
    packages are not installed (``make services`` installs them)."""
    server, node = shutil.which("prometheus"), shutil.which("prometheus-node-exporter")
    if not server or not node:
        return None
    node_at = f"127.0.0.1:{free_port()}"
    exporter = ManagedProcess("node-exporter", [node, f"--web.listen-address={node_at}"],
                              log_path=folder / "node.log").start()  # fmt: skip
    _wait_http(f"http://{node_at}/metrics", exporter)
    config = folder / "prometheus.yml"
    config.write_text(
        "global: {scrape_interval: 1s, scrape_timeout: 1s}\nscrape_configs:\n"
        f"  - job_name: node\n    static_configs: [{{targets: ['{node_at}']}}]\n"
        f"  - job_name: erp\n    static_configs: [{{targets: ['{erp.split('//')[1]}']}}]\n"
    )
    port = free_port()
    prometheus = ManagedProcess(
        "prometheus",
        [server, f"--config.file={config}", f"--storage.tsdb.path={folder / 'tsdb'}",
         f"--web.listen-address=127.0.0.1:{port}"],
        log_path=folder / "prometheus.log",
    ).start()  # fmt: skip
    _wait_http(f"http://127.0.0.1:{port}/-/ready", prometheus)
    return [exporter, prometheus], f"http://127.0.0.1:{port}"


def _specs(db: str, url: str, prometheus: str | None, args: argparse.Namespace) -> list[str]:
    known = set(default_registry().names())
    specs = ["psutil", f"postgres={db}", f"scrape={url}/metrics"]
    if args.mysql and "mysql" in known:
        specs.append(f"mysql={args.mysql}")
    if prometheus and "prometheus" in known:
        specs.append(f"prometheus:url={prometheus},live=true,interval=1")
    return specs


def _measure(kind: str, specs: list[str], url: str, out: Path, seconds: float) -> Sample:
    collect = [a for spec in specs for a in ("--collect", spec)] or ["--collect", "none"]
    argv = [sys.executable, "-m", "erpcap", "run", "--target", url, "--scenario", "demo-mix",
            "--users", "10", "--duration", f"{seconds:.0f}s", "--think-scale", "0.05",
            "--no-report", "--label", kind, "--out", str(out), *collect]  # fmt: skip
    proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True)  # fmt: skip
    me = psutil.Process(proc.pid)
    try:
        deadline = time.monotonic() + 60
        while not list(out.glob(f"*_{kind}/requests")) and time.monotonic() < deadline:
            time.sleep(0.2)  # the load has begun once the first requests are written
        time.sleep(SETTLE_S)
        window = max(seconds - SETTLE_S - 6.0, 5.0)
        t0, c0 = time.monotonic(), sum(me.cpu_times()[:2])
        rss = 0.0
        while time.monotonic() - t0 < window:
            rss = max(rss, me.memory_info().rss / 2**20)
            time.sleep(0.5)
        share = (sum(me.cpu_times()[:2]) - c0) / (time.monotonic() - t0)
        proc.wait(timeout=seconds + 120)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, 15)
            proc.wait(30)
    run = RunDir.open(next(p for p in out.glob(f"*_{kind}") if p.is_dir()))
    return Sample(kind, share, rss, run.count_rows("requests"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--seconds", type=float, default=40.0)
    parser.add_argument(
        "--mysql",
        default="mysql://root@127.0.0.1:3306/test",
        help="a MySQL/MariaDB URL for the mysql collector ('' to leave it out)",
    )
    parser.add_argument("--no-prometheus", action="store_true", help="leave Prometheus out")
    parser.add_argument("--write-docs", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="erpcap-bench-collectors-") as tmp:
        folder = Path(tmp)
        db = _database()
        server, url = _erp(db, folder)
        stack = None if args.no_prometheus else _prometheus(folder, url)
        try:
            specs = _specs(db, url, stack[1] if stack else None, args)
            samples: list[Sample] = []
            for r in range(args.rounds):
                order = (
                    [("none", []), ("all", specs)] if r % 2 == 0 else [("all", specs), ("none", [])]
                )
                for kind, chosen in order:
                    sample = _measure(f"{kind}{r}", chosen, url, folder / "runs", args.seconds)
                    sample.kind = kind
                    samples.append(sample)
                    print(f"round {r + 1} {kind:>4}: erpcap process CPU {sample.cpu_share:.1%} "
                          f"of a core, peak RSS {sample.rss_mb:.0f} MB, "
                          f"{sample.requests} requests", flush=True)  # fmt: skip
        finally:
            for process in stack[0] if stack else []:
                process.stop()
            os.killpg(server.pid, 15)
            server.wait(30)
            with psycopg.connect(ADMIN, autocommit=True) as conn:
                conn.execute(f"DROP DATABASE IF EXISTS {DB_NAME} WITH (FORCE)")
    none = [s for s in samples if s.kind == "none"]
    full = [s for s in samples if s.kind == "all"]
    cost = statistics.median(s.cpu_share for s in full) - statistics.median(
        s.cpu_share for s in none
    )
    rss = statistics.median(s.rss_mb for s in full) - statistics.median(s.rss_mb for s in none)
    names = ", ".join(spec.split("=")[0].split(":")[0] for spec in specs)
    line = (f"collectors ({names}) at 1 s: "
            f"{cost:+.1%} of a core, {rss:+.0f} MB RSS")  # fmt: skip
    print(line)
    if args.write_docs:
        _write_docs(args, samples, line)


def _write_docs(args: argparse.Namespace, samples: list[Sample], line: str) -> None:
    head = "## Collectors"
    rows = "\n".join(
        f"| {i // 2 + 1} | {s.kind} | {s.cpu_share:.1%} | {s.rss_mb:.0f} MB | {s.requests} |"
        for i, s in enumerate(samples)
    )
    flags = f" --rounds {args.rounds} --seconds {args.seconds:.0f}"
    flags += "" if args.mysql else " --mysql ''"
    flags += " --no-prometheus" if args.no_prometheus else ""
    section = (
        f"{head}\n\nThe collectors' own cost: the `erpcap run` process (not Locust, not the ERP) "
        f"sampled over the same load with no collector and with all of them at a 1 s interval, "
        f"rounds alternating. {psutil.cpu_count()} cores, measured {time.strftime('%Y-%m-%d')}.\n\n"
        f"    .venv/bin/python benchmarks/bench_collectors.py{flags} --write-docs\n\n"
        f"| round | collectors | CPU of the erpcap process (share of one core) | peak RSS | requests |\n"
        f"| ---: | --- | ---: | ---: | ---: |\n{rows}\n\n**{line}** (medians; goal: under 2 % of a core).\n"
    )
    replace_section(head, section)


if __name__ == "__main__":
    main()
