"""The diagnosis checked against measurement on the reference ERP's ``legacy`` profile.

``erpcap whatif`` on PostgreSQL drives the same ladder on ``legacy`` and with one lever on at
a time. The legacy run's analysis must attribute the bottleneck to the planted cause (its
database works without the secondary indexes, so the database's CPU saturates on
sequential scans), its plan must put an index first, and that must be the lever that then
measures best: the plan's estimate and the measurement agree.

The levers are ``indexes`` (the planted cause) and ``batching`` (a real but smaller
relief). Loopback only, a bounded ladder; every database whatif creates is dropped.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from erpcap.rundir import RunDir

pytestmark = [pytest.mark.slow, pytest.mark.postgres]

DB = "postgresql://postgres@127.0.0.1:5432/erpcap_test_planwhatif"


def _database_side(block: dict[str, Any]) -> bool:
    """The bottleneck is the database's CPU, or the host's CPU taken mostly by the database."""
    if block.get("resource") == "cpu:db":
        return True
    consumers = (block.get("evidence") or {}).get("consumers") or []
    return block.get("resource") == "cpu:host" and bool(consumers) and consumers[0] == "db"


def test_the_plan_puts_first_the_lever_that_measures_best(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "erpcap", "whatif", "--db", DB, "--out", str(tmp_path),
         "--scale", "0.3", "--levers", "indexes,batching", "--no-all",
         "--steps", "5,10,20,30", "--step-seconds", "7"],
        capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-3000:]
    [folder] = [p for p in tmp_path.iterdir() if p.is_dir()]
    doc = json.loads((folder / "whatif.json").read_text(encoding="utf-8"))
    legacy = next(c for c in doc["configurations"] if c["name"] == "legacy")
    findings = RunDir(folder / legacy["run_dir"]).read_findings()

    # the planted cause: the database's CPU, spent on statements an index would serve
    block = findings["capacity"]["bottleneck"]
    assert block is not None and block["kind"] == "cpu", block
    assert _database_side(block), block
    advised = {
        f["evidence"].get("table")
        for f in findings["findings"]
        if f["id"] == "sql.index_missing" and isinstance(f.get("evidence"), dict)
    }
    assert advised, [f["id"] for f in findings["findings"]]

    # the plan: an index first, with an expected gain from the data
    top = findings["plan"]["recommendations"][0]
    assert top["id"] == "index", [r["id"] for r in findings["plan"]["recommendations"]]
    assert top["expected_gain"]["db_time_share"] > 0

    # the measurement: indexes bought the most, and whatif says the plan agrees
    assert doc["ranking"][0]["lever"] == "indexes", doc["ranking"]
    check = doc["plan_check"]
    assert check["top_lever"] == "indexes" and check["agrees"] is True, check
