"""Multi-host workers: ``erpcap run --master`` with ``erpcap worker`` processes.

Each erpcap process runs in its own process group and is stopped at teardown, children
included (the Locust processes each erpcap starts die with it: erpcap.processes). The target
is the stub ERP (tests/scenarios/stub_erp.py), a real HTTP server in its own process.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from erpcap.processes import free_port
from erpcap.rundir import RunDir

from .conftest import running_stub

STUB = Path(__file__).with_name("stub_erp.py")
ERPCAP = [sys.executable, "-m", "erpcap"]

Spawn = Callable[[list[str], str], subprocess.Popen[bytes]]


@pytest.fixture
def spawn(tmp_path: Path) -> Iterator[Spawn]:
    """Start a command in its own process group (output to ``tmp_path/<name>.log``); every
    group is stopped at teardown: SIGTERM, then SIGKILL."""
    started: list[subprocess.Popen[bytes]] = []

    def start(argv: list[str], name: str) -> subprocess.Popen[bytes]:
        log = (tmp_path / f"{name}.log").open("wb")
        try:
            proc = subprocess.Popen(
                argv, stdout=log, stderr=subprocess.STDOUT, cwd=tmp_path, start_new_session=True
            )
        finally:
            log.close()
        started.append(proc)
        return proc

    yield start
    for proc in started:
        _stop_group(proc)


def _stop_group(proc: subprocess.Popen[bytes]) -> None:
    for sig, wait_s in ((signal.SIGTERM, 10.0), (signal.SIGKILL, 5.0)):
        if proc.poll() is not None:
            break
        try:
            os.killpg(proc.pid, sig)
        except ProcessLookupError:
            break
        try:
            proc.wait(wait_s)
        except subprocess.TimeoutExpired:
            continue
    with contextlib.suppress(ProcessLookupError, PermissionError):  # anything left in it
        os.killpg(proc.pid, signal.SIGKILL)


def _wait_for(what: str, check: Callable[[], Any], timeout_s: float) -> Any:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError(f"timed out after {timeout_s:g} s waiting for {what}")


def _master_argv(target: str, port: int, out: Path, duration: str, *extra: str) -> list[str]:
    return [
        *ERPCAP, "run", "--target", target, "--users", "4", "--duration", duration,
        "--think-scale", "0.05", "--collect", "none", "--no-report", "--skip-login-check",
        "--master", "--expect-workers", "2", "--master-bind-port", str(port),
        "--wait-workers", "60s", "--out", str(out), "--label", "workers", *extra,
    ]  # fmt: skip


def _worker_argv(host: str, port: int) -> list[str]:
    return [*ERPCAP, "worker", "--master-host", host, "--master-port", str(port)]


def _events(run_path: Path, kind: str) -> list[dict[str, Any]]:
    return [e for e in RunDir(run_path).read_events() if e.get("kind") == kind]


def _finished(proc: subprocess.Popen[bytes], tmp_path: Path, name: str, timeout_s: float) -> int:
    try:
        return proc.wait(timeout_s)
    except subprocess.TimeoutExpired:
        log = (tmp_path / f"{name}.log").read_text(errors="replace")[-2000:]
        raise AssertionError(f"{name} did not finish within {timeout_s:g} s:\n{log}") from None


def test_master_with_two_workers(spawn: Spawn, tmp_path: Path) -> None:
    # A slow target (every request holds one lock for 0.4 s): at the end the workers' users
    # are mid-request for a while, and their last rows still reach the master.
    with running_stub("--serial-ms", "400") as target:
        _two_workers(target, spawn, tmp_path)


def _two_workers(target: str, spawn: Spawn, tmp_path: Path) -> None:
    port = free_port()
    master = spawn(
        _master_argv(target, port, tmp_path / "runs", "6s", "--master-bind-host", "127.0.0.1"),
        "master",
    )
    workers = [spawn(_worker_argv("127.0.0.1", port), f"worker{i}") for i in (1, 2)]

    assert _finished(master, tmp_path, "master", 60) == 0, (tmp_path / "master.log").read_text()
    for i, worker in enumerate(workers, 1):  # each ends when the master's run ends
        assert _finished(worker, tmp_path, f"worker{i}", 20) == 0

    run = RunDir.open(tmp_path / "runs" / "latest")
    meta = run.read_meta()
    assert meta["status"] == "completed"
    joined = [e["worker"] for e in _events(run.path, "worker_joined")]
    assert len(set(joined)) == 2 and sorted(meta["workers"]) == sorted(joined)
    requests = run.read_table("requests")
    per_worker = requests.groupby("worker").size()
    # Every sample came from a worker, tagged with it; both workers sent load.
    assert set(per_worker.index) == set(joined), per_worker
    assert (per_worker > 0).all()
    assert requests["ok"].any()
    # No worker was lost, and each one's last message (the requests it cut off when it
    # stopped, sent after its last rows) reached the master before the master quit.
    assert not _events(run.path, "worker_lost")
    assert {e["worker"] for e in _events(run.path, "in_flight")} == set(joined)


def test_open_model_across_two_workers(stub_erp: str, spawn: Spawn, tmp_path: Path) -> None:
    """``--rate`` with workers on other machines: each sends half of the schedule, paces its
    rows, and its arrivals count reaches the master (with its rows, not on its own disk)."""
    port = free_port()
    argv = _master_argv(stub_erp, port, tmp_path / "runs", "6s", "--rate", "10/s")
    master = spawn([a for a in argv if a not in ("--think-scale", "0.05")], "master")
    workers = [spawn(_worker_argv("127.0.0.1", port), f"worker{i}") for i in (1, 2)]
    assert _finished(master, tmp_path, "master", 60) == 0, (tmp_path / "master.log").read_text()
    for i, worker in enumerate(workers, 1):
        assert _finished(worker, tmp_path, f"worker{i}", 20) == 0

    run = RunDir.open(tmp_path / "runs" / "latest")
    reports = _events(run.path, "arrivals")
    joined = {e["worker"] for e in _events(run.path, "worker_joined")}
    assert {e["worker"] for e in reports} == joined and len(joined) == 2
    assert [e["share"] for e in reports] == [0.5, 0.5]
    arrivals = run.read_meta()["arrivals"]
    assert arrivals["processes"] == 2 and arrivals["sent"] > 0
    requests = run.read_table("requests")
    assert requests["paced"].all() and set(requests["worker"]) == joined


def test_worker_killed_mid_run_is_recorded(stub_erp: str, spawn: Spawn, tmp_path: Path) -> None:
    port = free_port()
    master = spawn(
        _master_argv(stub_erp, port, tmp_path / "runs", "12s", "--master-bind-host", "127.0.0.1"),
        "master",
    )
    for i in (1, 2):
        spawn(_worker_argv("127.0.0.1", port), f"worker{i}")
    latest = tmp_path / "runs" / "latest"

    def both_shipped() -> list[str] | None:
        if not latest.exists():
            return None
        run = RunDir(latest)
        joined = [e["worker"] for e in _events(latest, "worker_joined")]
        if len(joined) < 2 or not run.has_table("requests"):
            return None
        shipped = set(run.read_table("requests")["worker"])
        return joined if shipped >= set(joined) else None

    victim, survivor = _wait_for("samples from both workers", both_shipped, 60)
    # The worker's Locust process, by the pid in its name: gone without a word, like a
    # machine that lost power.
    os.kill(int(victim.rsplit(":", 1)[1]), signal.SIGKILL)
    killed_at = pd.Timestamp.now(tz="UTC")

    assert _finished(master, tmp_path, "master", 60) == 0, (tmp_path / "master.log").read_text()
    run = RunDir.open(latest)
    meta = run.read_meta()
    assert meta["status"] == "completed"
    lost = _events(run.path, "worker_lost")
    assert [e["worker"] for e in lost] == [victim]
    assert "heartbeats" in lost[0]["reason"] and "not in the run" in lost[0]["unshipped"]
    assert any(victim in w and "lost mid-run" in w for w in meta.get("warnings", []))
    requests = run.read_table("requests")
    by_worker = {w: rows for w, rows in requests.groupby("worker")}
    assert set(by_worker) == {victim, survivor}
    # The victim's samples stop at the kill; the survivor's go on after it.
    assert (by_worker[victim]["start"] <= killed_at).all()
    assert (by_worker[survivor]["start"] > killed_at).any()
    # The analysis names the lost worker among what the run lacks (findings, report, summary).
    from erpcap.analysis import analyze_run

    quality = analyze_run(run)["data_quality"]
    assert any(victim in note for note in quality["missing"]), quality["missing"]
    assert any(victim in note for note in quality["missing_texts"]["zh-CN"])
    from erpcap.reports import render_reports

    for lang in ("en", "zh-CN"):
        paths = render_reports(run, lang=lang, formats=("md",))
        summary = next(p for p in paths if p.suffix == ".md").read_text(encoding="utf-8")
        assert victim.replace("_", "\\_") in summary or victim in summary, summary[:600]


def _netns_available() -> str | None:
    """None when this machine lets an unprivileged user create network namespaces with a
    veth pair (``unshare -rn``), else why not."""
    if not (shutil.which("unshare") and shutil.which("ip") and shutil.which("nsenter")):
        return "unshare, nsenter or ip is not installed"
    probe = subprocess.run(
        ["unshare", "-rn", "ip", "link", "add", "v0", "type", "veth", "peer", "name", "v1"],
        capture_output=True,
        text=True,
        check=False,
    )
    if probe.returncode != 0:
        return f"unprivileged network namespaces are not allowed here: {probe.stderr.strip()}"
    return None


#: Run inside ``unshare -rn`` (root of a new user and network namespace, "machine A"): a
#: second namespace ("machine B") joined to A by a veth pair; the stub ERP, the master and
#: one worker on A, one worker on B, which reaches A only by A's veth address.
_NETNS_SCRIPT = r"""
set -eu
ip link set lo up
ip link add va type veth peer name vb
unshare -n sleep 120 &
B=$!
while [ "$(readlink /proc/$B/ns/net)" = "$(readlink /proc/self/ns/net)" ]; do sleep 0.05; done
ip link set vb netns "$B"
ip addr add 10.203.0.1/24 dev va
ip link set va up
nsenter -t "$B" -n sh -c 'ip link set lo up; ip addr add 10.203.0.2/24 dev vb; ip link set vb up'
"$PY" "$STUB" --bind 10.203.0.1 > "$OUT/stub.out" 2> /dev/null &
S=$!
while ! grep -q PORT "$OUT/stub.out"; do sleep 0.05; done
TARGET="http://10.203.0.1:$(awk '/PORT/ {print $2}' "$OUT/stub.out")"
"$PY" -m erpcap run --target "$TARGET" --allow-target 10.203.0.1 --users 4 --duration 5s \
  --think-scale 0.05 --collect none --no-report --skip-login-check --master \
  --expect-workers 2 --master-bind-port 5557 --wait-workers 60s --out "$OUT/runs" \
  --label netns > "$OUT/master.log" 2>&1 &
M=$!
"$PY" -m erpcap worker --master-host 10.203.0.1 > "$OUT/worker-a.log" 2>&1 &
WA=$!
nsenter -t "$B" -n "$PY" -m erpcap worker --master-host 10.203.0.1 > "$OUT/worker-b.log" 2>&1 &
WB=$!
set +e
wait "$M"; echo "master $?" > "$OUT/codes"
wait "$WA"; echo "worker-a $?" >> "$OUT/codes"
wait "$WB"; echo "worker-b $?" >> "$OUT/codes"
kill "$S" "$B"
wait "$S" "$B"
"""


def test_worker_in_another_network_namespace(spawn: Spawn, tmp_path: Path) -> None:
    why_not = _netns_available()
    if why_not:
        pytest.skip(why_not)
    out = tmp_path / "netns"
    out.mkdir()
    env_argv = [
        "env", f"PY={sys.executable}", f"STUB={STUB}", f"OUT={out}",
        "unshare", "-rn", "sh", "-c", _NETNS_SCRIPT,
    ]  # fmt: skip
    driver = spawn(env_argv, "netns")
    _finished(driver, tmp_path, "netns", 80)
    codes = dict(line.split() for line in (out / "codes").read_text().splitlines())
    assert codes == {"master": "0", "worker-a": "0", "worker-b": "0"}, (
        out / "master.log"
    ).read_text()
    run = RunDir.open(out / "runs" / "latest")
    assert run.read_meta()["status"] == "completed"
    joined = [e["worker"] for e in _events(run.path, "worker_joined")]
    assert len(set(joined)) == 2
    # Both workers' samples reached the master, the one in the other namespace's included.
    assert set(run.read_table("requests")["worker"]) == set(joined)
    worker_b_log = (out / "worker-b.log").read_text()
    assert "the master's run ended" in worker_b_log, worker_b_log
    json.loads((run.path / "run.json").read_text())  # still a valid run.json


def _payload(locustfile_text: str) -> str:
    """The argument of ``apply_settings(...)`` in a generated master locustfile."""
    import ast

    for node in ast.walk(ast.parse(locustfile_text)):
        if isinstance(node, ast.Call) and getattr(node.func, "id", "") == "apply_settings":
            return str(ast.literal_eval(node.args[0]))
    raise AssertionError("no apply_settings call in the generated locustfile")


@pytest.mark.parametrize("same_file_here", [True, False])
def test_worker_gets_settings_and_scenario_file_from_master(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, same_file_here: bool
) -> None:
    from erpcap.scenarios.distribute import ENV_WORKER_SPOOL, master_locustfile_text
    from erpcap.scenarios.remote import apply_settings

    scenario = tmp_path / "master" / "mix.yaml"
    scenario.parent.mkdir()
    text = "name: mix\nusers:\n  - role: sales\n    weight: 1\n"
    scenario.write_text(text, encoding="utf-8")
    master_env = {
        "ERPCAP_RUN_DIR": "/on/the/master/run", "ERPCAP_SCENARIO": str(scenario),
        "ERPCAP_SHAPE": '{"kind": "constant"}', "ERPCAP_PASSWORD": "s3cret", "HOME": "/x",
    }  # fmt: skip
    payload = _payload(master_locustfile_text(master_env))
    if not same_file_here:  # the worker's machine has another file there, or none
        scenario.write_text(text + "# edited\n", encoding="utf-8")
    spool = tmp_path / "spool"
    spool.mkdir()
    for key in ("ERPCAP_RUN_DIR", "ERPCAP_SCENARIO", "ERPCAP_SHAPE", "ERPCAP_PASSWORD"):
        monkeypatch.setenv(key, "stale")  # restored after the test
    monkeypatch.setenv(ENV_WORKER_SPOOL, str(spool))

    apply_settings(payload)

    assert os.environ["ERPCAP_SHAPE"] == '{"kind": "constant"}'
    assert os.environ["ERPCAP_PASSWORD"] == "s3cret"
    assert os.environ["ERPCAP_RUN_DIR"] == str(spool)  # not the master's path
    used = Path(os.environ["ERPCAP_SCENARIO"])
    assert used == (scenario if same_file_here else spool / "mix.yaml")
    assert used.read_text(encoding="utf-8") == text


def test_bad_master_and_worker_options_are_one_line_errors(
    capsys: pytest.CaptureFixture[str],
) -> None:
    from erpcap.cli import main

    target = ["--target", "http://127.0.0.1:9"]
    assert main(["run", *target, "--master"]) == 2
    assert main(["run", *target, "--expect-workers", "2"]) == 2
    assert main(["run", *target, "--master", "--expect-workers", "1", "--workers", "2"]) == 2
    assert main(["worker", "--master-host", "127.0.0.1", "--master-port", "0"]) == 2
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 4 and all("error:" in line for line in lines), lines
    assert "--expect-workers" in lines[0] and "--master-port" in lines[3]
