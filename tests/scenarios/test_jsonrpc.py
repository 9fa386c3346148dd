"""The JSON-RPC adapter for Odoo- and Tryton-style ERPs: its protocol, a YAML scenario through
``erpcap run``, and a Python locustfile using ``OdooUser`` — both against a small server the
test starts that speaks Odoo's ``/jsonrpc`` (tests/scenarios/odoo_server.py)."""

from __future__ import annotations

import base64
import csv
import os
import subprocess
import sys
from pathlib import Path

import pytest

from erpcap.rundir import RunDir
from erpcap.scenarios.jsonrpc import (
    RpcError,
    call_name,
    endpoint,
    login_call,
    reply_result,
    request_body,
    session_of,
)

from .test_rest_scenario import _server, _stats

SCENARIO = """\
name: odoo-sales
think: 0.3s
jsonrpc:
  dialect: odoo
  db: demo
  user: admin
  password: "${env.ODOO_TEST_PASSWORD}"
transactions:
  - name: sale.order.search_read
    weight: 3
    group: query
    jsonrpc: {service: object, method: execute_kw,
              args: [sale.order, search_read, [[["state", "=", "sale"]]]],
              kwargs: {limit: 5, fields: [name]}}
  - name: res.partner.create
    weight: 1
    group: order
    jsonrpc: {service: object, method: execute_kw, args: [res.partner, create, [{name: New}]]}
    save: {partner_id: .}
  - name: res.partner.read
    weight: 1
    jsonrpc: {service: object, method: execute_kw, args: [res.partner, read, ["${partner_id}"]],
              kwargs: {fields: [name]}}
  - name: bad.call
    weight: 1
    jsonrpc: {service: object, method: execute_kw, args: [no.such.model, search, [[]]]}
"""

LOCUSTFILE = """\
from locust import FastHttpUser, constant, task

from erpcap.scenarios.jsonrpc import RpcClient, RpcError
from erpcap.scenarios.jsonrpc_users import OdooUser, TrytonUser


class Sales(OdooUser):
    wait_time = constant(0.05)
    db, username, password = "demo", "admin", "admin"

    @task(3)
    def orders(self):
        ids = self.odoo.execute("sale.order", "search", [["state", "=", "sale"]], limit=5)
        rows = self.odoo.execute("sale.order", "read", ids, fields=["name"])
        assert [r["id"] for r in rows] == ids

    @task
    def version(self):
        self.odoo.call("common", "version")

    @task
    def broken(self):
        self.odoo.execute("no.such.model", "search", [])
        raise AssertionError("not reached: a failed call ends the task")


class Parties(TrytonUser):
    wait_time = constant(0.05)
    db, username, password = "demo", "admin", "admin"

    @task
    def parties(self):
        ids = self.tryton.execute("res.partner", "search", [["is_company", "=", True]], 0, 3, None)
        assert ids and len(ids) <= 3, ids


class Fast(FastHttpUser):
    wait_time = constant(0.05)

    def on_start(self):
        self.rpc = RpcClient(self.client, db="demo", user="admin", password="admin")

    @task
    def count(self):
        self.rpc.execute("sale.order", "search_count", [], name="fast.search_count")
        try:
            self.rpc.execute("sale.order", "unlink", [1], name="fast.unlink")
        except RpcError as exc:
            assert "does not exist" in exc.message
"""


# -- the protocol ---------------------------------------------------------------------------


def test_odoo_requests_follow_its_protocol() -> None:
    assert endpoint("odoo", "demo") == "/jsonrpc" and login_call("odoo", "demo", "u", "p") == (
        "common", "authenticate", ["demo", "u", "p", {}]
    )  # fmt: skip
    body = request_body("odoo", "common", "login", ["demo", "u", "p"], 3)
    assert body == {"jsonrpc": "2.0", "method": "call", "id": 3,
                    "params": {"service": "common", "method": "login", "args": ["demo", "u", "p"]}}  # fmt: skip
    assert session_of("odoo", "u", 2).uid == 2  # type: ignore[union-attr]
    assert session_of("odoo", "u", False) is None and session_of("odoo", "u", None) is None
    assert (
        call_name("odoo", "object", "execute_kw", ["sale.order", "read", [1]]) == "sale.order.read"
    )
    assert call_name("odoo", "common", "version", []) == "common.version"


def test_tryton_requests_follow_its_protocol() -> None:
    assert endpoint("tryton", "prod") == "/prod/"
    assert login_call("tryton", "prod", "admin", "pw") == (
        "common", "db.login", ["admin", {"password": "pw"}]
    )  # fmt: skip
    body = request_body("tryton", "model", "sale.sale.search", [[], 0, 10, None, {}], 4)
    assert body == {"method": "model.sale.sale.search", "params": [[], 0, 10, None, {}], "id": 4}
    session = session_of("tryton", "admin", [1, "abc"])
    assert session is not None and session.uid == 1
    token = session.headers["Authorization"].removeprefix("Session ")
    assert base64.b64decode(token).decode() == "admin:1:abc"
    assert session_of("tryton", "admin", None) is None
    assert call_name("tryton", "model", "sale.sale.search", []) == "sale.sale.search"


def test_an_error_in_a_reply_is_a_failure_with_its_message() -> None:
    assert reply_result({"id": 1, "result": [1, 2]}) == [1, 2]
    with pytest.raises(RpcError, match="^Access Denied$"):
        reply_result({"error": {"code": 200, "message": "Odoo Server Error",
                                "data": {"message": "Access Denied"}}})  # fmt: skip
    with pytest.raises(RpcError, match="^UserError: The sale is not confirmed$"):
        reply_result({"id": 2, "error": ["UserError", ["The sale is not confirmed", ""]]})
    with pytest.raises(RpcError, match="not a JSON-RPC"):
        reply_result("<html>")


# -- end to end -----------------------------------------------------------------------------


def _run(target: str, scenario: Path, out: Path, password: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "erpcap", "run", "--target", target, "--scenario", str(scenario),
         "--users", "3", "--duration", "5s", "--think-scale", "0.3", "--collect", "none",
         "--out", str(out)],
        capture_output=True, text=True, timeout=120,
        env={**os.environ, "ODOO_TEST_PASSWORD": password},
    )  # fmt: skip


def test_a_jsonrpc_scenario_runs_against_an_odoo_style_server(tmp_path: Path) -> None:
    path = tmp_path / "odoo.yaml"
    path.write_text(SCENARIO, encoding="utf-8")
    with _server("odoo_server.py") as target:
        result = _run(target, path, tmp_path / "runs", "admin")
        assert result.returncode == 0, result.stderr[-3000:]
        seen = _stats(target)["calls"]
    findings = RunDir.open(tmp_path / "runs" / "latest").read_findings()
    tx = {t["name"]: t for t in findings["transactions"]}
    assert set(tx) == {"login", "sale.order.search_read", "res.partner.create",
                       "res.partner.read", "bad.call"}  # fmt: skip
    assert tx["login"]["count"] == 3 and tx["login"]["group"] == "auth"
    assert tx["sale.order.search_read"]["group"] == "query"
    # The bad call answered HTTP 200 with a JSON-RPC error: every one failed, with its message.
    assert tx["bad.call"]["errors"] == tx["bad.call"]["count"] > 0
    errors = {e["transaction"]: e for e in findings["errors"]}
    assert set(errors) == {"bad.call"}
    assert "Object no.such.model doesn't exist" in errors["bad.call"]["error"]
    # The ids res.partner.read used were the ones create answered (never a missing record).
    assert tx["res.partner.read"]["errors"] == 0 and tx["res.partner.read"]["count"] > 0
    assert seen["res.partner.read"] == tx["res.partner.read"]["count"]
    assert seen["sale.order.search_read"] == tx["sale.order.search_read"]["count"]


def test_a_refused_jsonrpc_login_stops_the_run(tmp_path: Path) -> None:
    path = tmp_path / "odoo.yaml"
    path.write_text(SCENARIO, encoding="utf-8")
    with _server("odoo_server.py") as target:
        result = _run(target, path, tmp_path / "runs", "wrong")
        seen = _stats(target)["calls"]
    assert result.returncode == 2, result.stderr
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and "Traceback" not in result.stderr, result.stderr
    assert f"{path.resolve()}:3:" in lines[0] and "refused" in lines[0] and "admin" in lines[0]
    assert not (tmp_path / "runs").exists() and seen == {}


def test_a_python_locustfile_uses_the_adapter(tmp_path: Path) -> None:
    """``OdooUser``, ``TrytonUser`` and ``RpcClient`` on a ``FastHttpUser`` in a plain Locust
    process (the user's own locustfile, no erpcap run): one request per model and method, the
    login once per user, a JSON-RPC error a failure with its message that ends the task
    quietly (or that the task catches)."""
    (tmp_path / "sales.py").write_text(LOCUSTFILE, encoding="utf-8")
    with _server("odoo_server.py") as target:
        result = subprocess.run(
            [sys.executable, "-m", "locust", "-f", str(tmp_path / "sales.py"), "--headless",
             "-u", "3", "-r", "3", "-t", "3s", "--stop-timeout", "2", "--host", target,
             "--csv", str(tmp_path / "out"), "--only-summary"],
            capture_output=True, text=True, timeout=90, cwd=tmp_path,
        )  # fmt: skip
    assert result.returncode in (0, 1), result.stderr[-3000:]  # 1: some requests failed
    with (tmp_path / "out_stats.csv").open(encoding="utf-8") as handle:
        stats = {row["Name"]: row for row in csv.DictReader(handle)}
    with (tmp_path / "out_failures.csv").open(encoding="utf-8") as handle:
        failures = list(csv.DictReader(handle))
    names = set(stats) - {"Aggregated"}
    assert names == {"login", "sale.order.search", "sale.order.read", "common.version",
                     "no.such.model.search", "res.partner.search", "fast.search_count",
                     "fast.unlink"}, names  # fmt: skip
    assert stats["login"]["Request Count"] == "3" and stats["login"]["Failure Count"] == "0"
    assert stats["res.partner.search"]["Failure Count"] == "0"  # Tryton: the session header
    assert stats["fast.search_count"]["Failure Count"] == "0"  # FastHttpUser's client
    assert int(stats["sale.order.read"]["Request Count"]) > 0
    assert stats["sale.order.read"]["Failure Count"] == "0"  # the ids search answered
    errors = {f["Name"]: f["Error"] for f in failures}
    assert set(errors) == {"no.such.model.search", "fast.unlink"}, failures
    assert "Object no.such.model doesn't exist" in errors["no.such.model.search"]
    assert "The method 'unlink' does not exist" in errors["fast.unlink"]
    assert "not reached" not in result.stderr and "Traceback" not in result.stderr


def test_a_locustfile_with_the_adapter_runs_through_erpcap(tmp_path: Path) -> None:
    """The same locustfile as the user's own scenario of ``erpcap run``: each model and
    method is a transaction of findings.json, the JSON-RPC errors are failed requests with
    their messages, and the rows name the user classes."""
    (tmp_path / "sales.py").write_text(LOCUSTFILE, encoding="utf-8")
    with _server("odoo_server.py") as target:
        result = _run(target, tmp_path / "sales.py", tmp_path / "runs", "unused")
        seen = _stats(target)["calls"]
    assert result.returncode == 0, result.stderr[-3000:]
    run = RunDir.open(tmp_path / "runs" / "latest")
    tx = {t["name"]: t for t in run.read_findings()["transactions"]}
    assert {"login", "sale.order.search", "sale.order.read", "res.partner.search",
            "fast.search_count"} <= set(tx)  # fmt: skip
    assert tx["sale.order.read"]["errors"] == 0
    assert tx["sale.order.read"]["count"] == seen["sale.order.read"]
    assert tx["no.such.model.search"]["errors"] == tx["no.such.model.search"]["count"] > 0
    classes = set(run.read_table("requests")["user_class"])
    assert classes == {"Sales", "Parties", "Fast"}
