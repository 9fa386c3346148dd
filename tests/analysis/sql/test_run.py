"""analyze_sql: the document, each analysis isolated, blocks' data under their id."""

from __future__ import annotations

import json

import pandas as pd

from erpcap.analysis.sql.context import SqlBlock, SqlContext
from erpcap.analysis.sql.run import analyze_sql, registered_analyses
from erpcap.findings import FindingKind, Quantity, Texts

SLOW = FindingKind(
    id="sql.test_slowest",
    stage="sql",
    texts={"en": Texts("{fp} took {share}", "d", "f"), "zh-CN": Texts("{fp} 占 {share}", "d", "f")},
)


def _rows() -> list[dict[str, object]]:
    return [
        {"fingerprint": "select ? from a", "duration_ms": 3.0, "statement": "SELECT 1 FROM a",
         "source": "pg-log", "rows": None},
        {"fingerprint": "select ? from b", "duration_ms": 1.0, "statement": "SELECT 2 FROM b",
         "source": "pg-log", "rows": 4},
    ]  # fmt: skip


def _finds(ctx: SqlContext) -> SqlBlock:
    top = ctx.ranked.iloc[0]
    finding = SLOW.make(
        "warning",
        values={"fp": Quantity(top["fingerprint"]), "share": Quantity(top["share"], "ratio")},
    )
    return SqlBlock("probe", [finding], {"seen": len(ctx.ranked)}, ["one note"])


def _raises(ctx: SqlContext) -> SqlBlock:
    raise RuntimeError("boom")


def _wrong(ctx: SqlContext) -> SqlBlock:
    return "not a block"  # type: ignore[return-value]


def test_document_blocks_findings_and_isolation() -> None:
    doc = analyze_sql(
        _rows(),
        top=1,
        analyses=[("10-finds", _finds), ("20-raises", _raises), ("30-wrong", _wrong),
                  ("40-none", lambda ctx: None)],
    )  # fmt: skip
    json.dumps(doc, allow_nan=False)  # JSON-able, no NaN
    assert doc["counts"] == {"statements": 2, "fingerprints": 2, "stats_rows": 0}
    assert [t["fingerprint"] for t in doc["top"]] == ["select ? from a"]
    assert doc["top"][0]["rows"] is None and doc["top"][0]["histogram"][0][2] == 1
    assert doc["probe"] == {"seen": 2}
    assert [f["id"] for f in doc["findings"]] == ["sql.test_slowest"]
    assert doc["findings"][0]["texts"]["zh-CN"]["title"] == "select ? from a 占 75%"
    statuses = {a["name"]: a["status"] for a in doc["analyses"]}
    assert statuses == {"10-finds": "ok", "20-raises": "failed", "30-wrong": "failed",
                        "40-none": "nothing"}  # fmt: skip
    notes = [n["text"] for n in doc["notes"]]
    assert "one note" in notes
    assert any("20-raises failed: RuntimeError: boom" in n for n in notes)
    assert any("30-wrong" in n for n in notes)


def test_statements_frame_reaches_the_context() -> None:
    seen: list[int] = []

    def probe(ctx: SqlContext) -> None:
        seen.append(len(ctx.statements))
        assert ctx.dialect == "mysql"

    frame = pd.DataFrame(_rows()).assign(source="mysql-slow")
    analyze_sql(frame, analyses=[("10-probe", probe)])
    assert seen == [2]


def test_registered_analyses_load() -> None:
    names = [name for name, _ in registered_analyses()]
    assert names == sorted(names)
