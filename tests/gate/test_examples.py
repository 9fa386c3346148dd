"""The budgets in examples/ and docs/ parse, and the example judges a real run."""

from __future__ import annotations

import re
from pathlib import Path

from erpcap.analysis.budgets import check_run, load_budgets, parse_budgets
from erpcap.rundir import RunDir

ROOT = Path(__file__).resolve().parents[2]


def test_example_budgets_file(analysed_run: RunDir) -> None:
    budgets = load_budgets(ROOT / "examples" / "budgets.yaml")
    assert len(budgets.thresholds) >= 8 and not budgets.uses_baseline
    result = check_run(analysed_run, budgets)
    assert len(result.results) == len(budgets.thresholds)
    assert all(r.status in ("pass", "fail") for r in result.results)  # all measured


def test_yaml_blocks_of_docs_budgets_parse() -> None:
    text = (ROOT / "docs" / "budgets.md").read_text(encoding="utf-8")
    blocks = [b for b in re.findall(r"```yaml\n(.*?)```", text, re.S) if "thresholds:" in b]
    assert blocks
    for block in blocks:
        assert parse_budgets(block, path="docs/budgets.md").thresholds
