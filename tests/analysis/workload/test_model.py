"""``erpcap model`` on access logs the test writes with a known workload (synthetic_logs.py).

Tolerances come from the sampling error of the generator, not from a guess: a measured
value is compared with its design value within 4 standard deviations (a false failure
once in ~16,000 checks), and counts the generator knows exactly are compared exactly.
"""

from __future__ import annotations

import csv
import gzip
import importlib.util
import json
import math
import re
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import ModuleType

import numpy as np
import pytest
import yaml

from erpcap.cli import main
from erpcap.scenarios.shapes import load_shape_file, parse_duration


def _load_synthetic() -> ModuleType:
    """synthetic_logs.py beside this file, loaded by path (tests are not a package)."""
    path = Path(__file__).with_name("synthetic_logs.py")
    spec = importlib.util.spec_from_file_location("erpcap_tests_synthetic_logs", path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


logs = _load_synthetic()
BASE_SLOTS, BURST, BUSY_SLOTS, GARBAGE = logs.BASE_SLOTS, logs.BURST, logs.BUSY_SLOTS, logs.GARBAGE
MIX, THINK_S = logs.MIX, logs.THINK_S
concurrency_peak, write_logs = logs.concurrency_peak, logs.write_logs

Z = 4.0  # standard deviations allowed
RATE = re.compile(r"^(\d+(?:\.\d+)?)/([smh])$")
PER = {"s": 1.0, "m": 60.0, "h": 3600.0}


def _per_s(text: str) -> float:
    """A schedule's rate (N/s, N/m, N/h, formats.md) per second."""
    m = RATE.match(text)
    assert m is not None, text
    return float(m.group(1)) / PER[m.group(2)]


def erpcap(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "erpcap", *args], capture_output=True, text=True, timeout=120
    )


@pytest.fixture(scope="module")
def modelled(tmp_path_factory):
    folder = tmp_path_factory.mktemp("logs")
    paths, truth = write_logs(folder)
    out = folder / "model"
    # the gzip file first: files are merged by time, whatever their order
    done = erpcap("model", str(paths[1]), str(paths[0]), "--growth", "3x", "--out", str(out))
    assert done.returncode == 0, done.stderr
    doc = json.loads((out / "model.json").read_text(encoding="utf-8"))
    return out, doc, truth, done


def test_counts_what_it_read_and_left_out(modelled):
    _, doc, truth, done = modelled
    inputs = doc["inputs"]
    assert doc["kind"] == "erpcap.workload-model" and doc["version"].startswith("1.")
    assert doc["requests"] == truth.requests
    assert inputs["excluded"] == {"static": truth.static, "health": truth.health}
    assert inputs["unparsable"] == truth.garbage == len(GARBAGE)
    assert all(re.match(r".*access\.log:\d+: ", e) for e in inputs["unparsable_examples"])
    assert "did not parse" in done.stdout
    assert sorted(set(inputs["formats"].values())) == ["combined"]


def test_reproduces_the_mix(modelled):
    _, doc, truth, _ = modelled
    n = doc["requests"]
    shares = {r["route"]: r["share"] for r in doc["routes"]}
    assert set(shares) == set(MIX)  # ids, UUIDs and query strings folded away
    for route, p in MIX.items():
        sd = math.sqrt(p * (1 - p) / n)
        assert abs(shares[route] - p) <= Z * sd, (route, shares[route], p)
        assert shares[route] * n == pytest.approx(truth.by_route[route])
    errors = {r["route"]: r["errors_5xx"] for r in doc["routes"]}
    assert sum(errors.values()) == truth.server_errors
    assert doc["status"]["server_error_share"] == pytest.approx(truth.server_errors / n)


def test_reproduces_the_peak_minute_and_hour(modelled):
    _, doc, _, _ = modelled
    per_s = (BASE_SLOTS + BUSY_SLOTS[1]) / THINK_S  # Poisson rate in day 2's busy hour
    minute, hour = doc["arrivals"]["peak_minute"], doc["arrivals"]["peak_hour"]
    # the burst (exact count) rides on a Poisson minute: sd is the Poisson part's
    expected_minute = per_s * 60 + BURST
    assert minute["start"] == "2026-11-03T10:30:00+01:00"
    assert abs(minute["requests"] - expected_minute) <= Z * math.sqrt(per_s * 60)
    assert minute["rate_per_s"] == pytest.approx(minute["requests"] / 60)
    expected_hour = per_s * 3600 + BURST
    assert hour["start"] == "2026-11-03T10:00:00+01:00"
    assert abs(hour["requests"] - expected_hour) <= Z * math.sqrt(per_s * 3600)
    assert hour["rate_per_s"] == pytest.approx(hour["requests"] / 3600)
    window = doc["arrivals"]["busiest_60_minutes"]
    assert window["requests"] >= hour["requests"]


def test_reproduces_sessions_and_think_times(modelled):
    _, doc, truth, _ = modelled
    sessions, think = doc["sessions"], doc["think_time_s"]
    assert sessions["count"] == len(truth.sessions)
    assert sessions["concurrency"]["peak"] == concurrency_peak(truth.sessions)
    assert sessions["concurrency"]["peak_minute"] == "2026-11-03T10:30:00+01:00"
    # exact against the gaps the log shows (whole seconds) ...
    assert think["count"] == len(truth.gaps)
    assert think["mean"] == pytest.approx(np.mean(truth.gaps), rel=1e-9)
    assert think["p50"] == pytest.approx(np.median(truth.gaps))
    # ... and within sampling error of the design: exponential, mean THINK_S; whole-second
    # stamps add a uniform rounding of variance 1/6 (and no bias)
    sd = math.sqrt(THINK_S**2 + 1 / 6) / math.sqrt(think["count"])
    assert abs(think["mean"] - THINK_S) <= Z * sd
    # an exponential's median is mean × ln 2, its p90 mean × ln 10
    assert think["p50"] == pytest.approx(THINK_S * math.log(2), rel=0.05)
    assert think["p90"] == pytest.approx(THINK_S * math.log(10), rel=0.05)


def test_day_profile_finds_the_busy_hour(modelled):
    _, doc, _, _ = modelled
    profile = doc["day_profile"]
    hourly = profile["requests_per_hour"]
    assert profile["peak_hours"] == [10]
    # 10:00 averaged over the two days: (day 1 + day 2) / 2, local time (+01:00)
    busy = [(BASE_SLOTS + extra) / THINK_S * 3600 for extra in BUSY_SLOTS]
    expected = (busy[0] + busy[1] + BURST) / 2
    assert abs(hourly[10] - expected) <= Z * math.sqrt(busy[0] + busy[1]) / 2
    base = BASE_SLOTS / THINK_S * 3600
    assert abs(hourly[9] - base) <= Z * math.sqrt(2 * base) / 2
    assert hourly[3] == 0  # nobody works at night (health checks are left out)


def test_writes_the_replay_files(modelled):
    out, doc, _, _ = modelled
    scenario = yaml.safe_load((out / "scenario.yaml").read_text(encoding="utf-8"))
    assert {t["name"] for t in scenario["transactions"]} == set(MIX)
    weights = {t["name"]: t["weight"] for t in scenario["transactions"]}
    total = sum(weights.values())
    shares = {r["route"]: r["share"] for r in doc["routes"]}
    for t in scenario["transactions"]:
        assert t["method"] == t["name"].split(" ")[0]
        assert weights[t["name"]] / total == pytest.approx(shares[t["name"]], abs=1e-3)
        assert "{id}" not in t["path"]
        for feeder, column in re.findall(r"\$\{(\w+)\.(\w+)\}", t["path"]):
            table = out / scenario["feeders"][feeder]["csv"]
            with table.open(encoding="utf-8", newline="") as f:
                rows = list(csv.reader(f))
            assert column in rows[0] and len(rows) > 100
    think = scenario["think"]["empirical"]
    assert 10 <= len(think) <= 100 and think == sorted(think)
    assert np.mean(think) == pytest.approx(doc["think_time_s"]["mean"], rel=0.05)

    peak = yaml.safe_load((out / "rate-peak.yaml").read_text(encoding="utf-8"))
    rate = _per_s(peak["constant"]["rate"])
    assert rate == pytest.approx(3 * doc["arrivals"]["peak_minute"]["rate_per_s"], rel=1e-3)
    assert parse_duration(peak["constant"]["duration"]) == 600

    day = yaml.safe_load((out / "rate-day.yaml").read_text(encoding="utf-8"))
    steps = day["steps"]
    assert all(parse_duration(s["duration"]) == 60 for s in steps)
    rates = [_per_s(s["rate"]) for s in steps]
    first_hour = doc["replay"]["day_hours"][0]
    assert first_hour == 8 and rates.index(max(rates)) + first_hour == 10
    assert max(rates) == pytest.approx(
        3 * doc["day_profile"]["requests_per_hour"][10] / 3600, rel=1e-3
    )

    shape = load_shape_file(out / "users-peak.yaml")  # the existing shape reader
    assert shape.max_users() == math.ceil(3 * doc["sessions"]["concurrency"]["peak"])

    report = (out / "model.md").read_text(encoding="utf-8")
    assert "GET /orders/{id}" in report and "erpcap run --target URL --scenario" in report
    assert f"{doc['think_time_s']['p90']:.3g}" in report
    # the burst's one-request users make many sessions that send little: the report says the
    # closed model cannot reproduce this peak (Little's law: sessions / think ≠ rate)
    assert "users-peak.yaml will not reproduce the peak rate" in report


def _csv_stream(rng, users, mean_s, start, ops, probabilities):
    """Rows (ts, user, op) of ``users`` sessions with exponential think times."""
    rows, gaps = [], []
    for u in range(users):
        t = start + rng.uniform(0, 3600)
        times = t + np.concatenate([[0.0], np.cumsum(rng.exponential(mean_s, 39))])
        gaps.extend(np.diff(times).tolist())
        for ts in times:
            rows.append((ts, f"user{u}", ops[int(rng.choice(len(ops), p=probabilities))]))
    return rows, gaps


def test_csv_input_iso_and_epoch_gzip(tmp_path):
    rng = np.random.default_rng(5)
    ops = ["GET /api/orders/12", "create_invoice", "/items/SKU-00042"]
    p = [0.6, 0.25, 0.15]
    start = datetime(2026, 11, 4, 9, tzinfo=UTC).timestamp()
    rows, gaps = _csv_stream(rng, 500, 8.0, start, ops, p)
    rows.sort()
    half = len(rows) // 2
    iso = tmp_path / "ops.csv"
    with iso.open("w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["timestamp", "user", "operation"])
        for ts, user, op in rows[:half]:
            when = datetime.fromtimestamp(ts, UTC).isoformat(timespec="milliseconds")
            writer.writerow([when.replace("+00:00", "Z"), user, op])
        f.write("not,a,row,with,a,time\n")
    epoch = tmp_path / "ops2.csv.gz"
    # a spreadsheet's export: a BOM, semicolons
    body = "\ufeffts;user;op\n" + "".join(f"{ts:.3f};{user};{op}\n" for ts, user, op in rows[half:])
    epoch.write_bytes(gzip.compress(body.encode()))
    out = tmp_path / "model"
    argv = ["model", str(iso), str(epoch), "--out", str(out), "--growth", "+50%", "--lang", "zh-CN"]
    assert main(argv) == 0
    doc = json.loads((out / "model.json").read_text(encoding="utf-8"))
    n = doc["requests"]
    assert n == len(rows) and doc["inputs"]["unparsable"] == 1
    shares = {r["route"]: r["share"] for r in doc["routes"]}
    names = {"GET /api/orders/{id}": 0.6, "create_invoice": 0.25, "GET /items/{id}": 0.15}
    for route, share in names.items():
        assert abs(shares[route] - share) <= Z * math.sqrt(share * (1 - share) / n), route
    think = doc["think_time_s"]
    assert think["count"] == len(gaps)
    assert abs(think["mean"] - 8.0) <= Z * 8.0 / math.sqrt(len(gaps))
    assert doc["replay"]["growth"] == 1.5 and doc["replay"]["bare_operations"] == 1
    scenario = yaml.safe_load((out / "scenario.yaml").read_text(encoding="utf-8"))
    bare = next(t for t in scenario["transactions"] if t["name"] == "create_invoice")
    assert bare["path"] == "/create_invoice"
    report = (out / "model.md").read_text(encoding="utf-8")
    assert report.startswith("# 负载模型") and "回放前请编辑 scenario.yaml 中的 `path:`" in report


def test_unsorted_input_is_flagged(tmp_path, capsys):
    rows = [f"{1793585701 + 10 * k},u{k % 3},GET /a/{k}" for k in range(300)]
    log = tmp_path / "unsorted.csv"
    log.write_text("timestamp,user,operation\n" + "\n".join(reversed(rows)) + "\n")
    assert main(["model", str(log), "--out", str(tmp_path / "m")]) == 0
    doc = json.loads((tmp_path / "m" / "model.json").read_text(encoding="utf-8"))
    assert doc["requests"] == 300 and doc["routes"][0]["route"] == "GET /a/{id}"
    assert doc["inputs"]["late_lines"] > 250
    assert any("sort the input by time" in w for w in doc["inputs"]["warnings"])
    assert "sort the input by time" in capsys.readouterr().out


def test_truncated_gzip_keeps_what_was_read(tmp_path, capsys):
    start = datetime(2026, 11, 2, 9)
    lines = [
        f"10.0.0.{k % 50} - - [{(start + timedelta(seconds=k)).strftime('%d/%b/%Y:%H:%M:%S')} "
        f'+0000] "GET /orders/{k} HTTP/1.1" 200 10 "-" "agent {k % 7}"'
        for k in range(20_000)
    ]
    data = gzip.compress(("\n".join(lines) + "\n").encode())
    log = tmp_path / "access.log.1.gz"
    log.write_bytes(data[: len(data) // 2])  # still being written, or cut by a copy
    assert main(["model", str(log), "--out", str(tmp_path / "m")]) == 0
    doc = json.loads((tmp_path / "m" / "model.json").read_text(encoding="utf-8"))
    assert 0 < doc["requests"] < len(lines)
    assert "damaged after line" in doc["inputs"]["warnings"][0]
    assert "kept what was read" in capsys.readouterr().out


def _one_error_line(capsys) -> str:
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "Traceback" not in err
    return err


def test_no_parsable_line_is_one_line_exit_2(tmp_path, capsys):
    bad = tmp_path / "error.log"
    bad.write_text("2026/11/02 10:00:00 [error] 12#12: upstream timed out\n" * 5)
    assert main(["model", str(bad), "--out", str(tmp_path / "m")]) == 2
    err = _one_error_line(capsys)
    assert str(bad) in err and "no parsable line" in err
    other = tmp_path / "empty.csv.gz"
    other.write_bytes(gzip.compress(b"\n\n"))
    assert main(["model", str(bad), str(other), "--out", str(tmp_path / "m")]) == 2
    err = _one_error_line(capsys)
    assert str(bad) in err and str(other) in err
    assert not (tmp_path / "m").exists()


def test_missing_file_and_bad_options_exit_2(tmp_path, capsys):
    log = tmp_path / "a.log"
    stamp = (datetime(2026, 11, 2, 10) + timedelta(seconds=1)).strftime("%d/%b/%Y:%H:%M:%S")
    log.write_text(f'10.0.0.1 - - [{stamp} +0000] "GET /x HTTP/1.1" 200 1 "-" "-"\n')
    assert main(["model", str(tmp_path / "nope.log")]) == 2
    assert "no such access log" in _one_error_line(capsys)
    for growth in ("lots", "0x", "-2"):
        assert main(["model", str(log), "--growth", growth]) == 2
        assert "--growth" in _one_error_line(capsys)
    assert main(["model", str(log), "--compress", "soon"]) == 2
    assert "--compress" in _one_error_line(capsys)
    assert main(["model", str(log), "--out", str(log)]) == 2
    assert "--out is a file" in _one_error_line(capsys)
    only_static = tmp_path / "static.log"
    only_static.write_text(log.read_text().replace("/x", "/app.css"))
    assert main(["model", str(only_static), "--out", str(tmp_path / "s")]) == 2
    assert "--keep-static" in _one_error_line(capsys)


def test_help_has_an_example():
    done = erpcap("model", "--help")
    assert done.returncode == 0 and "examples:" in done.stdout and "--growth 3x" in done.stdout
