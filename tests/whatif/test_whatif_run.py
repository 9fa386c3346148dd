"""End to end: a quick ``erpcap whatif`` on SQLite (legacy and two levers), and bad input."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
from pathlib import Path

import psutil
import pytest

from erpcap.rundir import RunDir

LEVERS = ("indexes", "cache")
LADDER = (2, 4)


def _whatif(*args: str, timeout: float = 240) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "erpcap", "whatif", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def _erp_processes_on(folder: Path) -> list[psutil.Process]:
    """Reference-ERP processes whose database lives under ``folder``."""
    found = []
    for proc in psutil.process_iter(["cmdline"]):
        try:
            if "erpcap.reference_erp" not in " ".join(proc.info["cmdline"] or []):
                continue
            if str(folder) in proc.environ().get("ERPCAP_ERP_DB", ""):
                found.append(proc)
        except (psutil.NoSuchProcess, psutil.AccessDenied):
            continue
    return found


@pytest.mark.slow
def test_quick_whatif_on_sqlite(tmp_path):
    result = _whatif(
        "--out", str(tmp_path), "--scale", "0.02", "--levers", ",".join(LEVERS),
        "--steps", ",".join(map(str, LADDER)), "--step-seconds", "4", "--no-all",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-3000:]
    folders = [p for p in tmp_path.iterdir() if p.is_dir()]
    assert len(folders) == 1, folders
    folder = folders[0]
    assert f"whatif:   {folder / 'whatif.html'}" in result.stdout
    # Progress for each configuration.
    for i, name in enumerate(("legacy", *LEVERS), start=1):
        assert f"configuration {i}/3: {name}" in result.stderr

    doc = json.loads((folder / "whatif.json").read_text(encoding="utf-8"))
    assert doc["status"] == "completed"
    assert doc["steps"] == list(LADDER) and doc["slo_p95_ms"] == 500.0
    assert [c["name"] for c in doc["configurations"]] == ["legacy", *LEVERS]
    for config in doc["configurations"]:
        assert config["status"] == "completed", config
        run = RunDir.open(folder / config["run_dir"])
        findings = run.read_findings()
        assert [s["users"] for s in findings["steps"]] == list(LADDER)
        assert [s["users"] for s in config["steps"]] == list(LADDER)
        assert config["capacity"]["basis"] in (
            "interpolated", "step", "at_least", "none_within"
        )  # fmt: skip
        meta = run.read_meta()
        assert meta["status"] == "completed"
        assert meta["target"]["levers"] == config["overrides"]
        # The ERP of each configuration is gone (and so is its database copy: no --keep).
        pid = meta["watched"]["erp"]
        assert not psutil.pid_exists(pid) or "reference_erp" not in " ".join(
            psutil.Process(pid).cmdline()
        )
        assert not (run.path / "erp.sqlite").exists()
    legacy = doc["configurations"][0]
    assert legacy["gain"]["users"] in (1.0, None)

    # The levers ranked by the capacity they measured, best first.
    ranking = doc["ranking"]
    assert {r["lever"] for r in ranking} == set(LEVERS)
    assert [r["rank"] for r in ranking] == [1, 2]
    keys = [(r["users"], r["ok_rps"]) for r in ranking]
    assert keys == sorted(keys, reverse=True)
    by_name = {c["name"]: c for c in doc["configurations"]}
    for r in ranking:
        assert r["users"] == by_name[r["lever"]]["capacity"]["users"]
        assert "plan_estimate" in by_name[r["lever"]]
    assert doc["plan_check"]["best_measured"] == ranking[0]["lever"]

    assert not _erp_processes_on(tmp_path)
    assert not list(folder.glob("*.sqlite"))  # the seeded database was removed too
    page = (folder / "whatif.html").read_text(encoding="utf-8")
    assert "<script" not in page and "http" not in page
    for name in ("legacy", *LEVERS):
        assert f"{name}/report.html" in page
    assert "| legacy |" in (folder / "whatif.md").read_text(encoding="utf-8")


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (("--levers", "indexes,turbo"), "unknown lever 'turbo'"),
        (("--steps", "5,x"), "--steps '5,x'"),
        (("--steps", "10,5"), "rising"),
        (("--steps", "5"), "at least two"),
        (("--scale", "-1"), "--scale"),
        (("--step-seconds", "0"), "--step-seconds"),
        (("--db", "mysql://root@127.0.0.1/x"), "not a database the reference ERP runs on"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(tmp_path, args, words):
    result = _whatif("--out", str(tmp_path), *args, timeout=60)
    assert result.returncode == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in result.stderr, result.stderr
    assert lines[0].startswith("erpcap whatif: error:") and words in lines[0]
    assert not list(tmp_path.iterdir())  # nothing was started or made


@pytest.mark.slow
def test_ctrl_c_keeps_what_finished_and_stops_everything(tmp_path, wait):
    proc = subprocess.Popen(
        [sys.executable, "-m", "erpcap", "whatif", "--out", str(tmp_path), "--scale", "0.02",
         "--levers", "indexes", "--steps", "2,4", "--step-seconds", "6"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )  # fmt: skip
    try:

        def second_config_under_load() -> bool:
            runs = list(tmp_path.glob("*/indexes"))
            return bool(runs) and RunDir(runs[0]).count_rows("requests") > 0

        wait(lambda: second_config_under_load() or proc.poll() is not None, 180, "indexes' load")
        assert proc.poll() is None, proc.communicate()[1][-3000:]
        proc.send_signal(signal.SIGINT)
        _, stderr = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert proc.returncode == 130, stderr[-3000:]
    assert "Traceback" not in stderr
    folder = next(tmp_path.iterdir())
    doc = json.loads((folder / "whatif.json").read_text(encoding="utf-8"))
    assert doc["status"] == "interrupted"
    assert [c["name"] for c in doc["configurations"]] == ["legacy"]
    assert doc["configurations_planned"] == ["legacy", "indexes"]
    meta = RunDir.open(folder / "indexes").read_meta()
    assert meta["status"] == "interrupted"
    assert not _erp_processes_on(tmp_path)
    assert not list(folder.rglob("*.sqlite"))
