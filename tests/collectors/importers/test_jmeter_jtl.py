"""``erpcap import jmeter-jtl``: JTL files written here in JMeter's documented layouts (CSV with
its header line, XML with nested sub-samples), gzip, broken rows, and a file that is none."""

from __future__ import annotations

import csv
import gzip
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from xml.sax.saxutils import quoteattr

import numpy as np
import pandas as pd
import pytest

from erpcap.cli import main
from erpcap.collectors.importers import ImportReport, jmeter_jtl
from erpcap.rundir import RunDir

#: JMeter's CSV columns, in the order JMeter 5 writes them by default.
COLUMNS = [
    "timeStamp", "elapsed", "label", "responseCode", "responseMessage", "threadName",
    "dataType", "success", "failureMessage", "bytes", "sentBytes", "grpThreads", "allThreads",
    "URL", "Latency", "IdleTime", "Connect",
]  # fmt: skip
T0 = 1_800_000_000_000  # epoch ms
LABELS = ("Login", "Search", "Order")
URL = "http://tester:s3cret@erp.example:8080/shop/"


def _samples() -> list[dict[str, str]]:
    """Two threads for 20 s, then four for 20 s; each thread sends every 500 ms."""
    samples = []
    for phase, threads in enumerate((2, 4)):
        for thread in range(threads):
            for k in range(40):
                n = len(samples)
                ts = T0 + phase * 20_000 + k * 500 + thread * 37
                elapsed = 50 + (k * 7 + thread * 13 + n) % 200
                failed = n % 17 == 5
                refused = n == 100
                samples.append(
                    {
                        "timeStamp": str(ts),
                        "elapsed": str(elapsed),
                        "label": LABELS[n % 3],
                        "responseCode": "Non HTTP response code: java.net.ConnectException"
                        if refused
                        else "500"
                        if failed
                        else "200",
                        "responseMessage": "Non HTTP response message: Connection refused"
                        if refused
                        else "Internal Server Error"
                        if failed
                        else "OK",
                        "threadName": f"Shop {phase + 1}-{thread + 1}",
                        "dataType": "text",
                        "success": "false" if failed or refused else "true",
                        "failureMessage": "Response code was 500, expected 200" if failed else "",
                        "bytes": str(1000 + n),
                        "sentBytes": "120",
                        "grpThreads": str(threads),
                        "allThreads": str(threads),
                        "URL": URL + LABELS[n % 3].lower(),
                        "Latency": str(elapsed - 5),
                        "IdleTime": "0",
                        "Connect": "3",
                    }
                )
    return samples


def _write_csv(path: Path, samples: list[dict[str, str]], columns: list[str] = COLUMNS) -> Path:
    with path.open("w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(columns)
        for sample in samples:
            writer.writerow([sample.get(c, "") for c in columns])
    return path


def _write_xml(path: Path, samples: list[dict[str, str]]) -> Path:
    """JMeter's XML: a redirect as a nested sub-sample of every Login, assertion results."""
    attrs = {"t": "elapsed", "ts": "timeStamp", "s": "success", "lb": "label",
             "rc": "responseCode", "rm": "responseMessage", "tn": "threadName", "by": "bytes",
             "ng": "grpThreads", "na": "allThreads", "lt": "Latency", "dt": "dataType"}  # fmt: skip
    lines = ['<?xml version="1.0" encoding="UTF-8"?>', '<testResults version="1.2">']
    for sample in samples:
        own = " ".join(f"{a}={quoteattr(sample[c])}" for a, c in attrs.items())
        lines.append(f"<httpSample {own}>")
        if sample["label"] == "Login":
            lines.append(
                f'  <httpSample t="10" ts={quoteattr(sample["timeStamp"])} s="true" '
                f'lb="Login-0" rc="302" rm="Found" tn={quoteattr(sample["threadName"])} '
                'by="10" ng="1" na="1"/>'
            )
        if sample["failureMessage"]:
            lines += [
                "  <assertionResult>",
                "    <name>Response Assertion</name>",
                "    <failure>true</failure>",
                "    <error>false</error>",
                f"    <failureMessage>{sample['failureMessage']}</failureMessage>",
                "  </assertionResult>",
            ]
        lines.append(f"  <java.net.URL>{sample['URL']}</java.net.URL>")
        lines.append("</httpSample>")
    lines.append("</testResults>")
    path.write_text("\n".join(lines) + "\n")
    return path


def _import(*args: str) -> int:
    return main(["import", "jmeter-jtl", *args])


def _requests(out: Path) -> pd.DataFrame:
    frame = RunDir.open(out).read_table("requests")
    return frame.sort_values("start", kind="stable").reset_index(drop=True)


def _expected(samples: list[dict[str, str]]) -> pd.DataFrame:
    rows = sorted(samples, key=lambda s: int(s["timeStamp"]))
    return pd.DataFrame(
        {
            "start": [
                datetime(1970, 1, 1, tzinfo=UTC) + timedelta(milliseconds=int(s["timeStamp"]))
                for s in rows
            ],
            "name": [s["label"] for s in rows],
            "latency_us": [int(s["elapsed"]) * 1000 for s in rows],
            "status_code": [
                int(s["responseCode"]) if s["responseCode"].isdigit() else 0 for s in rows
            ],
            "ok": [s["success"] == "true" for s in rows],
            "users": [int(s["allThreads"]) for s in rows],
            "worker": [s["threadName"] for s in rows],
        }
    )


def _check_rows(frame: pd.DataFrame, samples: list[dict[str, str]]) -> None:
    expected = _expected(samples)
    assert len(frame) == len(samples)
    for column in expected.columns:
        got = frame[column].tolist()
        want = expected[column].tolist()
        assert got == want, column
    assert (frame["service_us"] == frame["latency_us"]).all()
    assert set(frame["user_class"]) == {"Shop"} and set(frame["group"]) == {"other"}
    errors = frame.loc[~frame["ok"], "error"].tolist()
    assert "Response code was 500, expected 200" in errors
    assert "Non HTTP response message: Connection refused" in errors
    assert frame.loc[frame["ok"], "error"].isna().all()


def test_csv_samples_become_requests_and_steps(tmp_path: Path) -> None:
    samples = _samples()
    out = tmp_path / "run"
    assert _import(str(_write_csv(tmp_path / "a.jtl", samples)), "--out", str(out)) == 0
    _check_rows(_requests(out), samples)
    run = RunDir.open(out)
    steps = [e for e in run.read_events() if e["kind"] == "step"]
    assert [(e["users"], e["duration_s"]) for e in steps] == [(2, 20.0), (4, 20.0)]
    assert steps[1]["ts"] == "2027-01-15T08:00:20.000000Z"
    meta = run.read_meta()
    assert meta["started_at"] == "2027-01-15T08:00:00.000000Z"
    last = max(int(s["timeStamp"]) + int(s["elapsed"]) for s in samples)
    end = datetime(1970, 1, 1, tzinfo=UTC) + timedelta(milliseconds=last)
    assert meta["ended_at"] == end.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    assert meta["target"] == {"url": "http://tester:***@erp.example:8080"}  # no password
    assert "s3cret" not in (out / "run.json").read_text()
    assert meta["requests"] == len(samples)


def test_xml_counts_top_level_samples_only(tmp_path: Path) -> None:
    samples = _samples()
    out = tmp_path / "run"
    assert _import(str(_write_xml(tmp_path / "a.jtl", samples)), "--out", str(out)) == 0
    frame = _requests(out)
    _check_rows(frame, samples)  # the nested Login-0 redirects are part of their Login
    assert "Login-0" not in set(frame["name"])


def test_gzip_and_unknown_columns(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    samples = [{**s, "myVar": "x,y", "Variables": "1"} for s in _samples()]
    plain = _write_csv(
        tmp_path / "a.jtl", samples, [*COLUMNS[:5], "myVar", *COLUMNS[5:], "Variables"]
    )
    packed = tmp_path / "a.jtl.gz"
    packed.write_bytes(gzip.compress(plain.read_bytes()))
    out = tmp_path / "run"
    assert _import(str(packed), "--out", str(out)) == 0
    said = capsys.readouterr().out
    assert "warning: a.jtl.gz: ignored columns JMeter does not document: myVar, Variables" in said
    _check_rows(_requests(out), samples)
    assert any("myVar, Variables" in w for w in RunDir.open(out).read_meta()["warnings"])


def test_broken_rows_are_skipped_counted_and_strict_refuses(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    samples = _samples()
    path = _write_csv(tmp_path / "a.jtl", samples)
    with path.open("a") as f:
        f.write("1800000099000,12,Login\n")  # line 242: too few fields
        f.write(",".join(["yesterday", *["1"] * 16]) + "\n")  # 243: no timeStamp
        f.write(",".join(["1800000099000", "fast", *["1"] * 15]) + "\n")  # 244
        f.write("1800000099000,13,Login\n")  # 245
    out = tmp_path / "run"
    assert _import(str(path), "--out", str(out)) == 0
    said = capsys.readouterr().out
    assert f"imported {len(samples)} rows" in said and "skipped 4" in said
    assert f"3 fields where the header names 17 ×2 (first at {path}:242)" in said
    assert f"timeStamp is neither epoch milliseconds nor a date ×1 (first at {path}:243)" in said
    assert f"elapsed is not a whole number of milliseconds ×1 (first at {path}:244)" in said
    record = RunDir.open(out).read_meta()["imports"][0]
    assert record["skipped"]["3 fields where the header names 17"] == 2
    _check_rows(_requests(out), samples)

    strict = tmp_path / "strict"
    assert _import(str(path), "--strict", "--out", str(strict)) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"erpcap import: error: {path}:242: 4 lines skipped")
    assert len(_requests(strict)) == len(samples)  # what was read stays


def test_formatted_timestamps_are_read_in_the_given_zone(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "dates.jtl"
    path.write_text(
        "timeStamp,elapsed,label,success\n"
        "2026/11/25 10:00:00.250,40,Search,true\n"
        "2026/11/25 10:00:01.500,60,Search,true\n"
    )
    assert _import(str(path), "--option", "tz=+08:00", "--out", str(tmp_path / "a")) == 0
    starts = _requests(tmp_path / "a")["start"].tolist()
    assert starts[0] == pd.Timestamp("2026-11-25T02:00:00.250Z")
    assert starts[1] == pd.Timestamp("2026-11-25T02:00:01.500Z")
    assert _import(str(path), "--out", str(tmp_path / "b")) == 0
    assert _requests(tmp_path / "b")["start"][0] == pd.Timestamp("2026-11-25T10:00:00.250Z")
    warnings = RunDir.open(tmp_path / "b").read_meta()["warnings"]
    assert any("read as UTC" in w for w in warnings)
    capsys.readouterr()
    assert _import(str(path), "--option", "tz=Mars/Base", "--out", str(tmp_path / "c")) == 2
    assert "'Mars/Base' is not a time zone" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("content", "said"),
    [
        (b"\x89PNG\r\n\x1a\n\x00\x00binary", "not a JMeter result file: neither XML"),
        (b"<html><body>hello</body></html>\n", "the XML root is <html>, not <testResults>"),
        (b"1800000000000,120,Login,200,OK\n", "a JMeter CSV without its header line"),
        (b"timeStamp,label,success\n1,a,true\n", "the JMeter CSV header lacks elapsed"),
        (b"\n\n", "empty: no JMeter results in it"),
    ],
)
def test_a_file_that_is_not_a_jtl_is_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], content: bytes, said: str
) -> None:
    path = tmp_path / "x.jtl"
    path.write_bytes(content)
    assert _import(str(path), "--out", str(tmp_path / "run")) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"erpcap import: error: {path}:") and said in err
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err
    assert not (tmp_path / "run").exists()


def test_analyze_report_and_gate_judge_the_exact_latencies(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    samples = _samples()
    out = tmp_path / "run"
    assert _import(str(_write_csv(tmp_path / "a.jtl", samples)), "--out", str(out)) == 0
    assert main(["analyze", str(out)]) == 0
    findings = json.loads((out / "findings.json").read_text())
    assert findings["overall"]["count"] == len(samples)
    assert [s["users"] for s in findings["steps"]] == [2, 4]
    assert all(s["measured"] for s in findings["steps"])
    assert findings["data_quality"]["per_request"] is True
    orders = [int(s["elapsed"]) * 1000 for s in samples if s["label"] == "Order"]
    p95 = round(float(np.percentile(orders, 95, method="linear")) / 1000, 3)
    order = next(t for t in findings["transactions"] if t["name"] == "Order")
    assert order["p95_ms"] == p95
    assert main(["report", str(out), "--format", "html,md"]) == 0
    assert "Percentiles are the load tool's own" not in (out / "summary.md").read_text()

    budgets = tmp_path / "budgets.yaml"
    budgets.write_text(
        f'thresholds:\n  http_req_duration{{name:Order}}: ["p(95)<={p95}", "p(99.9)<1s"]\n'
    )
    assert main(["gate", str(out), "--budgets", str(budgets)]) == 0
    budgets.write_text(f'thresholds:\n  http_req_duration{{name:Order}}: ["p(95)<{p95}"]\n')
    assert main(["gate", str(out), "--budgets", str(budgets)]) == 1


def test_a_big_file_is_written_in_batches(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(jmeter_jtl, "BATCH_ROWS", 50)
    samples = _samples()
    path = _write_csv(tmp_path / "a.jtl", samples)
    run = RunDir.create(tmp_path / "run", status="completed")
    report = ImportReport("jmeter-jtl")
    jmeter_jtl.JmeterJtlImporter().read([path], run, report)
    parts = sorted((run.path / "requests").glob("*.parquet"))
    assert len(parts) == 5  # 240 rows: four full batches of 50 and the rest
    assert report.records == len(samples) and run.count_rows("requests") == len(samples)


def test_xml_cut_off_keeps_what_came_before(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    samples = _samples()
    path = _write_xml(tmp_path / "a.jtl", samples)
    text = path.read_text()
    path.write_text(text[: text.rindex("</testResults>")])  # a JMeter that was killed
    out = tmp_path / "run"
    assert _import(str(path), "--out", str(out)) == 0
    assert "the XML ends early: the rest of the file was not read ×1" in capsys.readouterr().out
    _check_rows(_requests(out), samples)
    assert _import(str(path), "--strict", "--out", str(tmp_path / "strict")) == 2
    assert f"{path}:" in capsys.readouterr().err
