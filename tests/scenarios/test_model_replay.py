"""From production logs to a load: ``erpcap model`` writes files that ``erpcap run`` replays.

The access log is written here with a known mix; the model's scenario is then run, in the
open model, against a target that answers any path (so the replay needs no knowledge of the
API), and the requests it sends follow the logged mix with the ids the log held.
"""

from __future__ import annotations

import random
import subprocess
import sys
from collections import Counter
from datetime import datetime, timedelta
from pathlib import Path

from erpcap.rundir import RunDir
from erpcap.scenarios.rate import Schedule, rate_from_args
from erpcap.scenarios.rest import load_rest_scenario

from .conftest import running_server

SERVER = Path(__file__).with_name("any_path_server.py")
MIX = {"GET /orders/{id}": 0.6, "GET /items/{id}/stock": 0.3, "POST /orders": 0.1}


def _write_log(path: Path, count: int = 3000, seed: int = 3) -> set[str]:
    """``count`` requests a second apart on average, from 20 clients; the order ids used."""
    rng = random.Random(seed)
    at = datetime(2026, 11, 2, 9, 0, 0)
    ids: set[str] = set()
    lines = []
    for _ in range(count):
        at += timedelta(seconds=rng.expovariate(1.0))
        draw = rng.random()
        if draw < 0.6:
            order = str(rng.randint(1000, 1049))
            ids.add(order)
            request = f"GET /orders/{order} HTTP/1.1"
        elif draw < 0.9:
            request = f"GET /items/{rng.randint(1, 20)}/stock HTTP/1.1"
        else:
            request = "POST /orders HTTP/1.1"
        stamp = at.strftime("%d/%b/%Y:%H:%M:%S +0000")
        client = f"10.0.0.{rng.randint(1, 20)}"
        lines.append(f'{client} - - [{stamp}] "{request}" 200 123 "-" "agent/1.0"')
    path.write_text("\n".join(lines) + "\n")
    return ids


def _erpcap(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "erpcap", *args], capture_output=True, text=True, timeout=180
    )


def test_a_modelled_workload_replays_against_a_target(tmp_path: Path) -> None:
    log = tmp_path / "access.log"
    order_ids = _write_log(log)
    model = tmp_path / "model"
    result = _erpcap("model", str(log), "--growth", "2x", "--out", str(model))
    assert result.returncode == 0, result.stderr

    # every file it wrote is one erpcap reads
    scenario = load_rest_scenario(model / "scenario.yaml")
    assert scenario.kind == "rest"
    peak_json, _ = rate_from_args(str(model / "rate-peak.yaml"))
    day_json, _ = rate_from_args(str(model / "rate-day.yaml"))
    peak, day = Schedule.from_json(peak_json), Schedule.from_json(day_json)
    assert peak.peak_rate() > day.peak_rate() > 0  # the busiest minute beats any hour's mean

    served = tmp_path / "served.log"
    with running_server(SERVER, str(served)) as target:
        out = tmp_path / "runs"
        result = _erpcap(
            "run", "--target", target, "--scenario", str(model / "scenario.yaml"),
            "--rate", "40/s", "--duration", "8s", "--users", "20", "--collect", "none",
            "--no-report", "--out", str(out),
        )  # fmt: skip
    assert result.returncode == 0, result.stderr
    run = RunDir(next(p for p in out.iterdir() if p.is_dir() and not p.is_symlink()))
    requests = run.read_table("requests")
    assert len(requests) > 150 and requests["ok"].all()
    shares = requests["name"].value_counts(normalize=True)
    # each route's share within four binomial standard errors of the logged mix
    for name, share in MIX.items():
        error = 4 * (share * (1 - share) / len(requests)) ** 0.5 + 0.03  # + the log's own noise
        assert abs(shares.get(name, 0.0) - share) < error, (name, shares.to_dict())
    # the ids replayed are ids the log held
    paths = Counter(line.split()[1] for line in served.read_text().splitlines())
    replayed = {p.rsplit("/", 1)[1] for p in paths if p.startswith("/orders/")}
    assert replayed and replayed <= order_ids
