"""The collector interface: a sampler that runs in its own thread and writes metrics rows.

A :class:`Collector` samples every ``interval`` seconds and appends long-format rows
(``ts, source, metric, labels, value``; METRICS_SCHEMA) to ``metrics/part-*.parquet``,
flushing every few seconds and at :meth:`Collector.stop`, so a killed run keeps what was
sampled.

Isolation (DESIGN.md): a collector never fails the run. An exception while sampling leaves a
gap: the first failure of a streak writes a ``collector_gap`` event and a warning in
run.json, the recovery writes ``collector_resumed``, and the thread keeps sampling.

Writing a collector: subclass, set ``name``, declare ``OPTIONS`` (option name → parser of
its text, used by ``--collect name:key=value``) and implement :meth:`Collector.sample`;
then declare the class as an entry point of ``erpcap.collectors`` in your package, the way
erpcap declares its own in pyproject.toml (erpcap/plugins.py); :func:`default_registry`
finds it. A registry object can also be built and passed by hand.

The ``--collect`` spec is a collector name, optionally followed by ``:`` and comma-separated
options: ``psutil``, ``psutil:interval=0.5``, ``psutil:interval=2s,per_cpu=true``. Each
collector class declares the options it accepts (``OPTIONS``), so parsing needs no
per-collector code.

>>> parse_collect_spec("psutil:interval=0.5").interval
0.5
>>> parse_collect_spec("sar")
Traceback (most recent call last):
erpcap.errors.BadInput: unknown collector 'sar' (use one of: ...psutil, scrape)
"""

from __future__ import annotations

import json
import logging
import threading
import time
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime
from typing import Any, ClassVar

from erpcap import plugins
from erpcap.errors import BadInput
from erpcap.rundir import PartWriter, RunDir, utcnow

log = logging.getLogger("erpcap.collectors")

#: Seconds between flushes of buffered samples to a part file.
FLUSH_EVERY_S = 5.0


def parse_seconds(text: str) -> float:
    """An interval in seconds: ``0.5``, ``500ms``, ``2s``.

    >>> parse_seconds("0.5"), parse_seconds("250ms"), parse_seconds("2s")
    (0.5, 0.25, 2.0)
    """
    raw = text.strip().lower()
    scale = 1.0
    if raw.endswith("ms"):
        raw, scale = raw[:-2], 0.001
    elif raw.endswith("s"):
        raw = raw[:-1]
    try:
        value = float(raw) * scale
    except ValueError:
        raise BadInput(f"{text!r} is not a number of seconds", hint="e.g. 0.5, 500ms, 2s") from None
    if not value > 0:
        raise BadInput(f"interval must be above 0 seconds, got {text!r}")
    return value


def parse_bool(text: str) -> bool:
    """``true/false``, ``yes/no``, ``on/off``, ``1/0``."""
    value = text.strip().lower()
    if value in ("1", "true", "yes", "on"):
        return True
    if value in ("0", "false", "no", "off"):
        return False
    raise BadInput(f"{text!r} is not a yes/no value", hint="use true or false")


def labels_json(labels: Mapping[str, Any] | None = None) -> str:
    """The labels column: compact JSON with sorted keys, ``"{}"`` for none.

    >>> labels_json({"role": "erp", "pid": 12})
    '{"pid":12,"role":"erp"}'
    """
    return json.dumps(dict(labels or {}), sort_keys=True, separators=(",", ":"))


def metric_row(
    ts: datetime,
    source: str,
    metric: str,
    value: float | None,
    labels: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """One METRICS_SCHEMA row."""
    return {
        "ts": ts,
        "source": source,
        "metric": metric,
        "labels": labels_json(labels),
        "value": None if value is None else float(value),
    }


#: Options every collector takes, whatever its own ``OPTIONS`` (its constructor has them).
COMMON_OPTIONS: Mapping[str, Any] = {"interval": parse_seconds}


class Collector(ABC):
    """A sampler with its own thread. Subclasses implement :meth:`sample`."""

    #: The name used in ``--collect`` specs and in events.
    name: ClassVar[str] = ""
    #: Option name → parser of its text; ``interval`` is common to all collectors.
    OPTIONS: ClassVar[Mapping[str, Callable[[str], Any]]] = {"interval": parse_seconds}

    def __init__(self, *, interval: float = 1.0, flush_every_s: float = FLUSH_EVERY_S) -> None:
        if not interval > 0:
            raise BadInput(f"{self.name}: interval must be above 0 seconds, got {interval}")
        self.interval = float(interval)
        self.flush_every_s = flush_every_s
        self._run: RunDir | None = None
        self._writer: PartWriter | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._failing = False
        self.samples = 0  # successful sample() calls
        self.failures = 0  # failed sample() calls

    def __repr__(self) -> str:
        return f"{type(self).__name__}(interval={self.interval})"

    # -- what subclasses implement ----------------------------------------------------------

    def watch(self, role: str, pid: int) -> None:  # noqa: B027 - optional hook
        """Also sample the process tree of ``pid`` under ``role`` (collectors of processes
        override this; the others have nothing to watch)."""

    def setup(self) -> None:  # noqa: B027 - optional hook
        """Called once in the collector's thread before the first sample."""

    @abstractmethod
    def sample(self, now: datetime) -> Iterable[Mapping[str, Any]]:
        """The rows of one sample taken at ``now`` (UTC). May raise: that leaves a gap."""

    def teardown(self) -> None:  # noqa: B027 - optional hook
        """Called once in the collector's thread after the last sample."""

    # -- lifecycle --------------------------------------------------------------------------

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def start(self, run: RunDir) -> None:
        """Start sampling into ``run`` in a daemon thread (returns at once)."""
        if self._thread is not None:
            raise RuntimeError(f"collector {self.name} already started")
        self._run = run
        self._writer = run.part_writer("metrics")
        self._thread = threading.Thread(
            target=self._main, name=f"erpcap-collector-{self.name}", daemon=True
        )
        self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        """Stop sampling, wait for the thread (up to ``timeout`` s) and flush what is left."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)
        self._flush()

    def _main(self) -> None:
        run = self._run
        assert run is not None
        try:
            self.setup()
        except Exception as exc:
            self._gap(exc)
        next_at = time.monotonic()
        last_flush = next_at
        while not self._stop.is_set():
            self._sample_once()
            now = time.monotonic()
            if now - last_flush >= self.flush_every_s:
                self._flush()
                last_flush = now
            next_at += self.interval
            if next_at < now:  # fell behind (a slow sample): skip, do not burst
                next_at = now + self.interval
            self._stop.wait(max(0.0, next_at - now))
        try:
            self.teardown()
        except Exception:
            log.exception("collector %s: teardown failed", self.name)
        self._flush()

    def _sample_once(self) -> None:
        try:
            rows = list(self.sample(utcnow()))
        except Exception as exc:
            self.failures += 1
            self._gap(exc)
            return
        self.samples += 1
        if self._writer is not None and rows:
            self._writer.extend(rows)
        if self._failing:
            self._failing = False
            self._event("collector_resumed", collector=self.name)

    def _gap(self, exc: BaseException) -> None:
        if self._failing:
            return
        self._failing = True
        text = f"{type(exc).__name__}: {exc}"
        log.warning("collector %s failed: %s", self.name, text)
        self._event("collector_gap", collector=self.name, error=text)
        if self._run is not None:
            try:
                self._run.add_warning(
                    f"collector {self.name} failed ({text}); its metrics have gaps"
                )
            except Exception:
                log.exception("collector %s: could not record a warning", self.name)

    def _event(self, kind: str, **fields: Any) -> None:
        if self._run is None:
            return
        try:
            self._run.event(kind, **fields)
        except Exception:
            log.exception("collector %s: could not write a %s event", self.name, kind)

    def _flush(self) -> None:
        if self._writer is None:
            return
        try:
            self._writer.flush()
        except Exception as exc:
            self._gap(exc)


# -- the registry and the spec parser -------------------------------------------------------


class Registry:
    """Collector classes (or factories) by name."""

    def __init__(self) -> None:
        self._entries: dict[str, type[Collector]] = {}

    def register(self, cls: type[Collector], *, name: str | None = None) -> type[Collector]:
        """Add ``cls`` under ``name`` (default ``cls.name``); usable as a decorator."""
        key = name or cls.name
        if not key:
            raise ValueError(f"{cls.__name__} has no name")
        if key in self._entries:
            raise ValueError(f"collector {key!r} is already registered")
        self._entries[key] = cls
        return cls

    def names(self) -> list[str]:
        return sorted(self._entries)

    def get(self, name: str) -> type[Collector]:
        try:
            return self._entries[name]
        except KeyError:
            raise BadInput(
                f"unknown collector {name!r}", hint=f"use one of: {', '.join(self.names())}"
            ) from None

    def create(self, spec: str) -> Collector:
        """A configured collector from a spec like ``psutil:interval=0.5``."""
        name, _, rest = spec.strip().partition(":")
        options: dict[str, Any] = {}
        if "=" in name:  # NAME=VALUE: the collector's primary option (scrape=URL)
            head, _, value = spec.strip().partition("=")
            name, rest = head, ""
            cls = self.get(name.strip())
            primary = getattr(cls, "PRIMARY", None)
            if primary is None:
                raise BadInput(
                    f"collector {name} takes no NAME=VALUE shorthand",
                    hint=f"use {name}:KEY=VALUE",
                )
            try:  # the whole value, commas included (a URL's query may have them)
                options[primary] = {**COMMON_OPTIONS, **cls.OPTIONS}[primary](value)
            except BadInput as exc:
                raise BadInput(
                    f"collector {name}, option {primary}: {exc.message}", hint=exc.hint
                ) from exc
        cls = self.get(name.strip())
        accepted = {**COMMON_OPTIONS, **cls.OPTIONS}
        for part in filter(None, (p.strip() for p in rest.split(","))):
            key, eq, text = part.partition("=")
            key = key.strip()
            parser = accepted.get(key)
            if parser is None or not eq:
                known = ", ".join(sorted(accepted))
                what = (
                    f"unknown option {key!r}" if parser is None else f"option {key!r} needs a value"
                )
                raise BadInput(
                    f"collector {name}: {what}",
                    hint=f"use {name}:KEY=VALUE with KEY one of: {known}",
                )
            try:
                options[key] = parser(text)
            except BadInput as exc:
                raise BadInput(
                    f"collector {name}, option {key}: {exc.message}", hint=exc.hint
                ) from exc
        return cls(**options)


def default_registry() -> Registry:
    """A registry holding every collector of the ``erpcap.collectors`` entry points: erpcap's
    own (psutil) and any installed plug-in's, registered the same way (erpcap/plugins.py)."""
    registry = Registry()
    for name, cls in plugins.load("collectors"):
        if not (isinstance(cls, type) and issubclass(cls, Collector)):
            raise plugins.PluginError(
                f"the collectors plug-in {name!r} is not a Collector subclass",
                hint="point the entry point at a subclass of erpcap.collectors.Collector",
            )
        registry.register(cls)
    return registry


def parse_collect_spec(spec: str, registry: Registry | None = None) -> Collector:
    """The collector a ``--collect`` spec asks for (from :func:`default_registry` by default)."""
    return (registry or default_registry()).create(spec)
