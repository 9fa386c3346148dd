"""The scenario catalogue: user roles, transaction mixes and operation groups, as data.

No Locust here: the CLI reads this module to list and validate scenarios, and the
locustfile turns each :class:`UserMix` into a Locust user class.

A scenario is a set of user roles (DOMAIN.md's user classes), each with a share of the users
and a task mix over operationIds. What a run sends is the users' mix weighted by how often
each user acts (one request per think time), which :func:`expected_mix` computes; for
``peak-order`` and ``month-end-close`` it reproduces DOMAIN.md's transaction mixes.

>>> get_scenario("demo-mix").name
'demo-mix'
>>> get_scenario("nope")
Traceback (most recent call last):
erpcap.errors.BadInput: unknown scenario 'nope' (use one of: demo-mix, mixed-day, month-end-close, peak-order, query)
>>> group_of("create_sales_order"), group_of("trial_balance"), group_of("something_else")
('order', 'close', 'other')
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any

from erpcap.errors import BadInput
from erpcap.scenarios._yaml import keys, line_of, load_yaml

#: operationId → transaction group (erpcap.types.GROUPS). Names not listed are "other".
OPERATION_GROUPS: Mapping[str, str] = MappingProxyType(
    {
        "login": "auth",
        "create_sales_order": "order",
        "ship_order": "order",
        "receive_goods": "order",
        "release_lot": "order",
        "record_payment": "order",
        "check_availability": "query",
        "get_sales_order": "query",
        "list_customer_orders": "query",
        "trace_lot": "query",
        "get_lot_history": "query",
        "run_invoicing": "close",
        "close_period": "close",
        "trial_balance": "close",
        "ar_aging": "close",
        "inventory_valuation": "close",
        "list_customers": "other",
        "list_items": "other",
        "list_lots": "other",
        "list_sales_orders": "other",
        "health": "other",
        "get_profile": "other",
        "metrics": "other",
    }
)

#: Error codes (from the API's error envelope) that are business outcomes, not failures:
#: the request is recorded with ok=True and the code in ``error``.
BUSINESS_OUTCOMES: Mapping[int, frozenset[str]] = MappingProxyType(
    {409: frozenset({"insufficient_stock"})}
)


def group_of(operation: str) -> str:
    """The transaction group of an operationId; ``other`` for unknown names."""
    return OPERATION_GROUPS.get(operation, "other")


@dataclass(frozen=True)
class Role:
    """A user class of DOMAIN.md: who logs in, how long they think, what they may do.

    ``think_s`` is the mean think time in seconds (TPC-C negative exponential). A ``paced``
    role is arrival-rate driven: ``think_s`` is then its mean gap between arrivals, and a late
    request keeps its intended start.
    """

    key: str
    class_name: str
    username: str
    think_s: float
    operations: frozenset[str]
    paced: bool = False


#: The roles, keyed by :attr:`Role.key`.
ROLES: Mapping[str, Role] = MappingProxyType(
    {
        role.key: role
        for role in (
            Role(
                "order_entry",
                "OrderEntryUser",
                "sales",
                10.0,
                frozenset(
                    {"create_sales_order", "check_availability", "get_sales_order", "list_customer_orders"}
                ),
            ),
            # DOMAIN.md: 5–10 s between scans; the exponential's mean sits in the middle.
            Role("warehouse", "WarehouseUser", "warehouse", 7.5,
                 frozenset({"ship_order", "check_availability", "get_sales_order", "receive_goods"})),
            Role("qa", "QualityUser", "qa", 30.0,
                 frozenset({"receive_goods", "release_lot", "trace_lot", "get_lot_history"})),
            Role("accounting", "AccountingUser", "finance", 30.0,
                 frozenset({"record_payment", "run_invoicing", "close_period", "trial_balance",
                            "ar_aging", "inventory_valuation"})),
            # "Minutes" between steps: two minutes on average.
            Role("manager", "ManagerUser", "manager", 120.0,
                 frozenset({"trial_balance", "ar_aging", "inventory_valuation", "list_customer_orders",
                            "get_sales_order", "check_availability", "trace_lot", "get_lot_history"})),
            # No think time: an arrival every 10 s per integration channel, Poisson.
            Role("integration", "IntegrationUser", "integration", 10.0,
                 frozenset({"create_sales_order", "check_availability", "get_sales_order"}),
                 paced=True),
            # A fixed pool running close batches back to back, a short pause in between.
            Role("batch", "BatchUser", "finance", 5.0, frozenset({"run_invoicing", "close_period"})),
        )
    }
)  # fmt: skip


@dataclass(frozen=True)
class UserMix:
    """One role in a scenario: its share of users and its task mix.

    ``weight`` is Locust's relative user weight; ``fixed_count`` users, when given, are
    started first regardless of weight. ``tasks`` maps operationIds to relative weights.
    ``think_s`` overrides the role's mean think time.
    """

    role: str
    tasks: Mapping[str, float]
    weight: int = 1
    fixed_count: int = 0
    think_s: float | None = None

    def think_mean(self) -> float:
        """The mean think (or arrival gap) in seconds for this user."""
        return ROLES[self.role].think_s if self.think_s is None else self.think_s


@dataclass(frozen=True)
class Scenario:
    """A named workload: user roles with their mixes; ``target_mix`` is the DOMAIN.md mix."""

    name: str
    description: str
    users: tuple[UserMix, ...]
    target_mix: Mapping[str, float] = field(default_factory=dict)
    #: How another process finds it again: the name of a built-in, the absolute path of a
    #: file (the Locust process resolves it from this, whatever its working folder).
    source: str = ""
    #: What builds its Locust user classes (:mod:`erpcap.scenarios.classes`): ``roles``
    #: (the reference ERP's roles: the built-ins and role YAML files), ``rest`` (a
    #: declarative YAML scenario for any REST or JSON-RPC ERP, :mod:`erpcap.scenarios.rest`)
    #: or ``locustfile`` (the user's own locustfile, :mod:`erpcap.scenarios.own_locustfile`).
    kind: str = "roles"

    @property
    def ref(self) -> str:
        """:attr:`source`, or the name when none was set."""
        return self.source or self.name

    def operations(self) -> list[str]:
        """Every operationId the scenario may send (besides login and discovery)."""
        return sorted({op for mix in self.users for op in mix.tasks})

    def to_dict(self) -> dict[str, object]:
        """A JSON-ready description (for run.json and ``--help`` listings)."""
        return {
            "name": self.name,
            "description": self.description,
            "users": [
                {
                    "role": m.role,
                    "class": ROLES[m.role].class_name,
                    "weight": m.weight,
                    "fixed_count": m.fixed_count,
                    "think_s": m.think_mean(),
                    "tasks": dict(m.tasks),
                }
                for m in self.users
            ],
        }


def expected_mix(scenario: Scenario) -> dict[str, float]:
    """Each operation's share of requests when think time dominates response time.

    A user of mix ``m`` sends ``1 / think`` requests per second, so a role's share of requests
    is proportional to ``weight / think``; within a role, operations split by task weight.
    Fixed-count users are left out (their share depends on the total user count).

    >>> mix = expected_mix(get_scenario("peak-order"))
    >>> round(mix["create_sales_order"], 2), round(sum(mix.values()), 6)
    (0.18, 1.0)
    """
    shares: dict[str, float] = {}
    for mix in scenario.users:
        if mix.fixed_count or mix.weight <= 0:
            continue
        rate = mix.weight / mix.think_mean()
        total = sum(mix.tasks.values())
        for op, weight in mix.tasks.items():
            shares[op] = shares.get(op, 0.0) + rate * weight / total
    grand = sum(shares.values()) or 1.0
    return {op: value / grand for op, value in sorted(shares.items())}


# DOMAIN.md's mixes, in percent of all business transactions. Receive-and-release (3) is
# split evenly over its two operations; the three close reports (12) share their figure.
_PEAK_DAY = {
    "create_sales_order": 18, "ship_order": 8, "receive_goods": 1, "release_lot": 1,
    "record_payment": 6, "check_availability": 22, "get_sales_order": 14,
    "list_customer_orders": 10, "trace_lot": 4, "get_lot_history": 2, "run_invoicing": 4,
    "close_period": 3, "trial_balance": 7 / 3, "ar_aging": 7 / 3, "inventory_valuation": 7 / 3,
}  # fmt: skip
_CLOSE_WINDOW = {
    "create_sales_order": 12, "ship_order": 6, "receive_goods": 0.5, "release_lot": 0.5,
    "record_payment": 6, "check_availability": 12, "get_sales_order": 9,
    "list_customer_orders": 7, "trace_lot": 3, "get_lot_history": 2, "run_invoicing": 12,
    "close_period": 10, "trial_balance": 20 / 3, "ar_aging": 20 / 3, "inventory_valuation": 20 / 3,
}  # fmt: skip


def _percent(mix: Mapping[str, float]) -> Mapping[str, float]:
    return MappingProxyType({op: value / 100.0 for op, value in mix.items()})


def _builtin() -> dict[str, Scenario]:
    # How the weights were chosen: each role carries a share of DOMAIN.md's mix (the task
    # weights below, in percent of all requests); its user weight is that share times its
    # think time (a user sends 1/think requests per second), divided by 10 and rounded.
    scenarios = (
        Scenario(
            "demo-mix",
            "Order entry and queries for the demo: order-entry users create orders and check "
            "availability, order status and customer orders; a query-heavy manager reads "
            "orders and reports; an integration channel posts orders at a steady rate.",
            (
                UserMix("order_entry", {"create_sales_order": 3, "check_availability": 4,
                                        "get_sales_order": 3, "list_customer_orders": 2}, weight=4),
                UserMix("manager", {"list_customer_orders": 3, "get_sales_order": 3,
                                    "check_availability": 2, "trace_lot": 1, "trial_balance": 1,
                                    "ar_aging": 1, "inventory_valuation": 1},
                        weight=1, think_s=20.0),
                UserMix("integration", {"create_sales_order": 2, "check_availability": 3,
                                        "get_sales_order": 1}, weight=1),
            ),
        ),
        Scenario(
            "peak-order",
            "An order peak day (DOMAIN.md peak-day mix: 34 % order, 52 % query, 14 % close): "
            "order entry, warehouse, quality, accounting, managers and integration channels.",
            (
                UserMix("order_entry", {"create_sales_order": 12, "check_availability": 12,
                                        "get_sales_order": 10, "list_customer_orders": 9}, weight=43),
                UserMix("warehouse", {"ship_order": 8, "check_availability": 4}, weight=9),
                UserMix("qa", {"receive_goods": 1, "release_lot": 1, "trace_lot": 4,
                               "get_lot_history": 2}, weight=24),
                UserMix("accounting", {"record_payment": 6, "run_invoicing": 4, "close_period": 3,
                                       "trial_balance": 2, "ar_aging": 2, "inventory_valuation": 2},
                        weight=57),
                UserMix("manager", {"trial_balance": 1 / 3, "ar_aging": 1 / 3,
                                    "inventory_valuation": 1 / 3, "list_customer_orders": 1},
                        weight=24),
                UserMix("integration", {"create_sales_order": 6, "check_availability": 6,
                                        "get_sales_order": 4}, weight=16),
            ),
            _percent(_PEAK_DAY),
        ),
        Scenario(
            "query",
            "Read-only: availability, order status, customer orders, lot trace and history, "
            "the queries the index and cache levers relieve (DOMAIN.md transactions 5-9).",
            (
                UserMix("order_entry", {"check_availability": 22, "get_sales_order": 14,
                                        "list_customer_orders": 10}, weight=46),
                UserMix("qa", {"trace_lot": 4, "get_lot_history": 2}, weight=18),
            ),
        ),
        Scenario(
            "month-end-close",
            "The close window (DOMAIN.md close-window mix: 25 % order, 33 % query, 42 % close): "
            "online users keep working while accounting runs invoicing, postings and reports.",
            (
                UserMix("order_entry", {"create_sales_order": 8, "check_availability": 8,
                                        "get_sales_order": 7, "list_customer_orders": 6}, weight=29),
                UserMix("warehouse", {"ship_order": 6, "check_availability": 4}, weight=8),
                UserMix("qa", {"receive_goods": 0.5, "release_lot": 0.5, "trace_lot": 3,
                               "get_lot_history": 2}, weight=18),
                UserMix("accounting", {"record_payment": 6, "run_invoicing": 12, "close_period": 10,
                                       "trial_balance": 6, "ar_aging": 6, "inventory_valuation": 6},
                        weight=138),
                UserMix("manager", {"trial_balance": 2 / 3, "ar_aging": 2 / 3,
                                    "inventory_valuation": 2 / 3, "list_customer_orders": 1},
                        weight=36),
                UserMix("integration", {"create_sales_order": 4, "get_sales_order": 2}, weight=6),
            ),
            _percent(_CLOSE_WINDOW),
        ),
        # Every role of a working day; the mixed-day shape (shapes.DAY_PHASES) picks which
        # roles run when: order entry, warehouse and integration in the morning, managers and
        # quality in the afternoon, accounting and batch in the evening.
        Scenario(
            "mixed-day",
            "A working day compressed into --duration: a morning order peak (order entry, "
            "warehouse, integration), afternoon queries (managers, quality) and an evening "
            "close batch (accounting, batch); its shape follows the phases (mixed-day).",
            (
                UserMix("order_entry", {"create_sales_order": 5, "check_availability": 3,
                                        "get_sales_order": 2}, weight=3),
                UserMix("warehouse", {"ship_order": 6, "check_availability": 2,
                                      "receive_goods": 1}, weight=1),
                UserMix("integration", {"create_sales_order": 2, "check_availability": 1,
                                        "get_sales_order": 1}, weight=1),
                UserMix("manager", {"list_customer_orders": 3, "get_sales_order": 3,
                                    "check_availability": 3, "trace_lot": 1}, weight=2,
                        think_s=20.0),
                UserMix("qa", {"trace_lot": 3, "get_lot_history": 2}, weight=1),
                UserMix("accounting", {"record_payment": 3, "trial_balance": 1, "ar_aging": 1,
                                       "inventory_valuation": 1}, weight=1),
                UserMix("batch", {"run_invoicing": 1, "close_period": 1}, weight=1),
            ),
        ),
    )  # fmt: skip
    return {s.name: s for s in scenarios}


def scenario_names() -> list[str]:
    """The built-in scenario names, sorted."""
    return sorted(_builtin())


def get_scenario(name: str) -> Scenario:
    """The built-in scenario called ``name``; :class:`BadInput` naming the choices if none."""
    scenarios = _builtin()
    try:
        return scenarios[name]
    except KeyError:
        raise BadInput(
            f"unknown scenario {name!r}", hint=f"use one of: {', '.join(sorted(scenarios))}"
        ) from None


def resolve_scenario(name_or_path: str) -> Scenario:
    """A built-in scenario by name, or one read from a file.

    ``*.py`` is the user's own locustfile (:func:`erpcap.scenarios.own_locustfile.load_locustfile_scenario`);
    a YAML file with ``transactions`` is a declarative scenario for any ERP
    (:func:`erpcap.scenarios.rest.load_rest_scenario`); any other YAML file lists roles of the
    reference ERP (:func:`load_scenario_file`).
    """
    if name_or_path in _builtin():
        return get_scenario(name_or_path)
    path = Path(name_or_path)
    if path.suffix.lower() == ".py":
        from erpcap.scenarios.own_locustfile import load_locustfile_scenario

        return load_locustfile_scenario(path)
    if path.suffix.lower() in (".yaml", ".yml") or path.is_file():
        if _is_declarative(path):
            from erpcap.scenarios.rest import load_rest_scenario

            return load_rest_scenario(path)
        return load_scenario_file(path)
    return get_scenario(name_or_path)  # the error lists the names


def _is_declarative(path: Path) -> bool:
    """True when the YAML file at ``path`` is a declarative scenario (``transactions:``)."""
    doc = load_yaml(path, "scenario")
    return isinstance(doc, dict) and "transactions" in doc


def load_scenario_file(path: str | Path) -> Scenario:
    """A scenario from YAML; errors name the file and line. The form::

    name: customer-x            # optional, default: the file's stem
    description: measured from the access logs of 2026-11
    users:
      - role: order_entry       # a key of ROLES
        weight: 10              # Locust user weight (or fixed_count: N)
        think_s: 12             # optional, default: the role's
        tasks: {create_sales_order: 30, check_availability: 50}
    """
    file = Path(path)
    doc = load_yaml(file, "scenario")
    if not isinstance(doc, dict) or not isinstance(doc.get("users"), list) or not doc["users"]:
        raise BadInput(
            "expected a mapping with a non-empty 'users' list", path=file, line=line_of(doc, 1)
        )
    top = line_of(doc, 1)
    extra = sorted(set(keys(doc)) - {"name", "description", "users"})
    if extra:
        raise BadInput(f"unknown key {extra[0]!r}", path=file, line=top,
                       hint="use name, description and users")  # fmt: skip
    mixes = tuple(_user_mix(entry, file, top) for entry in doc["users"])
    name = str(doc.get("name") or file.stem)
    description = str(doc.get("description") or f"scenario file {file.name}")
    return Scenario(name, description, mixes, source=str(file.resolve()))


def _user_mix(entry: Any, file: Path, default_line: int) -> UserMix:
    line = line_of(entry, default_line)
    if not isinstance(entry, dict):
        raise BadInput(
            "each user entry must be a mapping with role and tasks", path=file, line=line
        )
    extra = sorted(set(keys(entry)) - {"role", "weight", "fixed_count", "think_s", "tasks"})
    if extra:
        raise BadInput(f"unknown key {extra[0]!r} in a user entry", path=file, line=line,
                       hint="use role, weight, fixed_count, think_s and tasks")  # fmt: skip
    role = entry.get("role")
    if not isinstance(role, str) or role not in ROLES:
        raise BadInput(f"unknown role {role!r}", path=file, line=line,
                       hint=f"use one of: {', '.join(ROLES)}")  # fmt: skip
    tasks = entry.get("tasks")
    if not isinstance(tasks, dict) or not keys(tasks):
        raise BadInput("'tasks' must map operationIds to weights", path=file, line=line)
    allowed = ROLES[role].operations
    clean: dict[str, float] = {}
    for op in keys(tasks):
        weight = tasks[op]
        if op not in allowed:
            raise BadInput(f"role {role} cannot do {op!r}", path=file, line=line_of(tasks, line),
                           hint=f"use one of: {', '.join(sorted(allowed))}")  # fmt: skip
        if isinstance(weight, bool) or not isinstance(weight, int | float) or weight <= 0:
            raise BadInput(f"weight of {op} must be a number above 0, got {weight!r}",
                           path=file, line=line_of(tasks, line))  # fmt: skip
        clean[op] = float(weight)
    counts = {k: entry.get(k, d) for k, d in (("weight", 1), ("fixed_count", 0))}
    for key, value in counts.items():
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise BadInput(f"{key} must be a whole number, 0 or more, got {value!r}",
                           path=file, line=line)  # fmt: skip
    think = entry.get("think_s")
    if think is not None and (
        isinstance(think, bool) or not isinstance(think, int | float) or think < 0
    ):
        raise BadInput(f"think_s must be 0 or more seconds, got {think!r}", path=file, line=line)
    if counts["weight"] == 0 and counts["fixed_count"] == 0:
        raise BadInput("a user entry needs weight or fixed_count above 0", path=file, line=line)
    return UserMix(role, MappingProxyType(clean), counts["weight"], counts["fixed_count"],
                   None if think is None else float(think))  # fmt: skip
