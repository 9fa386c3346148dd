"""The ``--collect`` spec parser and the registry."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any, ClassVar

import pytest

from erpcap.collectors import Collector, Registry, default_registry, parse_collect_spec
from erpcap.collectors.base import parse_seconds
from erpcap.collectors.psutil_host import PsutilCollector
from erpcap.errors import BadInput


def test_psutil_specs() -> None:
    plain = parse_collect_spec("psutil")
    assert isinstance(plain, PsutilCollector) and plain.interval == 1.0
    tuned = parse_collect_spec("psutil:interval=500ms, per_cpu=yes,per_pid=true")
    assert isinstance(tuned, PsutilCollector)
    assert (tuned.interval, tuned.per_cpu, tuned.per_pid) == (0.5, True, True)


@pytest.mark.parametrize(
    ("spec", "message"),
    [("sar", "unknown collector 'sar' (use one of: "),
     ("psutil:rate=2", "unknown option 'rate'"), ("psutil:interval", "needs a value"),
     ("psutil:interval=fast", "'fast' is not a number of seconds"),
     ("psutil:interval=0", "above 0"), ("psutil:per_cpu=maybe", "yes/no")],
)  # fmt: skip
def test_bad_specs(spec: str, message: str) -> None:
    with pytest.raises(BadInput) as caught:
        parse_collect_spec(spec)
    assert message in caught.value.one_line()


class _Fixed(Collector):
    name: ClassVar[str] = "fixed"
    OPTIONS: ClassVar[Mapping[str, Any]] = {"interval": parse_seconds, "label": str}

    def __init__(self, *, interval: float = 1.0, label: str = "x") -> None:
        super().__init__(interval=interval)
        self.label = label

    def sample(self, now: datetime) -> Iterable[Mapping[str, Any]]:
        return []


def test_a_new_collector_registers_like_the_builtins() -> None:
    registry = default_registry()
    registry.register(_Fixed)
    assert {"fixed", "mysql", "postgres", "prometheus", "psutil", "scrape"} <= set(registry.names())
    assert registry.names() == sorted(registry.names())
    made = parse_collect_spec("fixed:label=db1,interval=2", registry)
    assert isinstance(made, _Fixed) and (made.label, made.interval) == ("db1", 2.0)
    with pytest.raises(ValueError, match="already registered"):
        registry.register(_Fixed)
    assert Registry().names() == []
