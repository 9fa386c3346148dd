"""Workload modelling: the real peak measured from access logs, written as files to replay.

:func:`model_logs` reads nginx/Apache access logs or a CSV of timestamp, user, operation
(:mod:`.reading`), folds paths into routes (:mod:`.routes`), counts the mix (:mod:`.mix`),
the arrivals and the day's profile (:mod:`.profile`) and the sessions with their think times
(:mod:`.sessions`) in one streaming pass (:mod:`.measure`), then writes a declarative
scenario, rate schedules, a closed-model shape, model.json (:mod:`.writing`) and model.md
(:mod:`.report`). docs/workload-model.md describes it for users.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from erpcap.analysis.workload import report, writing
from erpcap.analysis.workload.measure import MODEL_VERSION, Model, Options, measure
from erpcap.analysis.workload.writing import parse_growth

__all__ = ["MODEL_VERSION", "Model", "Options", "Replay", "measure", "model_logs", "parse_growth"]


@dataclass(frozen=True)
class Replay:
    """How the written files scale and stretch what was measured."""

    growth: float = 1.0
    compress: float = 60.0  # the day's profile runs this many times faster
    peak_duration_s: float = 600.0  # rate-peak.yaml and users-peak.yaml last this long


def model_logs(
    paths: Sequence[Path],
    out: Path,
    options: Options,
    replay: Replay,
    progress: Callable[[Path, int, int, int], None] | None = None,
    *,
    lang: str = "en",
) -> dict[str, Any]:
    """Measure ``paths`` and write every file into ``out`` (model.md in ``lang``); returns
    model.json's document."""
    model = measure(paths, options, progress)
    out.mkdir(parents=True, exist_ok=True)
    doc = model.doc
    covered = writing.write_scenario(out, model, name=f"model-{out.name}")
    rate = writing.write_rate_peak(out, doc, replay.growth, replay.peak_duration_s)
    hours = writing.write_rate_day(out, doc, replay.growth, replay.compress)
    users = writing.write_users_peak(out, doc, replay.growth, replay.peak_duration_s)
    doc["replay"] = {
        "growth": replay.growth,
        "rate_peak_per_s": rate,
        "rate_peak_basis": "peak_minute",
        "peak_duration_s": replay.peak_duration_s,
        "compress": replay.compress,
        "day_hours": hours,
        "users_peak": users,
        "scenario_routes": covered["routes"],
        "scenario_share": covered["share"],
        "bare_operations": covered["bare_operations"],
        "files": [
            writing.SCENARIO,
            writing.RATE_PEAK,
            writing.RATE_DAY,
            writing.USERS_PEAK,
            writing.MODEL_JSON,
            report.REPORT,
        ],
    }
    writing.write_json(out, doc)
    report.write(out, doc, lang)
    return doc
