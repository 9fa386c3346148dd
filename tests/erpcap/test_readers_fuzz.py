"""Every file reader keeps its promise on any input: a value, or one BadInput line — never
another exception. Fed by hypothesis: raw bytes (binary, other encodings), and documents in
each format's own vocabulary with wrong types, values and nesting.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from erpcap.analysis.budget_syntax import load_budgets
from erpcap.errors import BadInput
from erpcap.reports import load_report_data, render_html, render_markdown
from erpcap.rundir import RunDir
from erpcap.scenarios.catalog import load_scenario_file
from erpcap.scenarios.shapes import load_shape_file

FUZZ = settings(
    max_examples=int(os.environ.get("ERPCAP_FUZZ_EXAMPLES", "80")),  # more: set the variable
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

#: Keys the readers know, so that generated documents reach past the first check.
WORDS = [
    "steps", "users", "duration", "spawn_rate", "kind", "role", "tasks", "weight", "think_s",
    "fixed_count", "name", "thresholds", "http_req_duration", "http_req_failed",
    "http_req_duration{name:login}", "p(95)<500", "rate<0.01", "order_entry", "manager",
    "check_availability", "10s", "2m", "-1", "0", "1e309", "nan", "", "五", "\u2028",
]  # fmt: skip

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**12), max_value=10**12),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from(WORDS),
    st.text(max_size=12),
)
documents = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.dictionaries(st.sampled_from(WORDS), inner, max_size=5),
    ),
    max_leaves=20,
)
raw_bytes = st.one_of(
    st.binary(max_size=300),
    st.text(max_size=200).map(lambda t: t.encode("utf-16")),
    st.sampled_from(["steps:\n  - users: 五\n", "users: [\n", "- - -\n"]).map(
        lambda t: t.encode("gbk")
    ),
)


def _yaml(doc: object) -> bytes:
    return yaml.safe_dump(doc, allow_unicode=True).encode("utf-8")


def _promise(read, path: Path) -> None:
    try:
        read(path)
    except BadInput as exc:
        line = exc.one_line()
        assert "\n" not in line.strip() and str(path) in line


@pytest.mark.parametrize(
    "read",
    [load_shape_file, load_scenario_file, load_budgets],
    ids=["shape", "scenario", "budgets"],
)
@FUZZ
@given(data=st.one_of(raw_bytes, documents.map(_yaml)))
def test_yaml_readers(tmp_path: Path, read, data: bytes) -> None:
    path = tmp_path / "input.yaml"
    path.write_bytes(data)
    _promise(read, path)


@FUZZ
@given(data=st.one_of(raw_bytes, documents.map(lambda d: json.dumps(d).encode())))
def test_run_json(tmp_path: Path, data: bytes) -> None:
    folder = tmp_path / "run"
    folder.mkdir(exist_ok=True)
    (folder / "run.json").write_bytes(data)

    def read(path: Path) -> None:
        RunDir.open(path.parent).read_meta()

    _promise(read, folder / "run.json")


@FUZZ
@given(lines=st.lists(st.one_of(raw_bytes, documents.map(lambda d: json.dumps(d).encode()))))
def test_events_never_raise(tmp_path: Path, lines: list[bytes]) -> None:
    run = RunDir(tmp_path)
    (tmp_path / "events.jsonl").write_bytes(b"\n".join(lines))
    assert all(isinstance(e, dict) for e in run.read_events())


@FUZZ
@given(
    doc=st.one_of(
        documents,
        st.fixed_dictionaries(
            {},
            optional={
                k: documents
                for k in (
                    "overall",
                    "verdict",
                    "steps",
                    "transactions",
                    "capacity",
                    "peak",
                    "errors",
                    "findings",
                    "data_quality",
                    "run",
                    "slo",
                    "resources",
                )
            },  # fmt: skip
        ),
    )
)
def test_findings_json_reports_or_says_why(tmp_path: Path, doc: object) -> None:
    """A findings.json from anywhere (edited, older, another tool) renders or is refused."""
    folder = tmp_path / "run"
    if not (folder / "run.json").exists():
        RunDir.create(folder, status="completed")
    (folder / "findings.json").write_text(json.dumps(doc), encoding="utf-8")

    def read(path: Path) -> None:
        data = load_report_data(RunDir.open(path.parent), tables=False)
        render_markdown(data)
        render_html(data, lang="zh-CN")

    _promise(read, folder / "findings.json")
