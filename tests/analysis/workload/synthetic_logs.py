"""Access logs with a known workload, for ``erpcap model``'s tests.

The traffic is made of *slots*: a slot is a stream of requests whose gaps are exponential
with mean ``THINK_S`` (a Poisson process), cut into sessions of ``PER_SESSION`` requests,
each session a new user. The superposition of independent Poisson streams is Poisson, so
``n`` active slots send a Poisson stream at ``n / THINK_S`` requests per second, and every
gap inside a session is exponential with mean ``THINK_S`` (a session started before a slot
ends finishes its requests). On top, ``BURST`` one-request users arrive uniformly in one
minute (a Poisson stream conditioned on its count). Each request picks its route with the
probabilities ``MIX``. Static assets, health checks, error answers and garbage lines are
added; every count the tests check exactly is returned in :class:`Truth`.
"""

from __future__ import annotations

import gzip
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np

THINK_S = 20.0
PER_SESSION = 10
#: route template -> share of requests
MIX = {"GET /orders/{id}": 0.5, "POST /orders/{id}/lines": 0.3, "GET /items/{id}/stock": 0.2}
OFFSET = timedelta(hours=1)  # the logs' UTC offset, +0100
DAYS = (datetime(2026, 11, 2), datetime(2026, 11, 3))  # local midnights
BASE_SLOTS = 10  # 08:00-18:00 both days
BUSY_SLOTS = (40, 90)  # extra slots 10:00-11:00, day 1 and day 2
BURST = 2400  # one-request users in day 2's 10:30 minute
STATIC_P = 0.1  # a request followed by a static asset
GARBAGE = (
    "garbage",
    '10.0.0.1 - - [02/Nov/2026:10:00:00 +0100] "GET /orders/1 HTTP/1.1',
    '10.9.9.9 - - [02/Nov/2026:11:00:00 +0100] "\\x16\\x03\\x01\\x00\\xa5" 400 150 "-" "-"',
    '10.0.0.1 - - [31/Foo/2026:10:00:00 +0100] "GET /orders/1 HTTP/1.1" 200 1 "-" "-"',
)


@dataclass
class Truth:
    requests: int = 0
    by_route: dict[str, int] = field(default_factory=dict)
    static: int = 0
    health: int = 0
    garbage: int = 0
    server_errors: int = 0
    sessions: list[tuple[float, float]] = field(default_factory=list)  # first, last (epoch)
    gaps: list[float] = field(default_factory=list)  # as the log shows them (whole seconds)


def _stamp(ts: float) -> str:
    local = datetime.fromtimestamp(int(ts), UTC) + OFFSET
    return local.strftime("%d/%b/%Y:%H:%M:%S +0100")


def _epoch(local: datetime) -> float:
    return (local - OFFSET).replace(tzinfo=UTC).timestamp()


class _Writer:
    def __init__(self, rng: np.random.Generator, truth: Truth) -> None:
        self.rng = rng
        self.truth = truth
        self.lines: list[tuple[float, str]] = []  # (write order key, line)
        self.users = 0
        self.routes = list(MIX)
        self.p = np.array(list(MIX.values()))

    def _path(self, route: str) -> str:
        if route.startswith("GET /items"):
            return f"/items/{uuid.UUID(int=int(self.rng.integers(1, 400)))}/stock?warehouse=main"
        n = int(self.rng.integers(1, 5000))
        return route.split(" ", 1)[1].replace("{id}", str(n))

    def session(self, times: np.ndarray) -> None:
        self.users += 1
        n = self.users
        who = (
            f"10.{n // 65536 % 256}.{n // 256 % 256}.{n % 256} - u{n}"
            if n % 2
            else f"10.{n // 65536 % 256}.{n // 256 % 256}.{n % 256} - -"
        )
        agent = f"Mozilla/5.0 (session {n % 7})"
        for ts in times:
            route = self.routes[int(self.rng.choice(len(self.routes), p=self.p))]
            status = 200
            if route.startswith("POST") and self.rng.random() < 0.05:
                status = 500
                self.truth.server_errors += 1
            self.truth.by_route[route] = self.truth.by_route.get(route, 0) + 1
            self.truth.requests += 1
            method, _ = route.split(" ", 1)
            line = (
                f'{who} [{_stamp(ts)}] "{method} {self._path(route)} HTTP/1.1" {status} 512 '
                f'"-" "{agent}"'
            )
            # 1 % of lines are written up to 3 s late (logged at the end of the request)
            late = float(self.rng.uniform(0, 3)) if self.rng.random() < 0.01 else 0.0
            self.lines.append((ts + late, line))
            if self.rng.random() < STATIC_P:
                asset = "/static/app.js?v=3" if self.rng.random() < 0.5 else "/favicon.ico"
                self.lines.append(
                    (ts + 0.5, f'{who} [{_stamp(ts + 0.5)}] "GET {asset} HTTP/1.1" 200 9 "-" "x"')
                )
                self.truth.static += 1
        whole = np.floor(times)
        self.truth.sessions.append((float(whole[0]), float(whole[-1])))
        self.truth.gaps.extend(np.diff(whole).tolist())

    def slot(self, start: float, end: float) -> None:
        """A Poisson stream from ``start``; no new session after ``end``."""
        t = start + self.rng.exponential(THINK_S)
        while t < end:
            gaps = self.rng.exponential(THINK_S, PER_SESSION - 1)
            times = t + np.concatenate([[0.0], np.cumsum(gaps)])
            self.session(times)
            t = times[-1] + self.rng.exponential(THINK_S)

    def burst(self, start: float) -> None:
        for ts in np.sort(self.rng.uniform(start, start + 60, BURST)):
            self.session(np.array([ts]))

    def health(self, day: datetime) -> None:
        for k in range(0, 86_400, 30):
            ts = _epoch(day) + k
            self.lines.append(
                (ts, f'10.255.0.1 - - [{_stamp(ts)}] "GET /healthz HTTP/1.1" 200 2 "-" "lb"')
            )
            self.truth.health += 1

    def write(self, path: Path, *, compress: bool) -> None:
        body = "\n".join(line for _, line in sorted(self.lines, key=lambda x: x[0])) + "\n"
        if compress:
            path.write_bytes(gzip.compress(body.encode()))
        else:
            path.write_text(body, encoding="utf-8")
        self.lines = []


def write_logs(folder: Path, seed: int = 11) -> tuple[list[Path], Truth]:
    """Day 1 as ``access.log``, day 2 as ``access.log.2.gz`` (with garbage in day 1)."""
    rng = np.random.default_rng(seed)
    truth = Truth()
    writer = _Writer(rng, truth)
    paths = []
    for index, day in enumerate(DAYS):
        for _ in range(BASE_SLOTS):
            writer.slot(_epoch(day + timedelta(hours=8)), _epoch(day + timedelta(hours=18)))
        for _ in range(BUSY_SLOTS[index]):
            writer.slot(_epoch(day + timedelta(hours=10)), _epoch(day + timedelta(hours=11)))
        if index == 1:
            writer.burst(_epoch(day + timedelta(hours=10, minutes=30)))
        writer.health(day)
        if index == 0:
            for k, line in enumerate(GARBAGE):
                writer.lines.append((_epoch(day + timedelta(hours=9, minutes=k)), line))
                truth.garbage += 1
        path = folder / ("access.log" if index == 0 else "access.log.2.gz")
        writer.write(path, compress=index == 1)
        paths.append(path)
    return paths, truth


def concurrency_peak(sessions: list[tuple[float, float]]) -> int:
    """The most sessions active in one clock minute (first to last request, inclusive)."""
    first = np.array([s[0] for s in sessions]) // 60
    last = np.array([s[1] for s in sessions]) // 60
    lo = int(first.min())
    delta = np.zeros(int(last.max()) - lo + 2, dtype=np.int64)
    np.add.at(delta, (first - lo).astype(int), 1)
    np.add.at(delta, (last - lo + 1).astype(int), -1)
    return int(np.cumsum(delta).max())
