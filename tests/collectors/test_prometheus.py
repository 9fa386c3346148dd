"""``--collect prometheus=URL``: range queries to a real Prometheus (Debian's package) that
scrapes real node, postgres and mysqld exporters, all started here on free loopback ports."""

from __future__ import annotations

import json
import math
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest

from erpcap.collectors import parse_collect_spec
from erpcap.collectors.prometheus import PrometheusCollector
from erpcap.collectors.psutil_host import PsutilCollector
from erpcap.errors import BadInput
from erpcap.processes import ManagedProcess, free_port
from erpcap.rundir import RunDir

BINARIES = {
    "prometheus": "prometheus",
    "node": "prometheus-node-exporter",
    "postgres": "prometheus-postgres-exporter",
    "mysql": "prometheus-mysqld-exporter",
}
PG_DSN = "postgresql://postgres@127.0.0.1:5432/postgres?sslmode=disable"
MYSQL_DSN = "root:@(127.0.0.1:3306)/"


def _binary(name: str) -> str:
    found = shutil.which(BINARIES[name])
    if found:
        return found
    if os.environ.get("CI"):
        pytest.fail(f"{BINARIES[name]} is not installed, and CI is set (make services installs it)")
    pytest.skip(f"{BINARIES[name]} is not installed (bash scripts/setup-services.sh installs it)")


def _wait_http(url: str, process: ManagedProcess, timeout_s: float = 60.0) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        assert process.poll() is None, f"{process.name} exited: {process.tail()}"
        try:
            if httpx.get(url, timeout=2.0).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise AssertionError(f"{url} did not answer within {timeout_s} s: {process.tail()}")


def _start_prometheus(folder: Path, targets: dict[str, str]) -> tuple[ManagedProcess, str]:
    """A Prometheus scraping ``targets`` (job → host:port) every second, storage in ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    jobs = "".join(
        f"  - job_name: {job}\n    static_configs: [{{targets: ['{target}']}}]\n"
        for job, target in targets.items()
    )
    config = folder / "prometheus.yml"
    config.write_text(
        f"global: {{scrape_interval: 1s, scrape_timeout: 1s}}\nscrape_configs:\n{jobs}"
    )
    port = free_port()
    process = ManagedProcess(
        "prometheus",
        [
            _binary("prometheus"),
            f"--config.file={config}",
            f"--storage.tsdb.path={folder / 'data'}",
            f"--web.listen-address=127.0.0.1:{port}",
        ],
        log_path=folder / "prometheus.log",
    ).start()
    url = f"http://127.0.0.1:{port}"
    _wait_http(f"{url}/-/ready", process)
    return process, url


def _wait_up(url: str, jobs: set[str], timeout_s: float = 60.0) -> None:
    """Until Prometheus has scraped every job successfully (``up == 1``)."""
    deadline = time.monotonic() + timeout_s
    up: set[str] = set()
    while time.monotonic() < deadline:
        result = httpx.get(f"{url}/api/v1/query", params={"query": "up == 1"}).json()
        up = {r["metric"]["job"] for r in result["data"]["result"]}
        if jobs <= up:
            return
        time.sleep(0.2)
    raise AssertionError(f"Prometheus scraped only {sorted(up)} of {sorted(jobs)}")


@dataclass
class Stack:
    url: str  # Prometheus
    targets: dict[str, str]  # job → the exporter's host:port


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    """Prometheus and the node, postgres and mysqld exporters, each in its own process
    group, stopped and waited for at the end of the module."""
    folder = tmp_path_factory.mktemp("prometheus")
    binaries = {name: _binary(name) for name in BINARIES}
    started: list[ManagedProcess] = []
    try:
        targets = {}
        for job, env in (
            ("node", {}),
            ("postgres", {"DATA_SOURCE_NAME": PG_DSN}),
            ("mysql", {"DATA_SOURCE_NAME": MYSQL_DSN}),
        ):
            address = f"127.0.0.1:{free_port()}"
            exporter = ManagedProcess(
                job,
                [binaries[job], f"--web.listen-address={address}"],
                log_path=folder / f"{job}.log",
                env={**os.environ, **env},
            ).start()
            started.append(exporter)
            _wait_http(f"http://{address}/metrics", exporter)
            targets[job] = address
        prometheus, url = _start_prometheus(folder / "server", targets)
        started.append(prometheus)
        _wait_up(url, set(targets))
        yield Stack(url, targets)
    finally:
        for process in reversed(started):
            process.stop()
            assert process.poll() is not None


def _rows(run: RunDir, metric: str | None = None) -> list[dict[str, object]]:
    table = run.read_table("metrics")
    rows = table[table["source"] == "prometheus"].to_dict("records")
    return [r for r in rows if metric is None or r["metric"] == metric]


def _events(run: RunDir, kind: str) -> list[dict[str, object]]:
    return [e for e in run.read_events() if e["kind"] == kind]


def _collect(
    collector: PrometheusCollector, run: RunDir, wait, samples: int
) -> tuple[datetime, datetime]:
    began = datetime.now(UTC)
    collector.start(run)
    wait(lambda: collector.samples + collector.failures >= samples, 60, f"{samples} samples")
    collector.stop()
    return began, datetime.now(UTC)


def test_the_default_packs_over_a_short_window(stack: Stack, tmp_path: Path, wait) -> None:
    run = RunDir.create(tmp_path / "run")
    collector = parse_collect_spec(f"prometheus:url={stack.url},interval=1")
    began, ended = _collect(collector, run, wait, 4)
    rows = _rows(run)
    assert rows, "no rows from Prometheus"
    for row in rows:  # on the run's clock, one point per series and time
        assert began <= row["ts"].to_pydatetime() <= ended
        assert math.isfinite(row["value"])
    keys = [(r["metric"], r["labels"], r["ts"]) for r in rows]
    assert len(keys) == len(set(keys))
    cpu = _rows(run, "node_cpu_busy_percent")
    assert cpu and {json.loads(r["labels"])["instance"] for r in cpu} == {stack.targets["node"]}
    assert all(0 <= r["value"] <= 100 for r in cpu)
    modes = {json.loads(r["labels"])["mode"] for r in _rows(run, "node_cpu_mode_percent")}
    assert {"user", "system"} <= modes
    commits = _rows(run, "pg_xact_commit_per_s")
    assert "postgres" in {json.loads(r["labels"])["datname"] for r in commits}
    assert {json.loads(r["labels"])["instance"] for r in commits} == {stack.targets["postgres"]}
    states = {json.loads(r["labels"])["state"] for r in _rows(run, "pg_connections")}
    assert "active" in states  # the exporter's own query
    used = _rows(run, "pg_connections_used_percent")
    assert used and all(0 < r["value"] <= 100 for r in used)
    threads = _rows(run, "mysql_threads_connected")
    assert threads and all(r["value"] >= 1 for r in threads)  # the exporter's connection
    assert not run.read_meta().get("warnings")
    described = _events(run, "prometheus_queries")[0]["queries"]
    assert {"name": "node_load1", "query": "node_load1", "unit": "run-queue length"} in described


def test_a_queries_file(stack: Stack, tmp_path: Path, wait) -> None:
    queries = tmp_path / "queries.yaml"
    queries.write_text(
        "- name: scrape_seconds\n"
        "  query: 'max by (job) (scrape_duration_seconds)'\n"
        "  unit: s\n"
        "- name: pg_tuples_fetched_per_s\n"
        "  query: sum by (instance) (rate(pg_stat_database_tup_fetched[$__rate_interval]))\n"
        "- name: nothing_here\n"
        "  query: no_such_metric_anywhere\n"
        "- name: broken\n"
        "  query: 'rate(up[1m]'\n"
    )
    run = RunDir.create(tmp_path / "run")
    collector = parse_collect_spec(
        f"prometheus:url={stack.url},interval=1,pack=none,live=true,queries={queries}"
    )
    assert isinstance(collector, PrometheusCollector)
    collector.start(run)
    wait(lambda: "scrape_seconds" in collector._done, 60, "points queried live")
    live_until = collector._done["scrape_seconds"]  # at least 2 s ago (the live lag)
    collector.stop()  # the query at the end adds the points after the live ones
    names = {r["metric"] for r in _rows(run)}
    assert names == {"scrape_seconds", "pg_tuples_fetched_per_s"}
    scrapes = _rows(run, "scrape_seconds")
    assert {json.loads(r["labels"])["job"] for r in scrapes} == set(stack.targets)
    node = sorted(r["ts"].timestamp() for r in scrapes if '"node"' in r["labels"])
    assert node == [node[0] + i for i in range(len(node))]  # every second once, no hole
    assert node[0] == collector._began and node[-1] > live_until
    [warning] = run.read_meta()["warnings"]
    assert f"query 'broken' ({queries}:8) was rejected by Prometheus" in warning
    assert "parse error" in warning
    assert _events(run, "prometheus_no_data")[0]["queries"] == ["nothing_here"]


@pytest.mark.parametrize(
    ("text", "line", "what"),
    [
        ("- name: a\n  query: up\n- name: b\n    query: up\n", 4, "not valid YAML"),
        ("- name: a\n  query: up\n- name: b\n", 3, "has no query"),
        ("- name: a\n  query: up\n  step: 5s\n", 3, "unknown key 'step'"),
        ("- name: 9lives\n  query: up\n", 1, "not a metric name"),
        ("a: up\nb: rate(x[1m])\na: down\n", 3, "defined twice"),
        ("just text\n", 1, "expected a list"),
        ("- up\n", 1, "must be a mapping"),
    ],
)
def test_bad_queries_files(tmp_path: Path, text: str, line: int, what: str) -> None:
    path = tmp_path / "q.yaml"
    path.write_text(text)
    with pytest.raises(BadInput) as caught:
        parse_collect_spec(f"prometheus:url=http://127.0.0.1:9090,queries={path}")
    message = str(caught.value)
    assert message.startswith(f"{path}:{line}: ") and what in message
    assert "\n" not in message


def test_a_mapping_of_queries_and_bad_specs(tmp_path: Path) -> None:
    path = tmp_path / "q.yaml"
    path.write_text("load: node_load1\nbusy: {query: 'sum(up)', unit: targets}\n")
    collector = parse_collect_spec(f"prometheus:url=http://127.0.0.1:9090,pack=none,queries={path}")
    assert isinstance(collector, PrometheusCollector)
    assert [(q.name, q.expr, q.unit) for q in collector.queries] == [
        ("load", "node_load1", ""),
        ("busy", "sum(up)", "targets"),
    ]
    assert parse_collect_spec("prometheus=http://127.0.0.1:9090/").url == "http://127.0.0.1:9090"
    steps = [
        parse_collect_spec(f"prometheus:url=http://h:9090,{options}").step
        for options in ("interval=0.5", "interval=5s", "step=2.6s", "interval=1,step=500ms")
    ]
    assert steps == [1, 5, 3, 1]  # whole seconds, at least 1, the interval by default
    for spec in (
        "prometheus",
        "prometheus=ftp://h:9090",
        "prometheus=http://127.0.0.1:9100/metrics",
        "prometheus:url=http://h:9090,pack=node+oracle",
        "prometheus:url=http://h:9090,pack=none",
        "prometheus:url=http://h:9090,live=maybe",
        f"prometheus:url=http://h:9090,queries={tmp_path / 'missing.yaml'}",
    ):
        with pytest.raises(BadInput):
            parse_collect_spec(spec)
    with pytest.raises(BadInput) as caught:
        parse_collect_spec("prometheus=ftp://admin:s3cret@h:9090")
    assert "s3cret" not in str(caught.value)
    secret = parse_collect_spec("prometheus=http://admin:s3cret@127.0.0.1:9")
    assert "s3cret" not in repr(secret)


def test_prometheus_down_is_a_gap_and_the_other_data_stays(tmp_path: Path, wait) -> None:
    run = RunDir.create(tmp_path / "run")
    down = f"http://admin:s3cret@127.0.0.1:{free_port()}"
    collector = parse_collect_spec(f"prometheus:url={down},interval=0.2")
    host = PsutilCollector(interval=0.2)
    host.start(run)
    _collect(collector, run, wait, 3)
    host.stop()
    warnings = run.read_meta()["warnings"]
    assert warnings and all("s3cret" not in w for w in warnings)
    assert "does not answer (connection refused): check that Prometheus is running" in warnings[0]
    assert warnings[1:] == [
        "collector prometheus: Prometheus still failed at the end of the run; no point is kept"
    ]
    assert _events(run, "collector_gap")
    assert not _rows(run)
    table = run.read_table("metrics")
    assert (table["source"] == "host").sum() > 0  # the run's other data


@pytest.mark.slow
def test_prometheus_stopped_mid_run_keeps_the_points_before(
    stack: Stack, tmp_path: Path, wait
) -> None:
    prometheus, url = _start_prometheus(tmp_path / "own", {"node": stack.targets["node"]})
    try:
        _wait_up(url, {"node"})
        run = RunDir.create(tmp_path / "run")
        collector = parse_collect_spec(f"prometheus:url={url},interval=1,live=true,pack=node")
        collector.start(run)
        wait(lambda: collector._writer.pending >= 20, 60, "live rows from Prometheus")
        prometheus.stop()
        killed = datetime.now(UTC)
        wait(lambda: collector.failures >= 1, 30, "a failed sample")
        collector.stop()
    finally:
        prometheus.stop()
    cpu = _rows(run, "node_cpu_busy_percent")
    assert cpu and all(r["ts"].to_pydatetime() <= killed for r in cpu)
    warnings = run.read_meta()["warnings"]
    gone = ("does not answer", "answered HTTP 503")  # refused, or shutting down
    assert any(f"Prometheus at {url} " in w and any(g in w for g in gone) for w in warnings)
    assert "the points queried during the run are kept" in warnings[-1]
    assert _events(run, "collector_gap")


@pytest.mark.slow
def test_cpu_load_rises_in_node_cpu(stack: Stack, tmp_path: Path, wait) -> None:
    """Two busy loops (one per core, bounded to 12 s) raise node_cpu_busy_percent."""
    run = RunDir.create(tmp_path / "run")
    collector = parse_collect_spec(f"prometheus:url={stack.url},interval=1,pack=node")
    collector.start(run)
    wait(lambda: collector.samples >= 5, 30, "a quiet baseline")
    load_began = datetime.now(UTC)
    loop = "import time\nend = time.monotonic() + 12\nwhile time.monotonic() < end: pass\n"
    loops = [
        subprocess.Popen([sys.executable, "-c", loop], start_new_session=True) for _ in range(2)
    ]
    try:
        wait(lambda: collector.samples >= 13, 60, "samples under load")
    finally:
        for process in loops:
            process.kill()
            process.wait(10)
    collector.stop()
    cpu = sorted((r["ts"].to_pydatetime(), r["value"]) for r in _rows(run, "node_cpu_busy_percent"))
    before = [v for ts, v in cpu if ts < load_began]
    loaded = [v for ts, v in cpu if (ts - load_began).total_seconds() >= 5]
    assert before and loaded
    baseline = sum(before) / len(before)
    assert max(loaded) > min(baseline + 20, 90), (baseline, loaded)


def test_an_exporter_url_is_not_prometheus(stack: Stack, tmp_path: Path, wait) -> None:
    run = RunDir.create(tmp_path / "run")
    collector = parse_collect_spec(f"prometheus:url=http://{stack.targets['node']},interval=1")
    _collect(collector, run, wait, 2)
    warning = run.read_meta()["warnings"][0]
    assert "does not answer like Prometheus's HTTP API" in warning
    assert "check that the URL is Prometheus's base URL" in warning
    assert not _rows(run)
