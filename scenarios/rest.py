"""Declarative YAML scenarios for any REST or JSON-RPC ERP: the model and its loader.

The format is in docs/declarative-scenarios.md (a file is one when it has a top-level
``transactions:`` key). :func:`load_rest_model` reads and checks the *whole* file — every
key, duration, weight, feeder file and template reference — so that a mistake ends the run
before it starts, as one line naming the file and the line. No Locust here: the orchestrator
loads the file to check it, and the Locust process loads it again to build its users
(:mod:`erpcap.scenarios.rest_users`) from the same :class:`RestModel`.
"""

from __future__ import annotations

import csv
import io
import os
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from types import MappingProxyType
from typing import Any

import yaml

from erpcap.errors import BadInput
from erpcap.scenarios._yaml import LINE_KEY, keys, line_of, load_yaml
from erpcap.scenarios.catalog import Scenario
from erpcap.scenarios.jsonrpc import DIALECTS
from erpcap.scenarios.shapes import parse_duration
from erpcap.scenarios.templates import plain, references
from erpcap.scenarios.think_dist import KINDS, ThinkTime
from erpcap.textfile import read_text

TOP_KEYS = ("name", "description", "base_path", "think", "timeout", "headers", "feeders",
            "login", "transactions", "jsonrpc")  # fmt: skip
TRANSACTION_KEYS = ("name", "weight", "group", "method", "path", "params", "json", "headers",
                    "save", "needs", "think", "slo", "jsonrpc")  # fmt: skip
LOGIN_KEYS = ("method", "path", "params", "json", "save", "headers")
RPC_KEYS = ("dialect", "db", "user", "password", "path")
CALL_KEYS = ("service", "method", "args", "kwargs")
METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS")
#: Transaction groups a declarative scenario may name (erpcap.types.GROUPS but ``auth``,
#: which is the login's).
GROUPS = ("order", "query", "close", "other")
#: Per-transaction SLO keys: percentiles (a duration) and the error rate.
SLO_PERCENTILES = ("p50", "p90", "p95", "p99")

#: A default think time when the file gives none: TPC-C-like 5 s.
DEFAULT_THINK = ThinkTime("exponential", (5.0,))


@dataclass(frozen=True)
class Feeder:
    """A CSV data feeder: its columns (the header row) and its rows."""

    name: str
    path: Path
    columns: tuple[str, ...]
    rows: tuple[Mapping[str, str], ...]


@dataclass(frozen=True)
class RpcSettings:
    """The ``jsonrpc:`` block: how to reach and log in to an Odoo- or Tryton-style ERP."""

    dialect: str
    db: str
    user: str
    password: str
    path: str | None = None


@dataclass(frozen=True)
class RpcCall:
    """A JSON-RPC call of a transaction (templated ``args`` and ``kwargs``)."""

    service: str
    method: str
    args: list[Any]
    kwargs: dict[str, Any]


@dataclass(frozen=True)
class Step:
    """One request of the scenario: the login or a transaction.

    ``path``, ``params``, ``json`` and ``headers`` are templates (:mod:`templates`);
    ``save`` maps a name to a dotted path in the JSON response; ``feeders`` are the feeders
    its templates use (a row of each is drawn each time the step runs); ``needs`` are the
    saved values it waits for (declared, or used by its templates).
    """

    name: str
    line: int
    method: str = "GET"
    path: str = ""
    params: Any = None
    json: Any = None
    headers: Mapping[str, Any] = field(default_factory=dict)
    save: Mapping[str, str] = field(default_factory=dict)
    needs: tuple[str, ...] = ()
    feeders: tuple[str, ...] = ()
    weight: float = 1.0
    group: str = "other"
    think: ThinkTime | None = None
    slo: Mapping[str, float] = field(default_factory=dict)
    rpc: RpcCall | None = None


@dataclass(frozen=True)
class RestModel:
    """A parsed declarative scenario. ``session_headers`` are the login's ``headers``,
    sent with every request after the login."""

    name: str
    description: str
    path: Path
    base_path: str
    think: ThinkTime
    timeout_s: float | None
    headers: Mapping[str, Any]
    feeders: Mapping[str, Feeder]
    login: Step | None
    session_headers: Mapping[str, Any]
    transactions: tuple[Step, ...]
    jsonrpc: RpcSettings | None

    def mean_think_s(self) -> float:
        """The mean think time per transaction, over the mix's weights (for Little's law)."""
        total = sum(t.weight for t in self.transactions)
        return sum(t.weight * (t.think or self.think).mean() for t in self.transactions) / total

    def slo_targets(self) -> dict[str, dict[str, float]]:
        """``{transaction: {"p95_ms": 800.0, "error_rate": 0.01, ...}}`` for run.json."""
        return {t.name: dict(t.slo) for t in self.transactions if t.slo}


def load_rest_scenario(path: str | Path) -> Scenario:
    """The :class:`Scenario` of a declarative file, checked whole (BadInput: file and line)."""
    model = load_rest_model(path)
    total = sum(t.weight for t in model.transactions)
    mix = MappingProxyType({t.name: t.weight / total for t in model.transactions})
    return Scenario(model.name, model.description, (), mix, source=str(model.path), kind="rest")


def load_rest_model(path: str | Path) -> RestModel:
    """Read and check a declarative scenario file; BadInput names the file and line."""
    file = Path(path).resolve()
    doc = load_yaml(file, "scenario")
    if not isinstance(doc, dict) or not isinstance(doc.get("transactions"), list):
        raise BadInput("expected a mapping with a 'transactions' list", path=file, line=1)
    return _Reader(file, doc).model()


class _Reader:
    """Checks one document. ``key_lines`` holds the line of every key, by ``id`` of its
    mapping (the loader records only where each mapping starts)."""

    def __init__(self, file: Path, doc: dict[str, Any]) -> None:
        self.file = file
        self.doc = doc
        self.key_lines: dict[int, dict[str, int]] = {}
        node = yaml.compose(read_text(file, "scenario"), Loader=yaml.SafeLoader)
        _index_key_lines(node, doc, self.key_lines)

    # -- errors -----------------------------------------------------------------------------

    def line(self, mapping: Any, key: str | None = None) -> int:
        if key is not None and isinstance(mapping, dict):
            found = self.key_lines.get(id(mapping), {}).get(key)
            if found is not None:
                return found
        return line_of(mapping, 1)

    def bad(
        self, message: str, mapping: Any, key: str | None = None, hint: str | None = None
    ) -> BadInput:
        return BadInput(message, path=self.file, line=self.line(mapping, key), hint=hint)

    def only(self, mapping: dict[str, Any], allowed: tuple[str, ...], what: str) -> None:
        for key in keys(mapping):
            if key not in allowed:
                raise self.bad(f"unknown key {key!r} in {what}", mapping, key,
                               hint=f"use {', '.join(allowed)}")  # fmt: skip

    def mapping(self, parent: dict[str, Any], key: str, what: str) -> dict[str, Any]:
        value = parent.get(key)
        if value is None:
            return {}
        if not isinstance(value, dict):
            raise self.bad(f"{what} must be a mapping, got {type(value).__name__}", parent, key)
        return value

    # -- the document -----------------------------------------------------------------------

    def model(self) -> RestModel:
        doc = self.doc
        self.only(doc, TOP_KEYS, "the scenario")
        think = self.think(doc, "think") or DEFAULT_THINK
        timeout = None
        if doc.get("timeout") is not None:
            timeout = self.duration(doc, "timeout", "timeout")
        base = str(doc.get("base_path") or "").rstrip("/")
        if base and not base.startswith("/"):
            raise self.bad(f"base_path must start with '/', got {base!r}", doc, "base_path")
        headers = self.headers(doc, "headers")
        feeders = self.feeders()
        rpc = self.rpc_settings()
        login_doc = self.mapping(doc, "login", "login")
        login = self.step(login_doc, "login", login=True, group="auth") if "login" in doc else None
        session_headers = self.headers(login_doc, "headers")
        if not doc["transactions"]:
            raise self.bad("'transactions' is empty", doc, "transactions",
                           hint="list at least one transaction")  # fmt: skip
        transactions = tuple(self.transaction(entry) for entry in doc["transactions"])
        for i, t in enumerate(transactions):
            if any(t.name == other.name for other in transactions[:i]):
                raise BadInput(f"two transactions are called {t.name!r}", path=self.file,
                               line=t.line, hint="give each transaction its own name")  # fmt: skip
            if t.rpc is not None and rpc is None:
                raise BadInput(f"transaction {t.name!r} makes a JSON-RPC call but the scenario "
                               "has no 'jsonrpc' block", path=self.file, line=t.line,
                               hint="add jsonrpc: {dialect, db, user, password}")  # fmt: skip
        model = RestModel(
            name=str(doc.get("name") or self.file.stem),
            description=str(doc.get("description") or f"declarative scenario {self.file.name}"),
            path=self.file, base_path=base, think=think, timeout_s=timeout, headers=headers,
            feeders=MappingProxyType(feeders), login=login,
            session_headers=session_headers, transactions=transactions, jsonrpc=rpc,
        )  # fmt: skip
        return self.check_references(model, login_doc)

    def transaction(self, entry: Any) -> Step:
        if not isinstance(entry, dict):
            raise BadInput("each transaction must be a mapping with a name", path=self.file,
                           line=line_of(self.doc, 1))  # fmt: skip
        self.only(entry, TRANSACTION_KEYS, "a transaction")
        name = entry.get("name")
        if not isinstance(name, str) or not name.strip():
            raise self.bad("a transaction needs a 'name' (the name in every report)", entry)
        weight = entry.get("weight", 1)
        if isinstance(weight, bool) or not isinstance(weight, int | float) or not weight > 0:
            raise self.bad(f"weight of {name} must be a number above 0, got {weight!r}",
                           entry, "weight")  # fmt: skip
        group = entry.get("group", "other")
        if group not in GROUPS:
            raise self.bad(f"unknown group {group!r} of {name}", entry, "group",
                           hint=f"use one of: {', '.join(GROUPS)}")  # fmt: skip
        return self.step(entry, name.strip(), weight=float(weight), group=str(group))

    def step(self, entry: dict[str, Any], name: str, *, login: bool = False,
             weight: float = 1.0, group: str = "other") -> Step:  # fmt: skip
        if login:
            self.only(entry, LOGIN_KEYS, "login")
        rpc = self.call(entry) if "jsonrpc" in entry else None
        if rpc is not None:
            clash = [k for k in ("method", "path", "params", "json") if k in entry]
            if clash:
                raise self.bad(f"{name}: a JSON-RPC call takes no {clash[0]!r}", entry, clash[0],
                               hint="give either jsonrpc or method and path")  # fmt: skip
        method = str(entry.get("method", "GET")).upper()
        if method not in METHODS:
            raise self.bad(f"unknown HTTP method {entry.get('method')!r} of {name}", entry,
                           "method", hint=f"use one of: {', '.join(METHODS)}")  # fmt: skip
        path = entry.get("path")
        if rpc is None and (not isinstance(path, str) or not path.startswith("/")):
            raise self.bad(f"{name} needs a 'path' starting with '/', got {path!r}", entry,
                           "path" if "path" in entry else None)  # fmt: skip
        params = entry.get("params")
        if params is not None and not isinstance(params, dict):
            raise self.bad(f"params of {name} must be a mapping", entry, "params")
        save = self.mapping(entry, "save", f"save of {name}")
        for key in keys(save):
            if not key.isidentifier() or not isinstance(save[key], str) or not save[key].strip():
                raise self.bad(f"save of {name}: {key!r} must be a name mapped to a dotted "
                               "path in the response", save, key,
                               hint="e.g. {order_id: data.id}; '.' saves all of it")  # fmt: skip
        needs = entry.get("needs", [])
        if not isinstance(needs, list) or not all(isinstance(n, str) for n in needs):
            raise self.bad(f"needs of {name} must be a list of saved names", entry, "needs")
        slo = self.slo(entry, name) if "slo" in entry else {}
        return Step(
            name=name, line=line_of(entry, 1), method="POST" if rpc else method,
            path=str(path or ""), params=plain(params), json=plain(entry.get("json")),
            headers=MappingProxyType({}) if login else self.headers(entry, "headers"),
            save=MappingProxyType({k: str(save[k]) for k in keys(save)}), needs=tuple(needs),
            weight=weight, group=group, think=self.think(entry, "think"), slo=slo, rpc=rpc,
        )  # fmt: skip

    # -- parts ------------------------------------------------------------------------------

    def headers(self, parent: dict[str, Any], key: str) -> Mapping[str, Any]:
        block = self.mapping(parent, key, key)
        for name in keys(block):
            if isinstance(block[name], dict | list):
                raise self.bad(f"header {name!r} must be text", block, name)
        return MappingProxyType({k: str(block[k]) for k in keys(block)})

    def duration(self, parent: dict[str, Any], key: str, what: str) -> float:
        try:
            return parse_duration(parent[key], what=what)
        except BadInput as exc:
            raise self.bad(exc.message, parent, key, hint=exc.hint) from None

    def think(self, parent: dict[str, Any], key: str) -> ThinkTime | None:
        value = parent.get(key)
        if value is None:
            return None
        if value in (0, "0", "0s"):
            return ThinkTime("constant", (0.0,))
        if not isinstance(value, dict):
            return ThinkTime("exponential", (self.duration(parent, key, "think"),))
        forms = keys(value)
        hint = "write a duration (exponential mean) or one of " + ", ".join(
            f"{{{k}: ...}}" for k in KINDS
        )
        if len(forms) != 1 or forms[0] not in KINDS:
            raise self.bad(f"think must be a duration or exactly one of {', '.join(KINDS)}, "
                           f"got {', '.join(forms) or 'nothing'}", parent, key, hint=hint)  # fmt: skip
        kind = forms[0]
        raw = value[kind]
        if kind in ("exponential", "constant"):
            if raw in (0, "0", "0s"):
                return ThinkTime(kind, (0.0,))
            return ThinkTime(kind, (self.duration(value, kind, f"think {kind}"),))
        items = raw if isinstance(raw, list) else None
        if kind == "uniform":
            if items is None or len(items) != 2:
                raise self.bad("think uniform takes [low, high], e.g. [2s, 8s]", value, kind)
            low, high = (0.0 if v in (0, "0", "0s") else parse_duration(v, what="think")
                         for v in items)  # fmt: skip
            if high < low:
                raise self.bad(f"think uniform: high {items[1]!r} is below low {items[0]!r}",
                               value, kind)  # fmt: skip
            return ThinkTime(kind, (low, high))
        if not items or not all(
            isinstance(v, int | float) and not isinstance(v, bool) and v >= 0 for v in items
        ):
            raise self.bad("think empirical takes a non-empty list of seconds, 0 or more",
                           value, kind)  # fmt: skip
        return ThinkTime(kind, tuple(float(v) for v in items))

    def slo(self, entry: dict[str, Any], name: str) -> Mapping[str, float]:
        block = self.mapping(entry, "slo", f"slo of {name}")
        allowed = (*SLO_PERCENTILES, "errors")
        self.only(block, allowed, f"the slo of {name}")
        targets: dict[str, float] = {}
        for key in keys(block):
            value = block[key]
            if key == "errors":
                targets["error_rate"] = self.rate(block, key, value)
                continue
            if isinstance(value, int | float):
                raise self.bad(f"slo {key} of {name}: {value!r} has no unit", block, key,
                               hint=f"write e.g. {value}ms or {value}s")  # fmt: skip
            try:
                targets[f"{key}_ms"] = parse_duration(value, what=f"slo {key}") * 1000.0
            except BadInput as exc:
                raise self.bad(exc.message, block, key, hint=exc.hint) from None
        return MappingProxyType(targets)

    def rate(self, block: dict[str, Any], key: str, value: Any) -> float:
        text = str(value).strip()
        try:
            rate = float(text[:-1]) / 100.0 if text.endswith("%") else float(text)
        except ValueError:
            rate = -1.0
        if isinstance(value, bool) or not 0.0 <= rate <= 1.0:
            raise self.bad(f"slo errors must be a share like 1% or 0.01, got {value!r}", block,
                           key)  # fmt: skip
        return rate

    def feeders(self) -> dict[str, Feeder]:
        block = self.mapping(self.doc, "feeders", "feeders")
        found: dict[str, Feeder] = {}
        for name in keys(block):
            spec = block[name]
            if name == "env" or not name.isidentifier():
                raise self.bad(f"feeder name {name!r} must be a plain name other than 'env'",
                               block, name)  # fmt: skip
            if (
                not isinstance(spec, dict)
                or keys(spec) != ["csv"]
                or not isinstance(spec["csv"], str)
            ):
                raise self.bad(f"feeder {name} must be {{csv: FILE}}", block, name)
            csv_path = (self.file.parent / spec["csv"]).resolve()
            if not csv_path.is_file():
                raise self.bad(f"feeder {name}: no such CSV file {csv_path}", block, name,
                               hint="the path is relative to the scenario file")  # fmt: skip
            rows = list(csv.DictReader(io.StringIO(read_text(csv_path, "feeder CSV"))))
            if not rows:
                raise self.bad(f"feeder {name}: {csv_path.name} has no data row", block, name,
                               hint="the first row names the columns, then one row per record")  # fmt: skip
            columns = tuple(str(c) for c in rows[0] if c is not None)
            found[name] = Feeder(
                name, csv_path, columns, tuple(MappingProxyType(dict(r)) for r in rows)
            )
        return found

    def rpc_settings(self) -> RpcSettings | None:
        if "jsonrpc" not in self.doc:
            return None
        block = self.mapping(self.doc, "jsonrpc", "jsonrpc")
        self.only(block, RPC_KEYS, "jsonrpc")
        dialect = block.get("dialect", "odoo")
        if dialect not in DIALECTS:
            raise self.bad(f"unknown JSON-RPC dialect {dialect!r}", block, "dialect",
                           hint=f"use one of: {', '.join(DIALECTS)}")  # fmt: skip
        values = {}
        for key in ("db", "user", "password"):
            if not isinstance(block.get(key), str | int) or isinstance(block.get(key), bool):
                raise self.bad(f"jsonrpc needs {key!r}", block, key if key in block else None)
            values[key] = str(block[key])
        path = block.get("path")
        if path is not None and (not isinstance(path, str) or not path.startswith("/")):
            raise self.bad(f"jsonrpc path must start with '/', got {path!r}", block, "path")
        return RpcSettings(str(dialect), values["db"], values["user"], values["password"], path)

    def call(self, entry: dict[str, Any]) -> RpcCall:
        block = self.mapping(entry, "jsonrpc", "jsonrpc")
        self.only(block, CALL_KEYS, "a JSON-RPC call")
        for key in ("service", "method"):
            if not isinstance(block.get(key), str) or not block[key]:
                raise self.bad(f"a JSON-RPC call needs {key!r}", block)
        args = block.get("args", [])
        kwargs = block.get("kwargs", {})
        if not isinstance(args, list):
            raise self.bad("jsonrpc args must be a list", block, "args")
        if not isinstance(kwargs, dict):
            raise self.bad("jsonrpc kwargs must be a mapping", block, "kwargs")
        return RpcCall(str(block["service"]), str(block["method"]), plain(args), plain(kwargs))

    # -- references -------------------------------------------------------------------------

    def check_references(self, model: RestModel, login_doc: dict[str, Any]) -> RestModel:
        """Every ``${...}`` names an env variable, a feeder column or a saved value; ``model``
        with each step's feeders and the saved values it waits for."""
        login_saves = set(model.login.save) if model.login else set()
        later_saves = {k for t in model.transactions for k in t.save}
        top = self.doc
        self.refs(model, top, "headers", set(), "the scenario's headers", feeders=False)
        if "jsonrpc" in top:
            self.refs(model, top, "jsonrpc", set(), "jsonrpc")
        if model.login is not None:
            for key in ("path", "params", "json"):
                self.refs(model, login_doc, key, set(), "the login")
            self.refs(model, login_doc, "headers", login_saves, "the login's headers",
                      feeders=False)  # fmt: skip
        entries = top["transactions"]
        steps = []
        for entry, step in zip(entries, model.transactions, strict=True):
            saved = login_saves | later_saves
            used = [r for k in ("path", "params", "json", "headers", "jsonrpc")
                    for r in self.refs(model, entry, k, saved, step.name)]  # fmt: skip
            for need in step.needs:
                if need not in later_saves | login_saves:
                    raise self.bad(f"{step.name} needs {need!r}, which no transaction saves",
                                   entry, "needs", hint="save it with save: {NAME: PATH}")  # fmt: skip
            waits = tuple(dict.fromkeys([*step.needs, *(r for r in used if r in later_saves
                                                         and r not in login_saves)]))  # fmt: skip
            steps.append((step, waits, feeders_of(used)))
        transactions = tuple(replace(s, needs=w, feeders=f) for s, w, f in steps)
        login = model.login
        if login is not None:
            used = [r for k in ("path", "params", "json") for r in references(login_doc.get(k))]
            login = replace(login, feeders=feeders_of(used))
        if not any(set(t.needs) <= login_saves for t in transactions):
            raise self.bad("every transaction needs a saved value, so none can ever run", top,
                           "transactions", hint="let a transaction without 'needs' save it")  # fmt: skip
        return replace(model, transactions=transactions, login=login)

    def ref_line(self, value: Any, ref: str, default: int) -> int:
        """The line of the key under ``value`` whose value uses ``ref``."""
        if isinstance(value, dict):
            for key, item in value.items():
                if key != LINE_KEY and ref in references([key, item]):
                    return self.ref_line(item, ref, self.line(value, key))
        elif isinstance(value, list):
            for item in value:
                if ref in references(item):
                    return self.ref_line(item, ref, default)
        return default

    def refs(self, model: RestModel, parent: dict[str, Any], key: str, saved: set[str],
             what: str, *, feeders: bool = True) -> list[str]:  # fmt: skip
        """The references under ``parent[key]``, each checked; ``feeders=False`` for headers
        sent with every request (no row is drawn for them)."""
        value = parent.get(key)
        found = references(value)
        for ref in found:
            where = self.ref_line(value, ref, self.line(parent, key))
            if "." in ref and not ref.startswith("env.") and not feeders:
                raise BadInput(f"{what} uses ${{{ref}}}, but headers sent with every request "
                               "cannot use feeders", path=self.file, line=where,
                               hint="use ${env.NAME} or a value the login saves")  # fmt: skip
            if ref.startswith("env."):
                if ref[4:] not in os.environ:
                    raise BadInput(f"{what} uses ${{{ref}}} but the environment variable "
                                   f"{ref[4:]} is not set", path=self.file, line=where,
                                   hint=f"export {ref[4:]}=... before erpcap run")  # fmt: skip
            elif "." in ref:
                feeder, _, column = ref.partition(".")
                if feeder not in model.feeders:
                    raise BadInput(f"{what} uses ${{{ref}}} but there is no feeder {feeder!r}",
                                   path=self.file, line=where,
                                   hint="declare it under feeders: or fix the name")  # fmt: skip
                if column not in model.feeders[feeder].columns:
                    raise BadInput(f"{what} uses ${{{ref}}} but feeder {feeder} has no column "
                                   f"{column!r}", path=self.file, line=where,
                                   hint=f"use one of: {', '.join(model.feeders[feeder].columns)}")  # fmt: skip
            elif ref not in saved:
                raise BadInput(f"{what} uses ${{{ref}}}, which is not a saved value", path=self.file,
                               line=where, hint="save it first (save: {NAME: PATH}), or write "
                               "${feeder.column} or ${env.NAME}")  # fmt: skip
        return found


def feeders_of(refs: list[str]) -> tuple[str, ...]:
    """The feeders that ``refs`` draw from, in order.

    >>> feeders_of(["items.id", "env.X", "order_id", "people.user", "items.sku"])
    ('items', 'people')
    """
    return tuple(dict.fromkeys(r.split(".")[0] for r in refs if "." in r and r[:4] != "env."))


def _index_key_lines(node: Any, data: Any, out: dict[int, dict[str, int]]) -> None:
    """Fill ``out[id(mapping)]`` with the 1-based line of each key, walking the YAML nodes
    beside the loaded data."""
    if isinstance(node, yaml.MappingNode) and isinstance(data, dict):
        lines = out.setdefault(id(data), {})
        for key_node, value_node in node.value:
            key = str(key_node.value)
            if key == LINE_KEY:
                continue
            lines[key] = key_node.start_mark.line + 1
            if key in data:
                _index_key_lines(value_node, data[key], out)
    elif isinstance(node, yaml.SequenceNode) and isinstance(data, list):
        for item_node, item in zip(node.value, data, strict=False):
            _index_key_lines(item_node, item, out)


def describe_rest(scenario: Scenario) -> dict[str, Any]:
    """The run.json keys of a declarative scenario: ``scenario_users`` (one mix with the mean
    think time, for Little's law) and ``slo`` (``{"transactions": {name: {"p95_ms": ...,
    "error_rate": ...}}}``, the targets the analysis judges each transaction by)."""
    model = load_rest_model(scenario.ref)
    users = [{"role": "scenario", "weight": 1, "fixed_count": 0,
              "think_s": round(model.mean_think_s(), 6), "paced": False}]  # fmt: skip
    return {"scenario_users": users, "slo": {"transactions": model.slo_targets()}}
