"""Declarative YAML scenarios: the checks of the file (each mistake named by file and line),
templates and think-time distributions, and ``erpcap run --scenario file.yaml`` against a
small REST ERP the test starts (tests/scenarios/rest_server.py): a login whose token every
later request sends, a feeder CSV, an id saved by one transaction and used by another, the
mix's weights, per-transaction SLOs the analysis reports, and a refused login."""

from __future__ import annotations

import json
import random
import subprocess
import sys
import urllib.request
from pathlib import Path
from typing import Any

import pytest

from erpcap.errors import BadInput
from erpcap.rundir import RunDir
from erpcap.scenarios.catalog import resolve_scenario
from erpcap.scenarios.rest import load_rest_model
from erpcap.scenarios.templates import dig, references, render
from erpcap.scenarios.think_dist import ThinkTime

from .conftest import running_server

HERE = Path(__file__).parent

SCENARIO = """\
name: acme-rest
description: a small REST ERP
base_path: /api
think: 0.5s
timeout: 10s
headers: {Accept: application/json, X-Tenant: acme}
feeders:
  items: {csv: items.csv}
  people: {csv: users.csv}
login:
  method: POST
  path: /auth/login
  json: {user: "${people.user}", password: "${env.ERP_TEST_PASSWORD}"}
  save: {token: data.token}
  headers: {Authorization: "Bearer ${token}"}
transactions:
  - name: check_availability
    weight: 3
    group: query
    path: /items/${items.sku}
    params: {warehouse: "${items.warehouse}"}
    think: {uniform: [0.2s, 0.6s]}
  - name: create_order
    weight: 1
    group: order
    method: POST
    path: /orders
    json: {sku: "${items.sku}", qty: 2}
    save: {order_id: order.id}
    think: {constant: 0.3s}
  - name: get_order
    weight: 2
    group: query
    path: /orders/${order_id}
    think: {empirical: [0.1, 0.4, 0.7]}
  - name: slow_report
    weight: 1
    group: close
    path: /reports/slow
    slo: {p95: 5ms, p50: 2ms, errors: 1%}
"""

ITEMS = "sku,warehouse\nSKU-1,main\nSKU-2,north\nSKU-3,main\nSKU-4,south\nSKU-5,east\n"


@pytest.fixture
def scenario_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("ERP_TEST_PASSWORD", "s3cret")
    (tmp_path / "scenario.yaml").write_text(SCENARIO, encoding="utf-8")
    (tmp_path / "items.csv").write_text(ITEMS, encoding="utf-8")
    (tmp_path / "users.csv").write_text("user\nalice\nbob\ncarol\n", encoding="utf-8")
    return tmp_path


# -- the file -------------------------------------------------------------------------------


def test_a_good_file_loads_whole(scenario_dir: Path) -> None:
    scenario = resolve_scenario(str(scenario_dir / "scenario.yaml"))
    assert scenario.kind == "rest" and scenario.name == "acme-rest"
    assert scenario.source == str((scenario_dir / "scenario.yaml").resolve())
    assert scenario.users == () and abs(sum(scenario.target_mix.values()) - 1.0) < 1e-9
    model = load_rest_model(scenario.source)
    by_name = {t.name: t for t in model.transactions}
    assert by_name["get_order"].needs == ("order_id",)  # used, so waited for
    assert by_name["check_availability"].feeders == ("items",)
    assert model.login is not None and model.login.feeders == ("people",)
    assert by_name["slow_report"].slo == {"p95_ms": 5.0, "p50_ms": 2.0, "error_rate": 0.01}
    assert by_name["create_order"].think == ThinkTime("constant", (0.3,))
    assert model.feeders["items"].rows[1]["warehouse"] == "north"


#: (a change to the good file, the line the error must name, words the message must hold)
BAD_INPUTS = [
    (("think: 0.5s", "think: soon"), 4, "not a duration"),
    (("timeout: 10s", "timeout: -3s"), 5, "timeout"),
    (("base_path: /api", "base_path: /api\ncolour: blue"), 4, "unknown key 'colour'"),
    (("  items: {csv: items.csv}", "  items: {csv: nowhere.csv}"), 8, "no such CSV file"),
    (("  people: {csv: users.csv}", "  people: {tsv: users.csv}"), 9, "feeder people"),
    (("/items/${items.sku}", "/items/${items.colour}"), 20, "no column 'colour'"),
    (("/items/${items.sku}", "/items/${stock.sku}"), 20, "no feeder 'stock'"),
    (("/orders/${order_id}", "/orders/${orderid}"), 34, "not a saved value"),
    (("${env.ERP_TEST_PASSWORD}", "${env.ERP_TEST_NOT_SET}"), 13, "ERP_TEST_NOT_SET is not set"),
    (("    weight: 3\n", "    weight: -3\n"), 18, "weight of check_availability"),
    (("    weight: 2\n", "    weight: lots\n"), 32, "weight of get_order"),
    (("    group: close", "    group: nightly"), 38, "unknown group 'nightly'"),
    (("    method: POST\n    path: /orders", "    method: FETCH\n    path: /orders"), 26, "FETCH"),
    (("    think: {constant: 0.3s}", "    think: {constant: 0.3s, uniform: [1s, 2s]}"), 30, "exactly one"),
    (("{uniform: [0.2s, 0.6s]}", "{uniform: [0.6s, 0.2s]}"), 22, "below low"),
    (("{empirical: [0.1, 0.4, 0.7]}", "{empirical: []}"), 35, "empirical"),
    (("slo: {p95: 5ms, p50: 2ms, errors: 1%}", "slo: {p95: 5}"), 40, "no unit"),
    (("slo: {p95: 5ms, p50: 2ms, errors: 1%}", "slo: {p97: 5ms}"), 40, "unknown key 'p97'"),
    (("slo: {p95: 5ms, p50: 2ms, errors: 1%}", "slo: {errors: 150%}"), 40, "slo errors"),
    (("    path: /reports/slow", "    path: reports/slow"), 39, "starting with '/'"),
    (("    think: {uniform: [0.2s, 0.6s]}", "    needs: [invoice_id]"), 22, "no transaction saves"),
    (("  - name: slow_report", "  - name: get_order"), 36, "two transactions are called"),
    (("    path: /reports/slow", "    jsonrpc: {service: object, method: execute_kw}"), 36, "no 'jsonrpc' block"),
    (("X-Tenant: acme}", 'X-Tenant: "${items.sku}"}'), 6, "cannot use feeders"),
    (("  save: {token: data.token}", "  save: {token: [data]}"), 14, "dotted"),
]  # fmt: skip


@pytest.mark.parametrize(("change", "line", "words"), BAD_INPUTS, ids=[b[2] for b in BAD_INPUTS])
def test_each_mistake_names_file_and_line(scenario_dir: Path, change, line, words) -> None:
    old, new = change
    assert old in SCENARIO
    path = scenario_dir / "scenario.yaml"
    path.write_text(SCENARIO.replace(old, new, 1), encoding="utf-8")
    with pytest.raises(BadInput) as info:
        load_rest_model(path)
    text = info.value.one_line()
    assert text.startswith(f"{path.resolve()}:{line}: "), text
    assert words in text, text
    assert "\n" not in text


def test_an_empty_feeder_and_no_transactions_are_refused(scenario_dir: Path) -> None:
    (scenario_dir / "items.csv").write_text("sku,warehouse\n", encoding="utf-8")
    with pytest.raises(BadInput, match="has no data row"):
        load_rest_model(scenario_dir / "scenario.yaml")
    (scenario_dir / "scenario.yaml").write_text("name: x\ntransactions: []\n", encoding="utf-8")
    with pytest.raises(BadInput, match=r"scenario.yaml:2: 'transactions' is empty"):
        load_rest_model(scenario_dir / "scenario.yaml")


def test_the_cli_refuses_a_bad_file_in_one_line(scenario_dir: Path) -> None:
    path = scenario_dir / "scenario.yaml"
    path.write_text(SCENARIO.replace("/items/${items.sku}", "/items/${items.size}"), "utf-8")
    result = subprocess.run(
        [sys.executable, "-m", "erpcap", "run", "--target", "http://127.0.0.1:9", "--scenario",
         str(path), "--out", str(scenario_dir / "runs")],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert result.returncode == 2 and "Traceback" not in result.stderr
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and f"{path.resolve()}:20:" in lines[0], result.stderr
    assert not (scenario_dir / "runs").exists()


# -- templates and think times --------------------------------------------------------------


def test_templates_keep_a_whole_reference_typed_and_format_the_rest() -> None:
    values = {"order_id": 42, "items.sku": "SKU-9", "env.X": "x"}
    body = {"id": "${order_id}", "path": "/o/${order_id}/${items.sku}", "lit": "$${not}",
            "list": ["${ items.sku }", 3]}  # fmt: skip
    assert render(body, values.__getitem__) == {
        "id": 42, "path": "/o/42/SKU-9", "lit": "${not}", "list": ["SKU-9", 3]
    }  # fmt: skip
    assert references(body) == ["order_id", "order_id", "items.sku", "items.sku"]
    assert dig({"a": [{"b": 1}, {"b": 2}]}, "a.1.b") == 2
    with pytest.raises(KeyError):
        dig({"a": []}, "a.0")


@pytest.mark.parametrize(
    ("think", "mean", "low", "high"),
    [
        (ThinkTime("exponential", (2.0,)), 2.0, 0.0, 20.0),  # TPC-C: truncated at 10x
        (ThinkTime("uniform", (1.0, 3.0)), 2.0, 1.0, 3.0),
        (ThinkTime("empirical", (0.5, 1.0, 4.5)), 2.0, 0.5, 4.5),
        (ThinkTime("constant", (2.0,)), 2.0, 2.0, 2.0),
    ],
)
def test_think_distributions_have_their_mean_and_range(think, mean, low, high) -> None:
    rng = random.Random(5)
    draws = [think.sample(rng, scale=0.5) for _ in range(20000)]
    assert think.mean() == mean
    assert abs(sum(draws) / len(draws) - mean * 0.5) < 0.05 * mean
    assert min(draws) >= low * 0.5 and max(draws) <= high * 0.5
    if think.kind == "empirical":
        assert set(draws) == {0.25, 0.5, 2.25}


# -- end to end -----------------------------------------------------------------------------


def _server(script: str, *args: str) -> Any:
    return running_server(HERE / script, *args)


def _erpcap_run(target: str, scenario: Path, out: Path, env: dict[str, str] | None = None,
                *extra: str) -> subprocess.CompletedProcess[str]:  # fmt: skip
    import os

    return subprocess.run(
        [sys.executable, "-m", "erpcap", "run", "--target", target, "--scenario", str(scenario),
         "--users", "4", "--duration", "6s", "--think-scale", "0.2", "--collect", "none",
         "--out", str(out), *extra],
        capture_output=True, text=True, timeout=120, env={**os.environ, **(env or {})},
    )  # fmt: skip


def _stats(target: str) -> dict:
    with urllib.request.urlopen(f"{target}/stats", timeout=10) as response:
        return json.loads(response.read())


def test_a_declarative_scenario_runs_end_to_end(scenario_dir: Path) -> None:
    with _server("rest_server.py") as target:
        result = _erpcap_run(target, scenario_dir / "scenario.yaml", scenario_dir / "runs")
        assert result.returncode == 0, result.stderr[-3000:]
        seen = _stats(target)
    run = RunDir.open(scenario_dir / "runs" / "latest")
    # An idle generator (4 users, most of their time thinking) gets no live warning.
    assert "load generator uses" not in result.stderr
    assert not [e for e in run.read_events() if e["kind"] == "generator_busy"]
    findings = run.read_findings()
    tx = {t["name"]: t for t in findings["transactions"]}
    assert set(tx) == {"login", "check_availability", "create_order", "get_order", "slow_report"}
    # Every request carried the login's token and the scenario's headers: nothing failed.
    assert findings["overall"]["errors"] == 0, findings["errors"]
    assert {t["group"] for n, t in tx.items() if n != "login"} == {"query", "order", "close"}
    assert tx["login"]["group"] == "auth" and tx["login"]["count"] == 4  # once per user
    assert sum(seen["logins"].values()) == 5  # and once by the preflight
    # The feeder's rows were all used, each request with its own row's warehouse.
    assert set(seen["skus"]) == {f"SKU-{i}" for i in range(1, 6)}
    assert set(seen["warehouses"]) == {"main", "north", "south", "east"}
    # get_order used ids saved from create_order's responses only (never a missing order).
    assert seen["missing_orders"] == 0 and tx["get_order"]["count"] > 10
    # The weights: check_availability 3 : slow_report 1 (both always eligible).
    ratio = tx["check_availability"]["count"] / tx["slow_report"]["count"]
    assert 2.0 < ratio < 4.5, ratio
    # The per-transaction SLO reached run.json, findings.json and the report.
    meta = run.read_meta()
    assert meta["slo"]["transactions"]["slow_report"]["p95_ms"] == 5.0
    assert meta["scenario_users"][0]["think_s"] > 0
    assert findings["slo"]["transactions"]["slow_report"]["p50_ms"] == 2.0
    slow = [f for f in findings["findings"] if f["id"] == "latency.p95_over_target"]
    assert [f["evidence"]["transaction"] for f in slow] == ["slow_report"]
    assert (
        slow[0]["evidence"]["target_ms"] == 5.0
        and slow[0]["evidence"]["target_of"] == "transaction"
    )
    missed = [f for f in findings["findings"] if f["id"] == "slo.transaction_missed"]
    assert [(f["evidence"]["transaction"], f["evidence"]["measure"]) for f in missed] == [
        ("slow_report", "p50_ms")
    ]
    report = run.file("report.html").read_text(encoding="utf-8")
    assert "slow_report: p95" in report and "5 ms target" in report
    # Targets given to `erpcap analyze` replace the scenario's.
    again = subprocess.run(
        [sys.executable, "-m", "erpcap", "analyze", str(run.path), "--slo-p95-ms", "500"],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert again.returncode == 0, again.stderr
    replaced = run.read_findings()
    assert "transactions" not in replaced["slo"] and replaced["slo"]["p95_ms"]["query"] == 500
    assert not {"latency.p95_over_target", "slo.transaction_missed"} & {
        f["id"] for f in replaced["findings"]
    }


def test_recorded_targets_keep_only_what_they_know() -> None:
    from erpcap.analysis.rules import Slo

    meta = {"slo": {"transactions": {"a": {"p95_ms": 5, "bogus": 1, "p99_ms": "x"},
                                     "b": {"p50_ms": True}, "c": "fast"}}}  # fmt: skip
    slo = Slo.recorded(meta)
    assert slo.transactions == {"a": {"p95_ms": 5.0}}
    assert slo.p95_target_ms("a", "query") == 5.0 and slo.p95_target_ms("b", "close") == 20000.0
    assert Slo.recorded({}).transactions == {} and "transactions" not in Slo().to_dict()


def test_a_refused_login_stops_the_run_before_it_starts(scenario_dir: Path) -> None:
    with _server("rest_server.py") as target:
        result = _erpcap_run(target, scenario_dir / "scenario.yaml", scenario_dir / "runs",
                             {"ERP_TEST_PASSWORD": "wrong"})  # fmt: skip
        seen = _stats(target)
    assert result.returncode == 2, result.stderr
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and "Traceback" not in result.stderr, result.stderr
    path = (scenario_dir / "scenario.yaml").resolve()
    assert f"{path}:11:" in lines[0] and "HTTP 401" in lines[0] and "login" in lines[0]
    assert "wrong" not in lines[0]
    assert not (scenario_dir / "runs").exists() and seen["calls"] == {}


EXPIRING = """\
base_path: /api
think: 0.1s
headers: {X-Tenant: acme}
login:
  method: POST
  path: /auth/login
  json: {user: clerk, password: "${env.ERP_TEST_PASSWORD}"}
  save: {token: data.token}
  headers: {Authorization: "Bearer ${token}"}
transactions:
  - name: check_availability
    path: /items/SKU-7
"""


def test_a_401_makes_the_user_log_in_again(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ERP_TEST_PASSWORD", "s3cret")
    path = tmp_path / "expiring.yaml"
    path.write_text(EXPIRING, encoding="utf-8")
    with _server("rest_server.py", "--token-uses", "10") as target:
        result = _erpcap_run(target, path, tmp_path / "runs", None, "--users", "2")
        assert result.returncode == 0, result.stderr[-3000:]
        seen = _stats(target)
    findings = RunDir.open(tmp_path / "runs" / "latest").read_findings()
    tx = {t["name"]: t for t in findings["transactions"]}
    expired = tx["check_availability"]["errors"]
    assert expired == seen["expired"] > 0
    assert {e["error"] for e in findings["errors"]} == {"401 token_expired: the session expired"}
    # Each 401 led to one new login (the last may have come as the run stopped).
    assert expired + 1 <= tx["login"]["count"] <= expired + 2
    assert tx["login"]["errors"] == 0
    assert tx["check_availability"]["count"] - expired > 10 * expired - 2
