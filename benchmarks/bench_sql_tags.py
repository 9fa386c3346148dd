"""What the reference ERP's SQL tags (``/*op='…',rid='…'*/``) cost per request.

Seeds the reference ERP on PostgreSQL (scale 0.05, a database of its own on the local
server), serves it three times at once on free loopback ports — ``--sql-tags on``, ``op`` and
``off``, the same profile and levers otherwise — and sends the same read requests (an order,
a customer's orders, an item's availability) to each, rotating request by request so that a
noisy neighbour hits all alike. One client, one request at a time: the figure is latency,
not throughput. Prints the median and mean per request of each and the difference to
``off``.

    .venv/bin/python benchmarks/bench_sql_tags.py [--requests 300] [--profiles upgraded,legacy] [--write-docs]

Every request goes to 127.0.0.1; the servers and the database are removed at the end.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
import psycopg
from docs_section import replace_section  # this folder is first on sys.path
from machine import Machine

from erpcap.processes import free_port

ADMIN = "postgresql://postgres@127.0.0.1:5432/postgres"
DB_NAME = "erpcap_bench_sql_tags"
MODES = ("on", "op", "off")


def _serve(db: str, tags: str, profile: str, folder: Path) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    log = (folder / f"erp-{tags}.log").open("wb")
    server = subprocess.Popen(
        [sys.executable, "-m", "erpcap.reference_erp", "serve", "--port", str(port),
         "--profile", profile, "--lever", "workers=off", "--lever", "cache=off",
         "--sql-tags", tags],
        env={**os.environ, "ERPCAP_ERP_DB": db}, stdout=log, stderr=subprocess.STDOUT,
        start_new_session=True,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{url}/health", timeout=1).status_code == 200:
                return server, url
        except httpx.HTTPError:
            time.sleep(0.2)
    raise SystemExit(f"the reference ERP did not start: {(folder / f'erp-{tags}.log').read_text()}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=300, help="per setting (default 300)")
    parser.add_argument(
        "--profiles", default="upgraded,legacy", help="profiles, one after the other"
    )
    parser.add_argument("--write-docs", action="store_true", help="write docs/benchmarks.md")
    args = parser.parse_args()
    machine = Machine.now()
    profiles = args.profiles.split(",")
    unknown = [p for p in profiles if p not in ("legacy", "upgraded")]
    if unknown:  # before any profile runs
        parser.error(f"unknown profile {unknown[0]!r}: use legacy and/or upgraded")
    results = {}
    for profile in profiles:
        results[profile] = measure(profile, args.requests)
        _print(profile, results[profile])
    if args.write_docs:
        _write_docs(args, results, machine)


def measure(profile: str, requests: int) -> dict[str, list[float]]:
    """Milliseconds per request of each ``--sql-tags`` mode, for one profile."""
    with psycopg.connect(ADMIN, autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {DB_NAME} WITH (FORCE)")
        conn.execute(f"CREATE DATABASE {DB_NAME}")
    db = f"postgresql://postgres@127.0.0.1:5432/{DB_NAME}"
    servers: list[subprocess.Popen[bytes]] = []
    try:
        subprocess.run([sys.executable, "-m", "erpcap.reference_erp", "seed", "--scale", "0.05"],
                       env={**os.environ, "ERPCAP_ERP_DB": db}, check=True,
                       stdout=subprocess.DEVNULL, timeout=600)  # fmt: skip
        with psycopg.connect(db) as conn:
            orders = [r[0] for r in conn.execute("SELECT id FROM sales_order ORDER BY id")]
            customers = [r[0] for r in conn.execute("SELECT id FROM customer")]
            items = [r[0] for r in conn.execute("SELECT id FROM item")]
        with tempfile.TemporaryDirectory(prefix="erpcap-bench-tags-") as tmp:
            urls = {}
            for tags in MODES:
                server, urls[tags] = _serve(db, tags, profile, Path(tmp))
                servers.append(server)
            times: dict[str, list[float]] = {mode: [] for mode in MODES}
            rng = random.Random(3)
            with httpx.Client(timeout=30) as client:
                heads = {}
                for tags, url in urls.items():
                    r = client.post(f"{url}/auth/login",
                                    json={"username": "manager", "password": "erpcap"})  # fmt: skip
                    heads[tags] = {"Authorization": f"Bearer {r.json()['access_token']}"}
                for n in range(requests + 20):  # the first 20 of each warm up
                    path = rng.choice(
                        [
                            f"/sales-orders/{rng.choice(orders)}",
                            f"/customers/{rng.choice(customers)}/orders",
                            f"/availability?item_id={rng.choice(items)}",
                        ]
                    )
                    order = MODES[n % 3 :] + MODES[: n % 3]
                    for tags in order:
                        start = time.perf_counter()
                        r = client.get(urls[tags] + path, headers=heads[tags])
                        spent = (time.perf_counter() - start) * 1000
                        if r.status_code != 200:
                            raise SystemExit(f"{path}: HTTP {r.status_code} {r.text[:200]}")
                        if n >= 20:
                            times[tags].append(spent)
    finally:
        for server in servers:
            os.killpg(server.pid, 15)
            server.wait(30)
        with psycopg.connect(ADMIN, autocommit=True) as conn:
            conn.execute(f"DROP DATABASE IF EXISTS {DB_NAME} WITH (FORCE)")
    return times


def _print(profile: str, times: dict[str, list[float]]) -> None:
    off = times["off"]
    for tags, spent in times.items():
        print(f"{profile} --sql-tags {tags:>3}: {len(spent)} requests, median "
              f"{statistics.median(spent):.2f} ms, mean {statistics.fmean(spent):.2f} ms"
              + ("" if tags == "off" else
                 f" ({statistics.median(spent) - statistics.median(off):+.2f} ms median, "
                 f"{statistics.fmean(spent) / statistics.fmean(off) - 1:+.1%} mean against off)"))  # fmt: skip


def _write_docs(
    args: argparse.Namespace, results: dict[str, dict[str, list[float]]], machine: Machine
) -> None:
    rows = []
    for profile, times in results.items():
        off_med, off_mean = statistics.median(times["off"]), statistics.fmean(times["off"])
        cells = [f"{off_med:.2f} / {off_mean:.2f} ms"]
        for tags in ("on", "op"):
            med, mean = statistics.median(times[tags]), statistics.fmean(times[tags])
            cells.append(f"{med - off_med:+.2f} ms median, {mean / off_mean - 1:+.1%} mean")
        rows.append(f"| {profile} | " + " | ".join(cells) + " |")
    section = "\n".join(
        [
            "## SQL tags",
            "",
            "What the reference ERP's SQL tags (`/*op='…',rid='…'*/`, reference-erp.md \"SQL tags\") "
            "cost per request: three servers on the same database (scale 0.05, PostgreSQL 15 on "
            "127.0.0.1), `--sql-tags on`, `op` and `off`, get the same read requests (an order, a "
            "customer's orders, an item's availability), rotating request by request, one at a "
            f"time, {args.requests} each after 20 to warm up. Command:",
            "",
            "```",
            f".venv/bin/python benchmarks/bench_sql_tags.py --requests {args.requests} "
            f"--profiles {args.profiles} --write-docs",
            "```",
            "",
            "| profile | `off` median / mean | `on` against `off` | `op` against `off` |",
            "| --- | --- | --- | --- |",
            *rows,
            "",
            "With the upgraded profile's pool (psycopg's, reference_erp/pgpool.py) a statement "
            "text run more than five times on a connection is prepared; `on` makes every "
            "request's texts new (its request id), so nothing is prepared and each statement "
            "is planned again, while `op` keeps them stable. Differences of a few tenths of a "
            "millisecond are within this shared machine's noise.",
            "",
        ]
    )
    replace_section("## SQL tags", section, machine=machine)
    print("wrote docs/benchmarks.md")


if __name__ == "__main__":
    main()
