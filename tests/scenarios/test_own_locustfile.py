"""``erpcap run --scenario their_locustfile.py``: the user's own user classes, untouched,
against a small server that knows nothing of ERPs (tests/scenarios/plain_server.py)."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest

_spec = importlib.util.spec_from_file_location(
    "plain_server", Path(__file__).with_name("plain_server.py")
)
assert _spec is not None and _spec.loader is not None
plain = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(plain)

#: A locustfile as a user writes it: an HttpUser and a FastHttpUser, request names of their
#: own, a planted failure, a request from a greenlet that a task spawned, and a shape class
#: that erpcap does not use.
LOCUSTFILE = '''\
"""The web shop's checkout test."""
import gevent
from locust import FastHttpUser, HttpUser, LoadTestShape, between, constant, task


class Shopper(HttpUser):
    weight = 2
    wait_time = constant(0.05)

    @task(3)
    def browse(self):
        self.client.get("/catalogue?page=1", name="browse catalogue")

    @task
    def checkout(self):
        self.client.post("/fail/checkout", json={"basket": [1, 2]}, name="checkout")

    @task
    def in_background(self):
        gevent.spawn(self.client.get, "/recommendations", name="recommendations").join()


class StockApi(FastHttpUser):
    host = "http://192.0.2.1:9"  # erpcap's --target replaces it (TEST-NET: never reached)
    wait_time = between(0.01, 0.05)

    @task
    def stock(self):
        self.client.get("/api/stock")


class TheirOwnShape(LoadTestShape):
    def tick(self):
        return (50, 50) if self.get_run_time() < 300 else None
'''


@pytest.fixture
def plain_server(tmp_path: Path) -> Iterator[str]:
    """The plain server in its own process on 127.0.0.1; yields its base URL."""
    with plain.serving(tmp_path / "plain-server.log") as (url, _pid):
        yield url


def _erpcap(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "erpcap", *args], cwd=cwd, capture_output=True, text=True,
        timeout=120,
    )  # fmt: skip


def test_own_locustfile_runs_end_to_end_and_gates(plain_server: str, tmp_path: Path) -> None:
    locustfile = tmp_path / "shop_test.py"
    locustfile.write_text(LOCUSTFILE, encoding="utf-8")
    runs = tmp_path / "runs"
    done = _erpcap(
        "run", "--target", plain_server, "--scenario", "shop_test.py", "--users", "3",
        "--duration", "5s", "--collect", "none", "--out", str(runs), cwd=tmp_path,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    run = (runs / "latest").resolve()
    frame = pd.read_parquet(run / "requests.parquet")
    names = frame.groupby("name")["user_class"].unique().map(sorted).to_dict()
    assert names == {
        "browse catalogue": ["Shopper"],
        "checkout": ["Shopper"],
        "recommendations": ["Shopper"],  # sent from a greenlet the task spawned
        "/api/stock": ["StockApi"],
    }
    assert not frame.loc[frame["name"] == "checkout", "ok"].any()
    assert frame.loc[frame["name"] != "checkout", "ok"].all()
    assert set(frame["method"]) == {"GET", "POST"}
    # erpcap's shape ran (3 users), not the file's own (50 users).
    assert frame["users"].max() == 3
    meta = json.loads((run / "run.json").read_text())
    assert meta["status"] == "completed"
    assert meta["scenario"] == "shop_test"
    assert meta["scenario_kind"] == "locustfile"
    assert meta["scenario_source"] == str(locustfile.resolve())
    assert {c["class"]: c["kind"] for c in meta["scenario_classes"]} == {
        "Shopper": "HttpUser",
        "StockApi": "FastHttpUser",
    }
    assert any("TheirOwnShape" in w for w in meta["warnings"])
    findings = json.loads((run / "findings.json").read_text())
    measured = {t["name"] for t in findings["transactions"]}
    assert {"browse catalogue", "checkout", "/api/stock"} <= measured
    for report in ("report.html", "summary.md"):
        text = (run / report).read_text(encoding="utf-8")
        assert "browse catalogue" in text and "checkout" in text, report

    budgets = tmp_path / "budgets.yaml"
    budgets.write_text(
        'thresholds:\n  "http_req_duration{name:browse catalogue}": ["p(95)<5s"]\n',
        encoding="utf-8",
    )
    held = _erpcap("gate", str(run), "--budgets", str(budgets), cwd=tmp_path)
    assert held.returncode == 0, held.stdout + held.stderr
    budgets.write_text(
        'thresholds:\n  "http_req_failed{name:checkout}": ["rate<0.01"]\n', encoding="utf-8"
    )
    breached = _erpcap("gate", str(run), "--budgets", str(budgets), cwd=tmp_path)
    assert breached.returncode == 1, breached.stdout + breached.stderr
    assert "checkout" in breached.stdout


def test_own_locustfile_in_the_open_model(plain_server: str, tmp_path: Path) -> None:
    """``--rate`` paces the user's own classes, whatever their ``wait_time``: each
    transaction starts on the schedule and its first request keeps its intended start."""
    (tmp_path / "shop_test.py").write_text(LOCUSTFILE, encoding="utf-8")
    runs = tmp_path / "runs"
    done = _erpcap(
        "run", "--target", plain_server, "--scenario", "shop_test.py", "--rate", "20/s",
        "--users", "6", "--duration", "5s", "--collect", "none", "--no-report",
        "--out", str(runs), cwd=tmp_path,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    run = (runs / "latest").resolve()
    meta = json.loads((run / "run.json").read_text())
    arrivals = meta["arrivals"]
    assert arrivals["sent"] > 0 and arrivals["intended"] == arrivals["sent"] + arrivals["dropped"]
    # about 20 a second for 5 s (Poisson: well within 50 to 150), not the classes' own pace
    assert 50 <= arrivals["intended"] <= 150, arrivals
    frame = pd.read_parquet(run / "requests.parquet")
    assert frame["paced"].any() and set(frame["user_class"]) == {"Shopper", "StockApi"}


BAD = {
    "syntax": ("from locust import HttpUser, task\n\nclass U(HttpUser)\n    pass\n", 3,
               "SyntaxError"),
    "missing module": ("from locust import HttpUser, task\nimport erpcap_no_such_module\n", 2,
                       "ModuleNotFoundError: No module named 'erpcap_no_such_module'"),
    "raises at import": ("import os\n\nTOKEN = os.environ['ERPCAP_TEST_NO_SUCH_VARIABLE']\n", 3,
                         "KeyError"),
    "no user class": ("from locust import HttpUser\n\nclass Base(HttpUser):\n    abstract = True\n",
                      None, "defines no user class"),
    "no tasks": ("from locust import HttpUser\n\n\nclass Idle(HttpUser):\n    pass\n", 4,
                 "user class Idle has no tasks"),
}  # fmt: skip


@pytest.mark.parametrize("case", sorted(BAD))
def test_a_locustfile_that_does_not_work_is_one_line_and_exit_2(case: str, tmp_path: Path) -> None:
    text, line, words = BAD[case]
    locustfile = tmp_path / "broken.py"
    locustfile.write_text(text, encoding="utf-8")
    runs = tmp_path / "runs"
    # The scenario is checked before the target: port 9 (discard) answers nothing.
    done = _erpcap(
        "run", "--target", "http://127.0.0.1:9", "--scenario", str(locustfile),
        "--out", str(runs), cwd=tmp_path,
    )  # fmt: skip
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert "Traceback" not in done.stderr
    where = f"{locustfile.resolve()}:{line}:" if line else f"{locustfile.resolve()}:"
    assert where in lines[0] and words in lines[0], lines[0]
    assert not runs.exists()  # no run directory: nothing started


def test_the_orchestrator_checks_a_locustfile_without_importing_locust(tmp_path: Path) -> None:
    locustfile = tmp_path / "locustfile.py"  # the name Locust gives erpcap's own file
    locustfile.write_text(LOCUSTFILE, encoding="utf-8")
    code = (
        "import sys\n"
        "from erpcap.scenarios.catalog import resolve_scenario\n"
        "s = resolve_scenario(sys.argv[1])\n"
        "print(s.kind, s.name, [(c.name, c.kind, c.weight) for c in s.classes], s.shapes)\n"
        "print([m for m in ('locust', 'gevent') if m in sys.modules])\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code, str(locustfile)], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    described, loaded = done.stdout.strip().splitlines()
    assert described == (
        "locustfile locustfile [('Shopper', 'HttpUser', 2), ('StockApi', 'FastHttpUser', 1)] "
        "('TheirOwnShape',)"
    )
    assert loaded == "[]"
