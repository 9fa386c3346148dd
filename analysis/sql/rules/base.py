"""What an SQL anti-pattern rule sees and returns.

A rule is a function ``rule(stmt: Statement) -> Iterable[Hit]``, declared as an entry point of
the ``erpcap.sql_rules`` group. It looks at one statement — its parsed :class:`Facts`, its
sample and its figures from the ranking — and returns a :class:`Hit` per problem it sees: the
:class:`~erpcap.findings.FindingKind` to report, the worst severity the problem deserves, and
the values its templates name. The analysis (analysis/sql/antipatterns.py) adds the
statement's evidence (``{statement}``, ``{calls}``, ``{share}``, ``{total}``) and weighs the
severity by the statement's share of database time (:func:`weigh`): the same shape costs
little on a statement that runs for 0.01 % of the time.

>>> weigh("critical", 0.2), weigh("critical", 0.02), weigh("warning", 0.0001)
('critical', 'warning', 'info')
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field

from erpcap.analysis.sql.facts import Facts
from erpcap.findings import FindingKind, Quantity

#: Share of all statement time from which a hit keeps its full severity (5 %) ...
FULL_SHARE = 0.05
#: ... and below which it is only information (1 %); between, at most a warning.
INFO_SHARE = 0.01


@dataclass(frozen=True)
class Statement:
    """One ranked statement, as a rule sees it (times in milliseconds)."""

    fingerprint: str
    fingerprint_id: str
    #: One execution with its real values when a log had it, else the normalised text.
    sample: str
    facts: Facts
    calls: int
    total_ms: float
    #: Of all statement time, 0..1 (NaN when unknown).
    share: float
    #: Rows returned or affected in all calls (NaN when the source lacks it).
    rows: float

    @property
    def rows_per_call(self) -> float:
        """Rows per call, NaN when unknown."""
        return self.rows / self.calls if self.calls else math.nan


@dataclass(frozen=True)
class Hit:
    """One problem a rule saw in a statement."""

    kind: FindingKind
    #: The severity when the statement matters (a large share of database time).
    severity: str
    #: The values the kind's templates name, besides the statement's own.
    values: Mapping[str, Quantity] = field(default_factory=dict)


#: A rule: one statement in, its hits out.
SqlRule = Callable[[Statement], Iterable[Hit]]


def weigh(severity: str, share: float) -> str:
    """``severity`` weighed by the statement's share of database time (see the module doc);
    an unknown share (NaN) caps it at a warning."""
    if math.isnan(share):
        return "info" if severity == "info" else "warning"
    if share >= FULL_SHARE:
        return severity
    if share >= INFO_SHARE:
        return "info" if severity == "info" else "warning"
    return "info"
