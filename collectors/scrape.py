"""``scrape``: read a Prometheus text endpoint directly, for users without a Prometheus server.

``--collect scrape=http://127.0.0.1:8000/metrics`` (shorthand for
``scrape:url=…``) fetches the endpoint every ``interval`` seconds — the reference ERP's own
``/metrics``, a node_exporter, any exporter — and writes its series to metrics.parquet with
source ``scrape``:

- a **gauge** as it is (``erp_db_pool_in_use``);
- a **counter** as its rate per second between two scrapes (``erp_requests_per_s`` from
  ``erp_requests_total``), so that the report's mean and maximum mean something; the first
  scrape gives no rate, and a counter that went down (a restart) gives none for that step;
- of a **histogram** or **summary**, the rates of its ``_count`` and ``_sum`` (buckets and
  quantiles are left out; they multiply the series for little use here).

Each row keeps the sample's labels, plus ``instance`` (the endpoint's host and port), so
several endpoints show side by side. At most :data:`MAX_SERIES` series are kept per scrape;
the rest are dropped with one warning. ``match=REGEX`` keeps only the metric names it
matches. An endpoint that does not answer is a gap (Collector's isolation), not a failure.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any, ClassVar
from urllib.parse import urlsplit

import httpx
from prometheus_client.parser import text_string_to_metric_families

from erpcap.collectors.base import Collector, metric_row, parse_seconds
from erpcap.errors import BadInput

SOURCE = "scrape"

#: Series kept per scrape, at most.
MAX_SERIES = 500

#: Seconds one scrape may take.
TIMEOUT_S = 5.0


def _url(text: str) -> str:
    parts = urlsplit(text)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise BadInput(f"{text!r} is not an http(s) URL", hint="e.g. http://127.0.0.1:8000/metrics")
    return text


def _regex(text: str) -> re.Pattern[str]:
    try:
        return re.compile(text)
    except re.error as exc:
        raise BadInput(f"{text!r} is not a regular expression ({exc})") from exc


class ScrapeCollector(Collector):
    """Scrapes one Prometheus text endpoint."""

    name: ClassVar[str] = "scrape"
    PRIMARY: ClassVar[str] = "url"
    OPTIONS: ClassVar[Mapping[str, Any]] = {
        "url": _url,
        "interval": parse_seconds,
        "match": _regex,
    }

    def __init__(
        self,
        *,
        url: str = "",
        interval: float = 1.0,
        match: re.Pattern[str] | None = None,
    ) -> None:
        super().__init__(interval=interval)
        if not url:
            raise BadInput(
                "collector scrape needs a URL",
                hint="write --collect scrape=http://HOST:PORT/metrics",
            )
        self.url = url
        self.match = match
        parts = urlsplit(url)
        self.instance = f"{parts.hostname}:{parts.port or (443 if parts.scheme == 'https' else 80)}"
        self._client: httpx.Client | None = None
        self._last: dict[tuple[str, str], tuple[float, float]] = {}  # series -> (time, value)
        self._warned = False

    def setup(self) -> None:
        self._client = httpx.Client(timeout=TIMEOUT_S)

    def teardown(self) -> None:
        if self._client is not None:
            self._client.close()

    def sample(self, now: datetime) -> Iterable[Mapping[str, Any]]:
        assert self._client is not None
        response = self._client.get(self.url)
        response.raise_for_status()
        rows = list(self.rows(response.text, now))
        if len(rows) > MAX_SERIES:
            if not self._warned and self._run is not None:
                self._warned = True
                self._run.add_warning(
                    f"collector scrape: {self.url} has {len(rows)} series; kept {MAX_SERIES} "
                    "(narrow it with scrape:url=…,match=REGEX)"
                )
            rows = rows[:MAX_SERIES]
        return rows

    def rows(self, text: str, now: datetime) -> Iterable[dict[str, Any]]:
        """The rows of one scrape's text (gauges as they are, counters as rates)."""
        at = now.timestamp()
        for family in text_string_to_metric_families(_without_buckets(text)):
            if self.match is not None and not self.match.search(family.name):
                continue
            for sample in family.samples:
                name, labels, value = sample.name, dict(sample.labels), float(sample.value)
                labels["instance"] = self.instance
                if family.type == "gauge" or (
                    family.type == "untyped" and not name.endswith("_total")
                ):
                    yield metric_row(now, SOURCE, name, value, labels)
                    continue
                if name.endswith("_created") or name.endswith("_bucket") or "quantile" in labels:
                    continue
                rate = self._rate((name, repr(sorted(labels.items()))), at, value)
                if rate is not None:
                    yield metric_row(now, SOURCE, _rate_name(name), rate, labels)

    def _rate(self, key: tuple[str, str], at: float, value: float) -> float | None:
        previous = self._last.get(key)
        self._last[key] = (at, value)
        if previous is None or at <= previous[0] or value < previous[1]:
            return None  # the first scrape, or a counter that restarted
        return (value - previous[1]) / (at - previous[0])


_SKIPPED_SAMPLE = re.compile(r"^[A-Za-z_:][\w:]*(?:_bucket|_created)[{ ]|quantile=")


def _without_buckets(text: str) -> str:
    r"""``text`` without the sample lines that :meth:`ScrapeCollector.rows` drops anyway
    (histogram buckets, ``_created`` stamps, summary quantiles): parsing is the costly part
    of a scrape, and on an endpoint with latency histograms most lines are buckets.

    >>> _without_buckets('h_bucket{le="1"} 3\nh_count 3\nh_created 1.7e9\n# TYPE h histogram')
    'h_count 3\n# TYPE h histogram'
    """
    return "\n".join(line for line in text.split("\n") if not _SKIPPED_SAMPLE.search(line))


def _rate_name(name: str) -> str:
    """``erp_requests_total`` → ``erp_requests_per_s``; ``x_count`` → ``x_count_per_s``.

    >>> _rate_name("erp_requests_total"), _rate_name("erp_latency_seconds_sum")
    ('erp_requests_per_s', 'erp_latency_seconds_sum_per_s')
    """
    base = name[: -len("_total")] if name.endswith("_total") else name
    return f"{base}_per_s"
