"""What ``erpcap whatif`` runs: the plan (scale, ladder, target, levers) and the
configurations it makes of it — legacy, each lever alone, all of them together — with the
parsing of ``--levers`` and ``--steps`` (one-line errors, exit 2)."""

from __future__ import annotations

from dataclasses import dataclass, field

from erpcap.errors import BadInput
from erpcap.findings import phrase
from erpcap.whatif_capacity import LEVER_CATEGORIES

#: The lever that needs a second database; left out unless one is given.
REPLICA = "replica"


@dataclass(frozen=True)
class WhatifPlan:
    """The data scale, the ladder, the target and the levers to try."""

    scale: float = 0.3
    steps: tuple[int, ...] = (5, 10, 20, 40)
    step_seconds: float = 20.0
    slo_p95_ms: float = 500.0
    levers: tuple[str, ...] = tuple(LEVER_CATEGORIES)
    #: Think times scaled down so that a handful of users makes real load (as the demo).
    think_scale: float = 0.02
    replica_db: str | None = None
    keep: bool = False
    #: Also run all the levers together (when more than one is tried).
    all_levers: bool = True


#: ``--quick``: less data and a short ladder.
QUICK = WhatifPlan(scale=0.05, steps=(3, 6, 12), step_seconds=8.0, think_scale=0.03)


@dataclass(frozen=True)
class Configuration:
    """One ERP configuration: its name, its ``NAME=on`` overrides of legacy, and the single
    lever it tries (None for legacy and for all levers together)."""

    name: str
    overrides: tuple[str, ...] = ()
    lever: str | None = None


@dataclass
class Skipped:
    """A lever left out, and why (words in every language)."""

    lever: str
    why: dict[str, str] = field(default_factory=dict)


def parse_levers(text: str) -> tuple[str, ...]:
    """``indexes,cache`` → the lever names, checked; :class:`BadInput` on an unknown one.

    >>> parse_levers("indexes, cache")
    ('indexes', 'cache')
    """
    names = tuple(dict.fromkeys(n.strip().lower() for n in text.split(",") if n.strip()))
    unknown = [n for n in names if n not in LEVER_CATEGORIES]
    if unknown or not names:
        raise BadInput(
            f"--levers {text!r}: unknown lever {unknown[0]!r}" if unknown else "--levers is empty",
            hint=f"use a comma-separated list of: {', '.join(LEVER_CATEGORIES)}",
        )
    return names


def parse_steps(text: str) -> tuple[int, ...]:
    """``5,10,20`` → the ladder's users, rising; :class:`BadInput` otherwise.

    >>> parse_steps("5, 10,20")
    (5, 10, 20)
    """
    try:
        users = tuple(int(u) for u in text.split(",") if u.strip())
    except ValueError:
        raise BadInput(
            f"--steps {text!r} is not a list of whole numbers", hint="for example --steps 5,10,20"
        ) from None
    if len(users) < 2 or any(u < 1 for u in users) or list(users) != sorted(set(users)):
        raise BadInput(
            f"--steps {text!r}: expected at least two rising user counts above 0",
            hint="for example --steps 5,10,20,40",
        )
    return users


def configurations(plan: WhatifPlan) -> tuple[list[Configuration], list[Skipped]]:
    """legacy, each lever alone, then all of them (when more than one); the skipped levers."""
    skipped: list[Skipped] = []
    levers: list[str] = []
    for name in plan.levers:
        if name == REPLICA and not plan.replica_db:
            skipped.append(
                Skipped(
                    name,
                    phrase(
                        en="no replica database given (--replica-db): the replica lever was not run",
                        zh_CN="未提供副本数据库（--replica-db），未运行 replica 开关",
                    ),
                )
            )
            continue
        levers.append(name)
    configs = [Configuration("legacy")]
    configs += [Configuration(name, (f"{name}=on",), name) for name in levers]
    if plan.all_levers and len(levers) > 1:
        configs.append(Configuration("all", tuple(f"{name}=on" for name in levers)))
    return configs, skipped
