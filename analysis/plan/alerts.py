"""Prometheus alerting rules with thresholds derived from the measured knee.

The rules are **templates to adapt**: the request rate, latency and errors use the metric
names most HTTP instrumentation libraries export (``http_requests_total`` with a ``code``
label, ``http_request_duration_seconds_bucket``); the host, PostgreSQL and MySQL rules use
the names of node_exporter, postgres_exporter and mysqld_exporter as Debian ships them (the
same names collectors/prometheus_queries.py queries). Host rules name the instance to watch
as ``APP_HOST:9100`` or ``DB_HOST:9100``: replace it with the real one.

Thresholds: the request rate at 80 % of the knee's successful throughput (the largest step
within the targets when no knee was found), p95 above the strictest online target, the error
rate above the target, the bottleneck's CPU above its utilisation at the knee, database
connections above 80 % of max_connections, and for a lock bottleneck the lock waits seen at
the knee.
"""

from __future__ import annotations

from typing import Any

import yaml

#: The rate alert fires at this share of the knee's throughput.
RATE_SHARE = 0.8
#: The connections alert fires at this share of max_connections, in percent.
CONNECTIONS_PERCENT = 80
#: How long a condition must hold before the alert fires.
FOR = "10m"
WINDOW = "5m"

_HEADER = """\
# Alerting rules derived by erpcap from the measured capacity of run {run}.
# Limit: {basis}.
# TEMPLATES: adapt the metric names (http_requests_total, http_request_duration_seconds)
# to your application's instrumentation and replace APP_HOST:9100 / DB_HOST:9100 with the
# node_exporter instances to watch; then check with `promtool check rules alerts.yml`.
"""


def _limit(doc: dict[str, Any]) -> tuple[dict[str, Any], str, str] | None:
    """The measured limit the thresholds come from: the knee, else the largest step within
    the targets."""
    cap = doc.get("capacity") or {}
    knee = cap.get("knee") or {}
    if knee.get("ok_rps"):
        rps = f"{knee['ok_rps']:.3g}"
        return (
            knee,
            f"the knee at {knee.get('users')} users, {rps} req/s",
            f"拐点：{knee.get('users')} 个用户，{rps} 请求/秒",
        )
    if cap.get("rps_within_slo"):
        users = cap.get("max_users_within_slo")
        step = next(
            (s.get("step") for s in doc.get("steps") or [] if s.get("users") == users), None
        )
        limit = {"users": users, "ok_rps": cap["rps_within_slo"], "step": step}
        rps = f"{cap['rps_within_slo']:.3g}"
        return (
            limit,
            f"no knee found; the largest step within the targets, {users} users, {rps} req/s",
            f"未找到拐点；目标内的最大一阶：{users} 个用户，{rps} 请求/秒",
        )
    return None


def limit_text(doc: dict[str, Any]) -> dict[str, str]:
    """The measured limit the thresholds come from, in words, per language."""
    found = _limit(doc)
    return {"en": found[1], "zh-CN": found[2]} if found else {"en": "none", "zh-CN": "无"}


def _utilisation_at(doc: dict[str, Any], step: Any, resource: str) -> float | None:
    for s in doc.get("steps") or []:
        if s.get("step") == step:
            for u in s.get("utilisation") or []:
                if u.get("resource") == resource and u.get("value") is not None:
                    return float(u["value"])
    for row in ((doc.get("capacity") or {}).get("demands") or {}).get("resources") or []:
        if row.get("resource") == resource and row.get("utilisation") is not None:
            return float(row["utilisation"])
    return None


def rules(doc: dict[str, Any]) -> list[dict[str, Any]] | None:
    """The rules (each with ``alert``, ``expr``, ``for``, ``threshold``, ``basis``, and the
    ``labels``/``annotations`` of the file), or None without a measured limit."""
    found = _limit(doc)
    if found is None:
        return None
    limit, basis, _ = found
    out = []

    def add(name: str, expr: str, threshold: float, why: str, summary: str) -> None:
        out.append(
            {
                "alert": name,
                "expr": expr,
                "for": FOR,
                "threshold": threshold,
                "basis": why,
                "labels": {"severity": "warning", "source": "erpcap"},
                "annotations": {"summary": summary, "description": why},
            }
        )

    rate = round(float(limit["ok_rps"]) * RATE_SHARE, 3)
    add(
        "ErpRequestRateNearCapacity",
        f"sum(rate(http_requests_total[{WINDOW}])) > {rate:g}",
        rate,
        f"{RATE_SHARE:.0%} of the measured limit ({basis})",
        "Request rate is near the measured capacity",
    )
    slo = doc.get("slo") or {}
    targets = slo.get("p95_ms") or {}
    online = [float(targets[g]) for g in ("order", "query") if targets.get(g)]
    target_s = round(min(online or [1000.0]) / 1000, 3)
    add(
        "ErpP95AboveTarget",
        "histogram_quantile(0.95, sum by (le) "
        f"(rate(http_request_duration_seconds_bucket[{WINDOW}]))) > {target_s:g}",
        target_s,
        f"the p95 target of online transactions, {target_s:g} s",
        "p95 response time is above the target",
    )
    error_rate = float(slo.get("error_rate") or 0.01)
    add(
        "ErpErrorRateAboveTarget",
        f'sum(rate(http_requests_total{{code=~"5.."}}[{WINDOW}]))'
        f" / sum(rate(http_requests_total[{WINDOW}])) > {error_rate:g}",
        error_rate,
        f"the error-rate target, {error_rate:.2%}",
        "Server errors are above the target",
    )
    _bottleneck_rules(doc, limit, add)
    _connection_rules(doc, add)
    return out


def _bottleneck_rules(doc: dict[str, Any], limit: dict[str, Any], add: Any) -> None:
    cap = doc.get("capacity") or {}
    b = cap.get("bottleneck") or {}
    demands = cap.get("demands") or {}
    resource = b.get("resource") or demands.get("bottleneck")
    rows = {str(r.get("resource")): r for r in demands.get("resources") or []}
    row = rows.get(str(resource), {})
    kind = b.get("kind") or row.get("kind")
    if not resource:
        return
    if kind == "cpu":
        from erpcap.analysis.plan.gain import db_side

        host = "DB_HOST:9100" if db_side(row or {"resource": resource}) else "APP_HOST:9100"
        value = _utilisation_at(doc, limit.get("step"), str(resource))
        if value is None:
            return
        percent = round(value * 100, 1)
        add(
            "ErpBottleneckCpuAtKnee",
            f'100 * (1 - avg by (instance) (rate(node_cpu_seconds_total{{mode="idle", '
            f'instance="{host}"}}[{WINDOW}]))) > {percent:g}',
            percent,
            f"{resource} was {percent:g}% busy at the measured limit; it saturates first",
            f"CPU of the bottleneck ({resource}) is at the level of the measured limit",
        )
    elif kind == "lock":
        add(
            "ErpDatabaseDeadlocks",
            f"sum by (instance) (rate(pg_stat_database_deadlocks[{WINDOW}])) > 0",
            0,
            f"lock waits ({resource}) were the bottleneck; deadlocks are their worst case",
            "The database reports deadlocks",
        )
        waits = _lock_waits(doc, limit.get("step"))
        if waits is not None:
            add(
                "ErpRowLockWaitsAtKnee",
                f"max by (instance) (mysql_global_status_innodb_row_lock_current_waits) > {waits:g}",
                waits,
                f"the mean lock waits at the measured limit, {waits:g} (MySQL/MariaDB)",
                "Row lock waits are at the level of the measured limit",
            )


def _lock_waits(doc: dict[str, Any], step: Any) -> float | None:
    for s in doc.get("steps") or []:
        if s.get("step") == step:
            for db in (s.get("resources") or {}).get("databases") or []:
                if db.get("source") == "mysql" and (db.get("lock_waits") or {}).get("mean"):
                    return round(float(db["lock_waits"]["mean"]), 1)
    return None


def _connection_rules(doc: dict[str, Any], add: Any) -> None:
    sources = {str(db.get("source")) for db in (doc.get("resources") or {}).get("databases") or []}
    why = f"{CONNECTIONS_PERCENT}% of max_connections"
    if "postgres" in sources:
        add(
            "ErpPostgresConnectionsNearMax",
            "100 * sum by (instance) (pg_stat_activity_count)"
            f" / max by (instance) (pg_settings_max_connections) > {CONNECTIONS_PERCENT}",
            CONNECTIONS_PERCENT,
            why,
            "PostgreSQL connections are near max_connections",
        )
    if "mysql" in sources:
        add(
            "ErpMysqlConnectionsNearMax",
            "100 * max by (instance) (mysql_global_status_threads_connected)"
            f" / max by (instance) (mysql_global_variables_max_connections) > {CONNECTIONS_PERCENT}",
            CONNECTIONS_PERCENT,
            why,
            "MySQL connections are near max_connections",
        )


def to_yaml(doc: dict[str, Any], found: list[dict[str, Any]]) -> str:
    """The rules file: a commented header and the groups/rules of Prometheus's format."""
    limit = _limit(doc)
    file_rules = [
        {k: r[k] for k in ("alert", "expr", "for", "labels", "annotations")} for r in found
    ]
    body = yaml.safe_dump(
        {"groups": [{"name": "erpcap-capacity", "rules": file_rules}]},
        sort_keys=False,
        allow_unicode=True,
        width=1000,
    )
    header = _HEADER.format(run=doc.get("run_id") or "?", basis=limit[1] if limit else "none")
    return header + body
