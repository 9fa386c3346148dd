"""``erpcap usl``: the fit on a CSV the test writes, and one line with exit 2 for bad files."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

SPECSDM91 = "1,64.9\n18,995.9\n36,1652.4\n72,1853.2\n108,1828.9\n144,1775.0\n216,1702.2\n"


def erpcap(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "erpcap", *args], capture_output=True, text=True, timeout=60
    )


def test_text_output_shows_coefficients_peak_and_predictions(tmp_path):
    path = tmp_path / "ladder.csv"
    path.write_text("# measured\nusers,throughput\n\n" + SPECSDM91)
    result = erpcap("usl", str(path), "--think-time", "0.01")
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "σ = 0.02773" in out and "κ = 0.0001044" in out and "λ = 90" in out
    assert "N ≈ 96.52" in out and "X ≈ 1884" in out
    assert "R (s)" in out and "      324" in out


def test_json_output(tmp_path):
    path = tmp_path / "ladder.csv"
    path.write_text("n,x\n" + SPECSDM91)
    result = erpcap("usl", str(path), "--json")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert round(data["sigma"]["value"], 5) == 0.02773
    assert data["kappa"]["low"] < data["kappa"]["value"] < data["kappa"]["high"]
    assert round(data["peak_n"], 2) == 96.52
    assert data["predictions"] and all(p["n"] > 216 for p in data["predictions"])
    assert data["warnings"] == [] and data["amdahl"] is False


def test_few_points_warn_in_plain_words(tmp_path):
    path = tmp_path / "few.csv"
    path.write_text("n,x\n1,10\n4,36\n16,110\n64,190\n")
    result = erpcap("usl", str(path))
    assert result.returncode == 0, result.stderr
    assert "warning: only 4 points: too few to trust" in result.stdout


@pytest.mark.parametrize(
    ("content", "line", "words"),
    [
        (None, None, "no such file"),
        ("1,64.9\n18,995.9\n", 1, "expected a header"),
        ("n,x\n1,64.9\n18,abc\n36,1652.4\n", 3, "not a number"),
        ("n,x\n1,64.9\n18,995.9\n", None, "at least 3 points"),
        ("# c\nn,x\n1,64.9\n0,5\n36,1652.4\n", 4, "more than 0"),
        ("", None, "no header"),
    ],
)
def test_bad_input_is_one_line_with_file_and_line_and_exit_2(tmp_path, content, line, words):
    path = tmp_path / "bad.csv"
    if content is not None:
        path.write_text(content)
    result = erpcap("usl", str(path))
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    lines = [x for x in result.stderr.splitlines() if x.strip()]
    assert len(lines) == 1, result.stderr
    where = f"{path}:{line}:" if line is not None else f"{path}:"
    assert f" {where} " in lines[0] and words in lines[0], lines[0]


def test_negative_think_time_is_refused(tmp_path):
    path = tmp_path / "ladder.csv"
    path.write_text("n,x\n" + SPECSDM91)
    result = erpcap("usl", str(path), "--think-time", "-1")
    assert result.returncode == 2 and "--think-time" in result.stderr
