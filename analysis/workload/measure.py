"""One pass over the logs: hits → excluded or routed → mix, arrivals, sessions → the model.

Several files (rotated logs, one per server) are merged by time as they are read; a small
reorder buffer (:data:`REORDER_S`) puts lines that were logged a little out of order (at
the end of a request rather than its start) back in time order before sessions see them.
"""

from __future__ import annotations

import heapq
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from erpcap.analysis.workload.mix import Mix
from erpcap.analysis.workload.profile import Arrivals, distribution, empirical, peak_hours
from erpcap.analysis.workload.reading import Hit, ReadStats, detect, local_time, read_hits
from erpcap.analysis.workload.routes import excluded_path, normalise, normalise_path, path_of
from erpcap.analysis.workload.sessions import Sessions
from erpcap.errors import BadInput

#: Seconds a line may be logged out of time order and still be put back in order.
REORDER_S = 30.0
#: Above this share of requests out of time order, the sessions are flagged unreliable.
LATE_SHARE = 0.01
#: The version of model.json's structure (major.minor; a reader refuses a newer major).
MODEL_VERSION = "1.0"


@dataclass(frozen=True)
class Options:
    """How to read and fold the logs."""

    format: str = "auto"
    session_timeout_s: float = 1800.0
    top: int = 20
    keep_static: bool = False
    feeder_rows: int = 1000
    think_points: int = 100


@dataclass
class Model:
    """What was measured: ``doc`` (model.json) and the id tuples per route (feeders)."""

    doc: dict[str, Any]
    feeders: dict[str, list[tuple[str, ...]]] = field(default_factory=dict)
    think: list[float] = field(default_factory=list)


def _in_order(hits: Iterable[Hit], window_s: float) -> Iterator[Hit]:
    """``hits`` in time order, given that none is more than ``window_s`` late."""
    buffer: list[tuple[float, int, Hit]] = []
    newest = float("-inf")
    for seq, hit in enumerate(hits):
        heapq.heappush(buffer, (hit.ts, seq, hit))
        newest = max(newest, hit.ts)
        while buffer and buffer[0][0] < newest - window_s:
            yield heapq.heappop(buffer)[2]
    while buffer:
        yield heapq.heappop(buffer)[2]


def measure(
    paths: Sequence[Path],
    options: Options,
    progress: Callable[[Path, int, int, int], None] | None = None,
) -> Model:
    """Read ``paths`` and measure the workload; BadInput when a file has no parsable line."""
    stats = ReadStats(files=[str(p) for p in paths])
    refused: list[BadInput] = []
    for path in paths:
        try:
            stats.formats[str(path)] = detect(path, options.format)
        except BadInput as exc:
            refused.append(exc)
    if len(refused) == 1:
        raise refused[0]
    if refused:
        raise BadInput(
            f"{len(refused)} of {len(paths)} files cannot be read: "
            + "; ".join(f"{exc.path}: {exc.message}" for exc in refused),
            hint=refused[0].hint,
        )
    streams = [read_hits(p, stats.formats[str(p)], stats, progress) for p in paths]
    merged = heapq.merge(*streams, key=lambda h: h.ts)
    mix, arrivals = Mix(), Arrivals()
    sessions = Sessions(options.session_timeout_s)
    skipped: dict[str, int] = {"static": 0, "health": 0}
    for hit in _in_order(merged, REORDER_S):
        if hit.method:
            cut = path_of(hit.target)
            kind = None if options.keep_static else excluded_path(cut)
            if kind is not None:
                skipped[kind] += 1
                continue
            route, ids = normalise_path(hit.method, cut)
        else:
            route, ids = normalise(hit.method, hit.target)
        mix.add(route, ids, hit.status)
        arrivals.add(hit.ts, hit.offset)
        sessions.add(hit.user, hit.ts)
    sessions.finish()
    return _model(stats, skipped, mix, arrivals, sessions, options)


def _model(
    stats: ReadStats,
    skipped: dict[str, int],
    mix: Mix,
    arrivals: Arrivals,
    sessions: Sessions,
    options: Options,
) -> Model:
    if sessions.late > LATE_SHARE * max(arrivals.count, 1):
        stats.warnings.append(
            f"{sessions.late:,} requests came more than {REORDER_S:g} s after later ones of "
            "the same user: sessions and think times are unreliable (sort the input by time)"
        )
    inputs = {
        "files": stats.files,
        "formats": stats.formats,
        "lines": stats.lines,
        "parsed": stats.hits,
        "unparsable": stats.bad,
        "unparsable_examples": stats.examples,
        "excluded": skipped,
        "late_lines": sessions.late,
        "warnings": stats.warnings,
    }
    doc: dict[str, Any] = {"kind": "erpcap.workload-model", "version": MODEL_VERSION}
    doc["inputs"] = inputs
    if arrivals.count == 0:
        raise BadInput(
            f"all {stats.hits:,} requests were static assets or health checks",
            path=stats.files[0] if len(stats.files) == 1 else None,
            hint="give the application's access log, or --keep-static to count them",
        )
    offset = arrivals.offset
    sign = "-" if offset < 0 else "+"
    doc["span"] = {
        "first": local_time(arrivals.first, offset),
        "last": local_time(arrivals.last, offset),
        "days": arrivals.days(),
        "utc_offset": f"{sign}{abs(offset) // 3600:02d}:{abs(offset) % 3600 // 60:02d}",
    }
    doc["requests"] = arrivals.count
    table = mix.table(options.top)
    doc["routes"] = table
    doc["distinct_routes"] = len(mix.requests)
    seconds = max(arrivals.last - arrivals.first, 1.0)
    doc["arrivals"] = {
        "peak_minute": arrivals.peak_minute(),
        "peak_hour": arrivals.peak_hour(),
        "busiest_60_minutes": arrivals.busiest_60_minutes(),
        "mean_rate_per_s": arrivals.count / seconds,
    }
    concurrency = sessions.concurrency()
    doc["sessions"] = {
        "timeout_s": options.session_timeout_s,
        "count": sessions.count,
        "requests_per_session": distribution(
            np.repeat(
                list(sessions.requests_per_session),
                list(sessions.requests_per_session.values()),
            )
        ),
        "concurrency": {
            "peak": int(concurrency["peak"]),
            "peak_minute": local_time(concurrency["peak_minute"] * 60.0, offset),
            "p95": concurrency["p95"],
            "p50": concurrency["p50"],
        },
    }
    gaps = np.frombuffer(sessions.gaps, dtype=float) if sessions.gaps else np.zeros(0)
    mean = sessions.gap_sum / sessions.gap_count if sessions.gap_count else None
    think = distribution(gaps, mean=mean)
    think["count"] = sessions.gap_count
    doc["think_time_s"] = think
    profile = arrivals.day_profile()
    doc["day_profile"] = {
        "requests_per_hour": [round(v, 3) for v in profile],
        "peak_hours": peak_hours(profile),
    }
    doc["status"] = _statuses(mix.statuses, arrivals.count)
    feeders = {
        row["route"]: mix.ids(row["route"], options.feeder_rows)
        for row in table
        if row["route"] != "other" and row.get("distinct_ids")
    }
    return Model(doc, feeders, empirical(gaps, options.think_points))


def _statuses(counts: dict[int, int], total: int) -> dict[str, Any]:
    """Answers by status code and class, and the error shares (4xx, 5xx)."""
    classes: dict[str, int] = {}
    for code, n in counts.items():
        name = f"{code // 100}xx" if code else "unknown"
        classes[name] = classes.get(name, 0) + n
    known = total - classes.get("unknown", 0)
    return {
        "counts": {str(c): counts[c] for c in sorted(counts)},
        "classes": {k: classes[k] / total for k in sorted(classes)},
        "client_error_share": classes.get("4xx", 0) / known if known else None,
        "server_error_share": classes.get("5xx", 0) / known if known else None,
    }
