"""findings.json 1.4 documents for the capacity report tests, made by hand.

The base is a real document: ``fixtures/sample-findings.json`` is the findings.json of a
ladder run (5 → 10 → 20 → 40 users) of the reference ERP's ``legacy`` profile on PostgreSQL,
trimmed (the steps' per-transaction rows, most of the SQL ranking), written when the 1.4
stages were still empty. :func:`full` adds the 1.4 blocks by hand, following the contract
(docs/findings.md, "Added in 1.4"): the USL curve comes from the real fit of the four
measured steps, the rest are plausible numbers for that run. :func:`old` is the same run as
a 1.3 document, :func:`with_notes` one where every model block could not be computed.

Loaded by path from tests/reports (tests are not a package).
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

from erpcap.analysis.capacity.usl import fit_usl
from erpcap.reports.model import ReportData

FIXTURES = Path(__file__).with_name("fixtures")

#: Numbers the tests look for in the rendered report (formatted as the report formats them).
KNEE_USERS = 20
SLO_USERS = 24
TOP_TITLE = {"en": "Add an index for the order-line count", "zh-CN": "为订单行计数添加索引"}
BOTTLENECK_TEXT = {
    "en": "The host's CPU saturates first: 99.6% busy at the knee (20 users), the database "
    "server taking 78.6% of one core.",
    "zh-CN": "主机 CPU 最先饱和：拐点（20 个用户）处占用 99.6%，其中数据库服务器占一个核的 78.6%。",
}
NEIGHBOUR = {
    "en": "Processes outside the watched roles took 31% of the host's CPU at the knee: the "
    "figures may not describe the system alone.",
    "zh-CN": "拐点处受监控角色以外的进程占用了主机 31% 的 CPU：数据可能不只反映被测系统。",
}
SIZING_TEXT = {
    "en": "Today's system supports about 20 users; the target of 60 users needs 3 times that.",
    "zh-CN": "当前系统约支撑 20 个用户；60 个用户的目标需要其 3 倍。",
}
NO_FIT = {
    "en": "No USL fit: fewer than three measured steps.",
    "zh-CN": "无 USL 拟合：已测阶梯少于三个。",
}
NO_KNEE = {
    "en": "No knee: throughput still grew at the largest load tried.",
    "zh-CN": "无拐点：在所测最大负载下吞吐量仍在增长。",
}


def base() -> dict[str, Any]:
    """The real document as analysed (1.4, its model blocks still empty)."""
    return json.loads((FIXTURES / "sample-findings.json").read_text(encoding="utf-8"))


def meta() -> dict[str, Any]:
    return json.loads((FIXTURES / "sample-run.json").read_text(encoding="utf-8"))


def report_data(doc: dict[str, Any]) -> ReportData:
    """The report's input for ``doc``, without tables (the capacity charts need none)."""
    return ReportData(run_id=str(doc.get("run_id")), meta=meta(), findings=doc)


def _usl(steps: list[dict[str, Any]]) -> dict[str, Any]:
    users = [float(s["users"]) for s in steps]
    fit = fit_usl(users, [float(s["ok_rps"]) for s in steps])
    curve = []
    for n in range(1, int(2 * max(users)) + 1):
        p = fit.predict(n)
        curve.append([n, p.x, max(p.x_low, 0.0), p.x_high])
    return {
        "fitted": True,
        "sigma": fit.sigma,
        "kappa": fit.kappa,
        "lambda": fit.lam,
        "sigma_ci": [fit.sigma_ci.low, fit.sigma_ci.high],
        "kappa_ci": [fit.kappa_ci.low, fit.kappa_ci.high],
        "lambda_ci": [fit.lam_ci.low, fit.lam_ci.high],
        "r_squared": fit.r_squared,
        "points": fit.points,
        "peak_n": fit.peak_n,
        "peak_x": fit.peak_x,
        "amdahl": fit.amdahl,
        "warnings": list(fit.warnings),
        "think_s": 0.2,
        "curve": curve,
        "slo_users": SLO_USERS,
    }


def _steps(doc: dict[str, Any]) -> None:
    for step in doc["steps"]:
        unsteady = step["users"] == 40
        step.update(
            steady=not unsteady,
            unsteady_reasons=["throughput fell 18% from the first half to the second"]
            if unsteady
            else [],
            x_cv=0.31 if unsteady else 0.08,
            x_trend=-0.18 if unsteady else 0.01,
            utilisation=[
                {"resource": "cpu:host", "kind": "cpu", "source": "host",
                 "value": step["resources"]["host_cpu"] / 100, "busy": 2 * step["resources"]["host_cpu"] / 100,
                 "units": 2},
            ],
        )  # fmt: skip


def _plan() -> dict[str, Any]:
    def rec(rank: int, id_: str, phase: int, en: tuple[str, str], zh: tuple[str, str],
            gain: dict[str, Any], effort: str, risk: str, findings: list[str]) -> dict[str, Any]:  # fmt: skip
        return {
            "rank": rank,
            "id": id_,
            "phase": phase,
            "texts": {
                "en": {"title": en[0], "detail": en[1]},
                "zh-CN": {"title": zh[0], "detail": zh[1]},
            },
            "evidence": {"finding_ids": findings, "db_share": gain.get("db_time_share")},
            "expected_gain": gain,
            "effort": effort,
            "risk": risk,
            "subject": {"kind": "statement", "name": "f8e0bb79595cba75"},
        }

    basis = {
        "en": "the index serves the count without a scan",
        "zh-CN": "索引无需扫描即可完成计数",
    }
    return {
        "recommendations": [
            rec(2, "batch_queries", 1, ("Batch the per-line reads of one operation", "One query per order line."),
                ("合并同一操作中的逐行查询", "每个订单行一次查询。"),
                {"db_time_share": 0.21, "capacity_factor": 1.15, "basis": basis}, "medium", "low",
                ["sql.n_plus_one"]),
            rec(1, "index", 1, (TOP_TITLE["en"], "The count scans the order lines."),
                (TOP_TITLE["zh-CN"], "计数会扫描订单行。"),
                {"db_time_share": 0.37, "capacity_factor": 1.35, "basis": basis}, "low", "low",
                ["sql.index_missing"]),
            rec(3, "app_scale_out", 2, ("Give the application its own host", "The generator shares it."),
                ("为应用提供独立主机", "负载生成器与其共用主机。"),
                {"demand_share": 0.3, "capacity_factor": 1.8, "basis": None}, "medium", "medium",
                ["resources.host_cpu_high"]),
            rec(4, "database_scale_up", 3, ("Pilot a larger database server", "Then roll out by stages."),
                ("试点更大的数据库服务器", "然后分步上线。"),
                {"capacity_factor": 1.0, "demand_share": 0.0, "bottleneck": "cpu:host",
                 "limit_after": "cpu:host"}, "high", "medium", []),
        ],
        "phases": [
            {"phase": 1, "texts": {"en": {"title": "Quick wins", "detail": "Days, no new hardware."},
                                   "zh-CN": {"title": "速赢", "detail": "几天内完成，无需新硬件。"}}},
        ],
        "alerts": {
            "file": "alerts.yml",
            "rules": [{"alert": "ErpcapP95NearKnee", "expr": "erpcap_p95_seconds > 0.4", "for": "5m",
                       "threshold": 0.4, "basis": {"en": "80% of the p95 at the knee", "zh-CN": "拐点处 p95 的 80%"}}],
        },
    }  # fmt: skip


def full() -> dict[str, Any]:
    """The real document with every 1.4 block filled in by hand."""
    doc = base()
    _steps(doc)
    steps = doc["steps"]
    cap = doc["capacity"]
    knee_step = steps[2]
    cap["knee"] = {"users": knee_step["users"], "step": knee_step["step"], "ok_rps": knee_step["ok_rps"],
                   "p95_ms": knee_step["p95_ms"], "method": "kneedle", "curve": "throughput"}  # fmt: skip
    cap["knee_note"] = None
    cap["slo_limits"] = [
        {"transaction": "check_availability", "group": "query", "target_ms": 1000.0,
         "max_users": 20, "first_over_users": 40, "p95_ms_at_max": 512.3},
        {"transaction": "trial_balance", "group": "close", "target_ms": 20000.0,
         "max_users": 40, "first_over_users": None, "p95_ms_at_max": 1678.0},
    ]  # fmt: skip
    cap["usl"] = _usl(steps)
    x = knee_step["ok_rps"]
    cap["demands"] = {
        "step": 3, "x": x, "per": "successful request",
        "resources": [
            {"resource": "cpu:host", "kind": "cpu", "role": "host", "units": 2, "busy": 1.992,
             "utilisation": 0.996, "demand_s": 1.992 / x, "ceiling_rps": 2 / (1.992 / x)},
            {"resource": "cpu:db", "kind": "cpu", "role": "db", "units": 2, "busy": 0.786,
             "utilisation": 0.393, "demand_s": 0.786 / x, "ceiling_rps": 2 / (0.786 / x)},
            {"resource": "connections:postgres/127.0.0.1:5432", "kind": "connections", "role": "db",
             "units": 100, "busy": 13, "utilisation": 0.13, "demand_s": 13 / x, "ceiling_rps": 100 / (13 / x)},
        ],
        "db_time_s": 0.0508, "bottleneck": "cpu:host", "ceiling_rps": 2 / (1.992 / x),
    }  # fmt: skip
    cap["littles_law"] = [
        {"step": s["step"], "users": s["users"], "x": s["ok_rps"], "r_s": s["mean_ms"] / 1000,
         "z_s": s["users"] / s["ok_rps"] - s["mean_ms"] / 1000, "z_configured_s": 0.2,
         "status": "generator_limit" if s["users"] == 40 else "ok"}
        for s in steps
    ]  # fmt: skip
    cap["notes"] = []
    cap["bottleneck"] = {
        "resource": "cpu:host", "kind": "cpu", "confidence": "likely", "step": 3,
        "texts": BOTTLENECK_TEXT,
        "evidence": {"host_cpu_percent": 99.6, "waits": [{"wait": "CPU", "share": 1.0}]},
        "statements": [
            {"fingerprint_id": "f8e0bb79595cba75", "fingerprint": doc["sql"]["top"][0]["fingerprint"],
             "operation": "list_customer_orders", "share": 0.374, "tables": ["sales_order_line"]},
        ],
        "candidates": [
            {"resource": "cpu:host", "kind": "cpu", "score": 0.92, "evidence": {"utilisation": 0.996}},
            {"resource": "cpu:db", "kind": "cpu", "score": 0.61, "evidence": {"utilisation": 0.393}},
            {"resource": "connections:postgres/127.0.0.1:5432", "kind": "connections", "score": 0.13,
             "evidence": {"utilisation": 0.13}},
        ],
        "warnings": [{"id": "bottleneck.noisy_neighbour", "texts": NEIGHBOUR}],
    }  # fmt: skip
    doc["plan"] = _plan()
    # the shape erpcap size writes (docs/findings.md, "plan and sizing"), for 60 users
    doc["sizing"] = {
        "ceiling": 0.7,
        "today": {"users": 20, "x": x, "limited_by": "slo",
                  "within_slo": {"users": 20, "x": x, "basis": "measured"},
                  "at_ceiling": {"x": 40.3, "users": 14, "resource": "cpu:host", "ceiling_rps": 57.8},
                  "usl_peak": {"users": 27.4, "x": 59.6}, "step": 3, "r_s": 0.186, "z_s": 0.161,
                  "z_source": "measured"},
        "target": {"users": 60, "x": 3 * x, "factor": 3.0, "basis": "users", "r_s": 0.186,
                   "z_s": 0.161, "z_source": "measured"},
        "needed": {"x": 3 * x,
                   "resources": [{"resource": "cpu:db", "kind": "cpu", "role": "db", "units_today": 2.0,
                                  "units_needed": 6.74, "factor": 3.37}],
                   "app": {"resource": "cpu:erp", "cores": 2.9, "cores_per_node": 2.0, "nodes": 2,
                           "workers": 7, "workers_by_users": 10},
                   "database": {"resource": "cpu:db", "cores": 6.74, "cores_today": 2.0},
                   "usl": {"x_at_target": 31.2, "r_at_target_s": 1.76, "beyond_peak": True,
                           "beyond_measured": True, "instances": 4}},
        "assumptions": [{"en": "One application worker serves about 6 concurrent users (Odoo's guide).",
                         "zh-CN": "一个应用 worker 约服务 6 个并发用户（Odoo 部署指南）。"}],
        "texts": SIZING_TEXT,
    }  # fmt: skip
    return doc


def old() -> dict[str, Any]:
    """The same run as a 1.3 document: no capacity model, plan or sizing."""
    doc = base()
    doc["schema_version"] = "1.3"
    doc.pop("plan")
    doc.pop("sizing")
    doc["capacity"].pop("bottleneck")
    return doc


def with_notes() -> dict[str, Any]:
    """A 1.4 document where nothing could be modelled: every block null or a note."""
    doc = copy.deepcopy(full())
    cap = doc["capacity"]
    cap["knee"] = None
    cap["knee_note"] = NO_KNEE
    cap["usl"] = {"fitted": False, "note": NO_FIT}
    cap["demands"] = {
        "note": {
            "en": "No CPU metrics: no service demands.",
            "zh-CN": "没有 CPU 指标：无法计算服务需求。",
        }
    }
    cap["littles_law"] = []
    cap["slo_limits"] = []
    cap["notes"] = [NO_FIT]
    cap["bottleneck"] = None
    doc["plan"] = None
    doc["sizing"] = None
    return doc
