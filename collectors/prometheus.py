"""``prometheus``: range queries to a Prometheus server over the run's window.

``--collect prometheus=http://127.0.0.1:9090`` (shorthand for ``prometheus:url=…``) asks
Prometheus, when the run ends, for every query of the default packs (node_exporter,
postgres_exporter, mysqld_exporter; prometheus_queries.py) and of ``queries=FILE``, as range
queries from the collector's start to its stop at one point per ``step`` seconds. Each
result series becomes rows of metrics.parquet with source ``prometheus``, the query's name
as metric and the series' labels (``instance`` included, so hosts show side by side).
Timestamps are the evaluation times of the range query, on the run's clock; NaN and
infinite values are skipped; a query that returns nothing is skipped (one event lists them).

With ``live=true`` the collector also queries, every :data:`LIVE_EVERY_S` seconds (or every
``interval`` when that is longer), the points since its last query (up to the scrape
interval before now, so a scrape still being written is not missed) at the ``step``
resolution, so that a Prometheus killed mid-run still leaves the points before it; the query
at the end adds only the points after them. A Prometheus that does not answer is a gap with
a warning that says where and what to check; a query the server rejects (bad PromQL) is a
warning naming the query and the server's message, and is not sent again.
"""

from __future__ import annotations

import ast
import json
import math
import re
import time
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any, ClassVar
from urllib.parse import urlsplit

import httpx
from prometheus_api_client import PrometheusConnect
from prometheus_api_client.exceptions import PrometheusApiClientException
from urllib3.util.retry import Retry

from erpcap.collectors.base import Collector, metric_row, parse_bool, parse_seconds
from erpcap.collectors.prometheus_queries import PACKS, Query, load_queries, parse_packs
from erpcap.errors import BadInput
from erpcap.redact import redact_url
from erpcap.rundir import RunDir

SOURCE = "prometheus"

#: Seconds one request to Prometheus may take.
TIMEOUT_S = 10
#: Seconds the queries at the end of the run may take in all (then the rest is left out).
END_BUDGET_S = 30.0
#: Points per series in one range query (Prometheus refuses more than 11,000).
MAX_POINTS = 10_000
#: Seconds between two looks at Prometheus during the run (a health check, and with
#: ``live=true`` the points since the last look): its points wait in Prometheus meanwhile, so
#: asking each second would only multiply the queries.
LIVE_EVERY_S = 10.0

#: The scrape interval assumed when Prometheus does not show its configuration, seconds.
DEFAULT_SCRAPE_S = 15.0

_DURATION = re.compile(r"(\d+(?:\.\d+)?)(ms|s|m|h|d|w|y)")
_UNIT_S = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800, "y": 31536000}


class PrometheusUnavailable(Exception):
    """Prometheus does not answer, or not as Prometheus; the message says what to check."""


def _url(text: str) -> str:
    parts = urlsplit(text.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise BadInput(
            f"{redact_url(text)!r} is not an http(s) URL", hint="e.g. http://127.0.0.1:9090"
        )
    if parts.path.rstrip("/").endswith("/metrics"):
        raise BadInput(
            f"{redact_url(text)!r} is an exporter's /metrics, not Prometheus's base URL",
            hint="give Prometheus's URL (http://HOST:9090), or read an endpoint with scrape=URL",
        )
    return text.strip().rstrip("/")


def _step(text: str) -> int:
    """Whole seconds, at least 1 (range queries run on a grid of whole seconds)."""
    return max(1, round(parse_seconds(text)))


def parse_duration(text: str) -> float:
    """A Prometheus duration in seconds.

    >>> parse_duration("15s"), parse_duration("1m30s"), parse_duration("500ms")
    (15.0, 90.0, 0.5)
    """
    return float(sum(float(n) * _UNIT_S[unit] for n, unit in _DURATION.findall(text)))


def _reason(exc: BaseException) -> str:
    """A short reason for a connection error of requests (whose text is a paragraph)."""
    text = str(exc).lower()
    for needle, reason in (
        ("refused", "connection refused"),
        ("timed out", "timed out"),
        ("read timeout", "timed out"),
        ("name or service not known", "host not found"),
        ("failed to resolve", "host not found"),
        ("ssl", "TLS error"),
    ):
        if needle in text:
            return reason
    return type(exc).__name__


def _server_error(exc: PrometheusApiClientException) -> tuple[int, str]:
    """The HTTP status and Prometheus's own message of a rejected request (the client puts
    the response body's bytes in its exception's text).

    >>> body = b'{"status":"error","error":"1:6: parse error"}'
    >>> _server_error(PrometheusApiClientException(f"HTTP Status Code 400 ({body!r})"))
    (400, '1:6: parse error')
    """
    text = str(exc)
    match = re.match(r"HTTP Status Code (\d+) \((b['\"].*['\"])\)$", text, re.S)
    if not match:
        return 0, text
    try:
        body = ast.literal_eval(match[2]).decode("utf-8", "replace")
    except (ValueError, SyntaxError, AttributeError):
        return int(match[1]), text
    try:
        message = str(json.loads(body)["error"])
    except (ValueError, KeyError, TypeError):
        message = body  # not the API's JSON: a proxy's or another server's page
    return int(match[1]), " ".join(message.split())[:300]


class PrometheusCollector(Collector):
    """Range queries to one Prometheus server."""

    name: ClassVar[str] = "prometheus"
    PRIMARY: ClassVar[str] = "url"
    OPTIONS: ClassVar[Mapping[str, Any]] = {
        "url": _url,
        "interval": parse_seconds,
        "queries": load_queries,
        "live": parse_bool,
        "step": _step,
        "pack": parse_packs,
    }

    def __init__(
        self,
        *,
        url: str = "",
        interval: float = 5.0,
        queries: Sequence[Query] = (),
        live: bool = False,
        step: int | None = None,
        pack: Sequence[str] | None = None,
    ) -> None:
        super().__init__(interval=interval)
        if not url:
            raise BadInput(
                "collector prometheus needs a URL",
                hint="write --collect prometheus=http://HOST:9090",
            )
        self.url = _url(url)
        self.shown = redact_url(self.url)
        self.live = live
        self.step = step if step is not None else max(1, round(interval))
        by_name = {q.name: q for p in (PACKS if pack is None else pack) for q in PACKS[p]}
        by_name.update((q.name, q) for q in queries)  # the user's replace a pack's namesake
        self.queries = tuple(by_name.values())
        if not self.queries:
            raise BadInput(
                "collector prometheus has nothing to query",
                hint="pack=none needs queries=FILE, a YAML list of name/query entries",
            )
        self._client: PrometheusConnect | None = None
        self._began = 0  # epoch seconds (whole) of the first point
        self._asked = float("-inf")  # monotonic time of the last look at Prometheus
        self._scrape_s: float | None = None
        self._done: dict[str, int] = {}  # query → epoch seconds of its last point written
        self._rejected: set[str] = set()  # queries the server refused (warned once)
        self._with_data: set[str] = set()
        self._answered = False

    def __repr__(self) -> str:
        return f"PrometheusCollector(url={self.shown!r}, live={self.live}, step={self.step})"

    def start(self, run: RunDir) -> None:
        self._began = math.ceil(time.time())
        super().start(run)

    def stop(self, timeout: float = END_BUDGET_S + 2 * TIMEOUT_S) -> None:
        super().stop(timeout)

    @property
    def rate_window_s(self) -> int:
        """The window that replaces ``$__rate_interval``: 4 scrapes, or a step and a scrape."""
        scrape = self._scrape_s or DEFAULT_SCRAPE_S
        return math.ceil(max(4 * scrape, self.step + scrape))

    # -- the collector's hooks --------------------------------------------------------------

    def setup(self) -> None:
        self._client = PrometheusConnect(url=self.url, retry=Retry(total=0), timeout=TIMEOUT_S)
        self._check()

    def sample(self, now: datetime) -> Iterable[Mapping[str, Any]]:
        clock = time.monotonic()
        if not self._failing and clock - self._asked < LIVE_EVERY_S:
            return []  # the points between are asked in one range query, not one a second
        self._asked = clock
        self._check()
        if self.live:  # rows go to the writer query by query (none is lost to a failure)
            lag = max(2.0, self._scrape_s or DEFAULT_SCRAPE_S)
            self._collect(math.floor(time.time() - lag))
        return []

    def teardown(self) -> None:
        end = math.floor(time.time())
        try:
            self._check()
            self._collect(end, deadline=time.monotonic() + END_BUDGET_S)
        except Exception as exc:
            kept = "the points queried during the run are kept" if self.live else "no point is kept"
            if self._failing:  # the gap's warning said why: say what it cost
                self._warn(f"Prometheus still failed at the end of the run; {kept}")
            else:
                self._gap(PrometheusUnavailable(f"at the end of the run, {exc}; {kept}"))
        missing = [q.name for q in self.queries if q.name not in self._with_data | self._rejected]
        if self._answered and missing:
            self._event("prometheus_no_data", collector=self.name, queries=missing)
        if self._client is not None:
            self._client.close()

    # -- talking to Prometheus --------------------------------------------------------------

    def _unavailable(self, exc: Exception) -> PrometheusUnavailable:
        """What a failed request means, and what to check."""
        if isinstance(exc, ValueError | KeyError | TypeError):  # an answer, but not the API's
            return PrometheusUnavailable(
                f"{self.shown} does not answer like Prometheus's HTTP API "
                f"({type(exc).__name__}): check that the URL is Prometheus's base URL, "
                "e.g. http://HOST:9090"
            )
        return PrometheusUnavailable(
            f"Prometheus at {self.shown} does not answer ({_reason(exc)}): check that "
            "Prometheus is running there and that the URL is right"
        )

    def _http_error(self, status: int, message: str) -> PrometheusUnavailable:
        return PrometheusUnavailable(
            f"Prometheus at {self.shown} answered HTTP {status or '?'} ({message[:200]}): "
            "check that the URL is Prometheus's base URL and that Prometheus is healthy"
        )

    def _check(self) -> None:
        """Raise PrometheusUnavailable unless Prometheus answers; learn its scrape interval."""
        assert self._client is not None
        try:
            ok = self._client.check_prometheus_connection()
            if ok and self._scrape_s is None:  # the first answer: is it Prometheus's API?
                self._client.custom_query("vector(1)")
        except PrometheusApiClientException as exc:
            raise self._http_error(*_server_error(exc)) from None
        except (OSError, ValueError, KeyError, TypeError) as exc:  # requests' are OSErrors
            raise self._unavailable(exc) from None
        if not ok:
            raise PrometheusUnavailable(
                f"{self.shown} answers with an HTTP error: check that it is Prometheus's base URL"
            )
        if self._scrape_s is None:  # the first answer: learn the scrape interval, say what is asked
            self._scrape_s = self._scrape_interval()
            self._event(
                "prometheus_queries",
                collector=self.name,
                url=self.shown,
                step_s=self.step,
                scrape_interval_s=self._scrape_s,
                rate_window_s=self.rate_window_s,
                queries=[{"name": q.name, "query": q.expr, "unit": q.unit} for q in self.queries],
            )

    def _scrape_interval(self) -> float:
        """The longest scrape interval of Prometheus's configuration (or the default)."""
        try:
            response = httpx.get(f"{self.url}/api/v1/status/config", timeout=TIMEOUT_S)
            text = str(response.json()["data"]["yaml"])
        except (httpx.HTTPError, ValueError, KeyError, TypeError):
            return DEFAULT_SCRAPE_S  # a Prometheus-compatible server without the endpoint
        found = [parse_duration(t) for t in re.findall(r"scrape_interval:\s*(\S+)", text)]
        return max([s for s in found if s > 0] or [DEFAULT_SCRAPE_S])

    def _collect(self, end: int, *, deadline: float | None = None) -> None:
        """Write every query's points after its last written one, up to ``end``.

        Query by query: a Prometheus that stops answering half-way raises, and the next call
        asks again from the first query whose points are not written.
        """
        assert self._writer is not None
        for number, query in enumerate(self.queries):
            first = self._done.get(query.name, self._began - self.step) + self.step
            if query.name in self._rejected or first > end:
                continue
            if deadline is not None and time.monotonic() > deadline:
                left = [q.name for q in self.queries[number:] if q.name not in self._rejected]
                self._warn(
                    f"Prometheus at {self.shown} answered too slowly: after "
                    f"{END_BUDGET_S:.0f} s, queries {', '.join(left)} were left out"
                )
                return
            last = first + (end - first) // self.step * self.step
            try:
                self._writer.extend(list(self._range(query, first, last)))
            except PrometheusApiClientException as exc:
                self._rejected_by_server(query, exc)
            self._done[query.name] = last

    def _range(self, query: Query, first: int, last: int) -> Iterable[dict[str, Any]]:
        assert self._client is not None
        promql = query.promql(self.rate_window_s)
        span = MAX_POINTS * self.step
        for chunk in range(first, last + 1, span):
            try:
                result = self._client.custom_query_range(
                    promql,
                    start_time=datetime.fromtimestamp(chunk, UTC),
                    end_time=datetime.fromtimestamp(min(last, chunk + span - self.step), UTC),
                    step=str(self.step),
                )
            except (OSError, ValueError, KeyError, TypeError) as exc:
                raise self._unavailable(exc) from None
            self._answered = True
            yield from self._rows(query, result)

    def _rows(self, query: Query, result: Any) -> Iterable[dict[str, Any]]:
        for series in result or ():
            labels = {k: v for k, v in dict(series.get("metric") or {}).items() if k != "__name__"}
            for ts, text in series.get("values") or ():
                value = float(text)
                if math.isfinite(value):
                    self._with_data.add(query.name)
                    yield metric_row(
                        datetime.fromtimestamp(ts, UTC), SOURCE, query.name, value, labels
                    )

    def _rejected_by_server(self, query: Query, exc: PrometheusApiClientException) -> None:
        status, message = _server_error(exc)
        if status not in (400, 422):  # not the query's fault: Prometheus's (or the URL's)
            raise self._http_error(status, message) from None
        self._rejected.add(query.name)
        where = query.where or f"the {query.pack} pack"
        self._warn(
            f"query {query.name!r} ({where}) was rejected by Prometheus: {message}; fix its PromQL"
        )

    def _warn(self, message: str) -> None:
        if self._run is not None:
            self._run.add_warning(f"collector prometheus: {message}")
