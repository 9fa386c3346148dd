"""The prometheus collector's queries: the default packs and the user's YAML file.

A :class:`Query` is a named PromQL expression; its name becomes the ``metric`` of the rows
it gives. ``$__rate_interval`` in an expression (Grafana's name) is replaced by a window
long enough for :func:`rate` to see several scrapes: ``max(4 × scrape interval, step +
scrape interval)``.

The default packs use the metric names that Debian's exporters export (verified against
prometheus-node-exporter 1.5, prometheus-postgres-exporter 0.11 and
prometheus-mysqld-exporter 0.14). A pack whose exporter is not scraped simply returns no data.

>>> [q.name for q in PACKS["node"]][:2]
['node_cpu_busy_percent', 'node_cpu_mode_percent']
>>> parse_packs("node+mysql")
('node', 'mysql')
>>> parse_packs("none")
()
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import yaml

from erpcap.errors import BadInput
from erpcap.textfile import read_text

#: The placeholder for the rate window, replaced before a query is sent.
RATE_INTERVAL = "$__rate_interval"

#: A query name: a Prometheus metric name.
_NAME = re.compile(r"^[A-Za-z_:][A-Za-z0-9_:]*$")

#: Keys of one entry of a queries file.
_KEYS = ("name", "query", "unit")

#: A one-line example entry, for hints.
EXAMPLE = "- {name: erp_requests_per_s, query: 'sum(rate(erp_requests_total[5m]))', unit: req/s}"


@dataclass(frozen=True)
class Query:
    """A named PromQL expression; ``pack`` is ``node``, ``postgres``, ``mysql`` or ``user``."""

    name: str
    expr: str
    unit: str = ""
    pack: str = "user"
    where: str = ""  # file:line of a user's query

    def promql(self, rate_window_s: int) -> str:
        """The expression with ``$__rate_interval`` replaced.

        >>> Query("x", "rate(a[$__rate_interval])").promql(60)
        'rate(a[60s])'
        """
        return self.expr.replace(RATE_INTERVAL, f"{rate_window_s}s")


def _pack(pack: str, *rows: tuple[str, str, str]) -> tuple[Query, ...]:
    return tuple(Query(name, expr, unit, pack) for name, expr, unit in rows)


_RI = RATE_INTERVAL
_PG_DB = '{datname!=""}'  # the exporter's row for shared objects has an empty datname

PACKS: dict[str, tuple[Query, ...]] = {
    "node": _pack(
        "node",
        (
            "node_cpu_busy_percent",
            f'100 * (1 - avg by (instance) (rate(node_cpu_seconds_total{{mode="idle"}}[{_RI}])))',
            "% of all cores",
        ),
        (
            "node_cpu_mode_percent",
            f'100 * avg by (instance, mode) (rate(node_cpu_seconds_total{{mode!="idle"}}[{_RI}]))',
            "% of all cores",
        ),
        ("node_load1", "node_load1", "run-queue length"),
        (
            "node_memory_used_percent",
            "100 * (1 - node_memory_MemAvailable_bytes / node_memory_MemTotal_bytes)",
            "%",
        ),
        (
            "node_disk_read_bytes_per_s",
            f"sum by (instance) (rate(node_disk_read_bytes_total[{_RI}]))",
            "bytes/s",
        ),
        (
            "node_disk_write_bytes_per_s",
            f"sum by (instance) (rate(node_disk_written_bytes_total[{_RI}]))",
            "bytes/s",
        ),
        (
            "node_network_receive_bytes_per_s",
            f'sum by (instance) (rate(node_network_receive_bytes_total{{device!="lo"}}[{_RI}]))',
            "bytes/s",
        ),
        (
            "node_network_transmit_bytes_per_s",
            f'sum by (instance) (rate(node_network_transmit_bytes_total{{device!="lo"}}[{_RI}]))',
            "bytes/s",
        ),
    ),
    "postgres": _pack(
        "postgres",
        (
            "pg_connections",
            "sum by (instance, server, state) (pg_stat_activity_count)",
            "connections",
        ),
        (
            "pg_connections_used_percent",
            "100 * sum by (instance, server) (pg_stat_activity_count)"
            " / max by (instance, server) (pg_settings_max_connections)",
            "% of max_connections",
        ),
        ("pg_max_connections", "pg_settings_max_connections", "connections"),
        (
            "pg_xact_commit_per_s",
            f"sum by (instance, server, datname) (rate(pg_stat_database_xact_commit{_PG_DB}[{_RI}]))",
            "transactions/s",
        ),
        (
            "pg_xact_rollback_per_s",
            f"sum by (instance, server, datname) (rate(pg_stat_database_xact_rollback{_PG_DB}[{_RI}]))",
            "transactions/s",
        ),
        (
            "pg_blks_hit_per_s",
            f"sum by (instance, server, datname) (rate(pg_stat_database_blks_hit{_PG_DB}[{_RI}]))",
            "blocks/s",
        ),
        (
            "pg_blks_read_per_s",
            f"sum by (instance, server, datname) (rate(pg_stat_database_blks_read{_PG_DB}[{_RI}]))",
            "blocks/s",
        ),
        (
            "pg_deadlocks_per_s",
            f"sum by (instance, server, datname) (rate(pg_stat_database_deadlocks{_PG_DB}[{_RI}]))",
            "deadlocks/s",
        ),
        ("pg_locks", "sum by (instance, server, mode) (pg_locks_count)", "locks"),
    ),
    "mysql": _pack(
        "mysql",
        ("mysql_threads_running", "mysql_global_status_threads_running", "threads"),
        ("mysql_threads_connected", "mysql_global_status_threads_connected", "threads"),
        (
            "mysql_connections_used_percent",
            "100 * mysql_global_status_threads_connected / mysql_global_variables_max_connections",
            "% of max_connections",
        ),
        (
            "mysql_queries_per_s",
            f"rate(mysql_global_status_queries[{_RI}])",
            "statements/s",
        ),
        (
            "mysql_row_lock_waits_per_s",
            f"rate(mysql_global_status_innodb_row_lock_waits[{_RI}])",
            "waits/s",
        ),
        (
            "mysql_row_lock_current_waits",
            "mysql_global_status_innodb_row_lock_current_waits",
            "waits",
        ),
        (
            "mysql_buffer_pool_reads_per_s",
            f"rate(mysql_global_status_innodb_buffer_pool_reads[{_RI}])",
            "reads from disk/s",
        ),
        (
            "mysql_buffer_pool_read_requests_per_s",
            f"rate(mysql_global_status_innodb_buffer_pool_read_requests[{_RI}])",
            "logical reads/s",
        ),
        (
            "mysql_slow_queries_per_s",
            f"rate(mysql_global_status_slow_queries[{_RI}])",
            "queries/s",
        ),
    ),
}


def parse_packs(text: str) -> tuple[str, ...]:
    """``node+postgres`` → the packs to query; ``none`` → none (``+`` separates, as ``,``
    separates the collector's options)."""
    names = tuple(p.strip().lower() for p in re.split(r"[+|;\s]+", text) if p.strip())
    if names == ("none",):
        return ()
    bad = [n for n in names if n not in PACKS]
    if bad or not names:
        raise BadInput(
            f"unknown query pack {', '.join(bad) or text!r}",
            hint=f"use none or packs joined by +: {'+'.join(PACKS)}",
        )
    return names


def _fail(path: Path, node: yaml.Node | None, message: str, hint: str = "") -> BadInput:
    line = node.start_mark.line + 1 if node is not None else None
    return BadInput(message, path=path, line=line, hint=hint or f"write entries like: {EXAMPLE}")


def _scalar(path: Path, node: yaml.Node, what: str) -> str:
    if not isinstance(node, yaml.ScalarNode) or not str(node.value).strip():
        raise _fail(path, node, f"{what} must be a non-empty text")
    return str(node.value).strip()


def _entry(path: Path, node: yaml.Node, name_node: yaml.Node | None) -> Query:
    """One query from a mapping ``{name, query, unit}``, or from ``name: query``."""
    fields: dict[str, str] = {}
    if name_node is not None:
        fields["name"] = _scalar(path, name_node, "a query's name")
    if isinstance(node, yaml.ScalarNode) and name_node is not None:
        fields["query"] = _scalar(path, node, f"query {fields['name']!r}")
    elif isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            key = _scalar(path, key_node, "a key")
            allowed = _KEYS[1:] if name_node is not None else _KEYS
            if key not in allowed:
                raise _fail(path, key_node, f"unknown key {key!r}", f"use {', '.join(allowed)}")
            fields[key] = _scalar(path, value_node, key)
    else:
        raise _fail(path, node, "a query entry must be a mapping with name and query")
    for key in ("name", "query"):
        if key not in fields:
            raise _fail(path, node, f"the query entry has no {key}")
    if not _NAME.match(fields["name"]):
        raise _fail(
            path,
            name_node or node,
            f"{fields['name']!r} is not a metric name",
            "use letters, digits and _, not starting with a digit",
        )
    where = f"{path}:{node.start_mark.line + 1}"
    return Query(fields["name"], fields["query"], fields.get("unit", ""), "user", where)


def load_queries(text: str) -> tuple[Query, ...]:
    """The queries of the YAML file ``text`` names: a list of ``{name, query, unit}`` or a
    mapping ``name: query``. Bad input is one BadInput naming the file and line."""
    path = Path(text)
    source = read_text(path, "queries", hint="give a YAML file of named PromQL queries")
    try:
        root = yaml.compose(source, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as exc:
        line = exc.problem_mark.line + 1 if exc.problem_mark else None
        raise BadInput(f"not valid YAML: {exc.problem}", path=path, line=line) from None
    except yaml.YAMLError as exc:
        raise BadInput(f"not valid YAML: {exc}", path=path) from None
    if isinstance(root, yaml.SequenceNode):
        queries = [_entry(path, item, None) for item in root.value]
    elif isinstance(root, yaml.MappingNode):
        queries = [_entry(path, value, key) for key, value in root.value]
    elif root is None:
        raise _fail(path, None, "the queries file is empty")
    else:
        raise _fail(path, root, "expected a list of queries (or a mapping name: query)")
    if not queries:
        raise _fail(path, root, "the file has no queries")
    seen: set[str] = set()
    for query in queries:
        if query.name in seen:
            line = int(query.where.rsplit(":", 1)[1])
            raise BadInput(
                f"query {query.name!r} is defined twice",
                path=path,
                line=line,
                hint="give each query its own name",
            )
        seen.add(query.name)
    return tuple(queries)
