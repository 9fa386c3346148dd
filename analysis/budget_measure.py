"""Measuring a threshold's statistic on a run: findings.json first, requests.parquet when needed.

A statistic findings.json holds (``p(95)`` of a transaction, the overall error rate) is read
from it; one it does not hold (``p(99.9)``, a combination of tags, ``expected_response``) is
computed exactly from requests.parquet with :func:`erpcap.analysis.latency.percentile_ms`,
the function the analysis uses. Something the run did not measure is a
:class:`Measurement` with no value and the reason.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any, Protocol

import numpy as np
import pandas as pd

from erpcap.analysis.budget_model import Selector, Threshold
from erpcap.analysis.latency import RESPONSE, percentile_ms, with_response
from erpcap.errors import RunDirError
from erpcap.rundir import FINDINGS, RunDir

#: The aggregations of a duration other than a percentile, over microseconds.
_REDUCERS: dict[str, Callable[[np.ndarray], Any]] = {
    "avg": np.mean,
    "min": np.min,
    "max": np.max,
    "med": np.median,
}


@dataclass(frozen=True)
class Measurement:
    """A measured statistic, or None and the reason it could not be measured."""

    value: float | None
    reason: str = ""
    source: str = "findings"  # findings.json, or requests.parquet when computed


class Measurer(Protocol):
    """Anything that measures a threshold's statistic on a run (current or baseline)."""

    def measure(self, threshold: Threshold) -> Measurement: ...


#: Fields of a findings statistics block per aggregation.
_FIELDS: Mapping[tuple[str, str], str] = MappingProxyType(
    {
        ("http_req_duration", "avg"): "mean_ms",
        ("http_req_duration", "min"): "min_ms",
        ("http_req_duration", "max"): "max_ms",
        ("http_req_duration", "med"): "p50_ms",
        ("http_req_failed", "rate"): "error_rate",
        ("http_reqs", "rate"): "rps",
        ("http_reqs", "count"): "count",
    }
)


class RunMeasurer:
    """Measures thresholds on one run: findings.json first, requests.parquet when needed.

    requests.parquet is read at most once, and only when a statistic is not in findings.
    """

    def __init__(
        self,
        findings: Mapping[str, Any],
        requests: Callable[[], pd.DataFrame] | None = None,
        *,
        label: str = "run",
    ) -> None:
        self._findings = findings
        self._load_requests = requests
        self._requests: pd.DataFrame | None = None
        self.label = label

    @classmethod
    def from_run(cls, run: RunDir, *, label: str = "run") -> RunMeasurer:
        """A measurer over ``run``'s findings.json (required) and requests.parquet."""
        if not run.file(FINDINGS).exists():
            raise RunDirError(
                f"{run.path}: no {FINDINGS} yet", hint=f"run `erpcap analyze {run.path}` first"
            )
        findings = run.read_findings()

        def requests() -> pd.DataFrame:
            return run.read_table("requests")

        return cls(findings, requests if run.has_table("requests") else None, label=label)

    @property
    def run_id(self) -> str:
        """The run's id as findings.json records it ("" when absent)."""
        return str(self._findings.get("run_id") or "")

    # -- blocks of findings.json ---------------------------------------------------------

    def _block(self, selector: Selector) -> dict[str, Any] | None:
        """The findings block the selector names exactly, or None if it needs the requests."""
        tags = dict(selector.tags)
        if not tags:
            overall = self._findings.get("overall")
            return overall if isinstance(overall, dict) else None
        if len(tags) == 1 and ("name" in tags or "group" in tags):
            key = "transactions" if "name" in tags else "groups"
            value = tags.get("name", tags.get("group"))
            for block in self._findings.get(key) or []:
                if isinstance(block, dict) and str(block.get("name")) == value:
                    return block
            return {"count": 0}
        return None

    def _span_s(self) -> float | None:
        """The span throughput is measured over, as the analysis measured it."""
        overall = self._findings.get("overall") or {}
        count, rps = overall.get("count"), overall.get("rps")
        if isinstance(count, int | float) and isinstance(rps, int | float) and rps > 0:
            return float(count) / float(rps)
        duration = (self._findings.get("run") or {}).get("duration_s")
        return float(duration) if isinstance(duration, int | float) and duration > 0 else None

    def _requests_frame(self) -> pd.DataFrame | None:
        if self._requests is None and self._load_requests is not None:
            self._requests = self._load_requests()
        return self._requests

    def _from_requests(self, threshold: Threshold) -> Measurement:
        frame = self._requests_frame()
        source = (self._findings.get("data_quality") or {}).get("percentiles_from")
        if source and (frame is None or frame.empty):
            return Measurement(
                None,
                f"{threshold.aggregation} of {threshold.selector} is not among the statistics "
                f"of the {self.label}: it was imported from {source} without per-request rows, "
                "so only the tool's own percentiles of each transaction and of the whole test "
                "can be judged",
            )
        if frame is None:
            return Measurement(
                None,
                f"{threshold.aggregation} of {threshold.selector} is not in findings.json and "
                f"the {self.label} has no requests.parquet to compute it from",
            )
        mask = np.ones(len(frame), dtype=bool)
        for key, tag in threshold.selector.tags:
            if key == "expected_response":
                mask &= frame["ok"].to_numpy(dtype=bool) == (tag == "true")
            else:
                mask &= frame[key].astype(str).to_numpy() == tag
        part = frame.loc[mask]
        if part.empty:
            return Measurement(None, _not_run(threshold.selector, self.label), "requests")
        metric, agg = threshold.selector.metric, threshold.aggregation
        latency = with_response(part)[RESPONSE].to_numpy(dtype=np.float64)
        value: float | None
        if metric == "http_req_duration":
            if threshold.quantile is not None:
                value = percentile_ms(latency, threshold.quantile)
            else:
                value = float(_REDUCERS[agg](latency)) / 1000.0
        elif metric == "http_req_failed":
            value = float((~part["ok"].to_numpy(dtype=bool)).mean())
        elif agg == "count":
            value = float(len(part))
        else:
            span = self._span_s()
            if span is None:
                return Measurement(None, f"the {self.label} has no duration to compute a rate")
            value = len(part) / span
        return Measurement(value, source="requests")

    def measure(self, threshold: Threshold) -> Measurement:
        """The statistic ``threshold`` compares, on this run."""
        block = self._block(threshold.selector)
        if block is not None:
            if not block.get("count"):
                return Measurement(None, _not_run(threshold.selector, self.label))
            metric, agg = threshold.selector.metric, threshold.aggregation
            field_name = _FIELDS.get((metric, agg))
            if field_name is None and threshold.quantile is not None:
                field_name = f"p{threshold.quantile:g}_ms".replace(".", "_")
            value = block.get(field_name) if field_name else None
            if isinstance(value, int | float) and not isinstance(value, bool):
                return Measurement(float(value))
        return self._from_requests(threshold)


def _not_run(selector: Selector, label: str) -> str:
    tags = ", ".join(f"{k}:{v}" for k, v in selector.tags) or "any request"
    return f"no requests matched {tags} in the {label} (did it run? is the name right?)"
