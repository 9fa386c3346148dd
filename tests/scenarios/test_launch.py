"""The contract between the orchestrator and the Locust process; and the no-Locust rule."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from erpcap.errors import BadInput
from erpcap.scenarios.launch import (
    ENV_PASSWORD,
    ENV_RUN_DIR,
    ENV_SCENARIO,
    ENV_SEED,
    ENV_SHAPE,
    ENV_THINK_SCALE,
    LoadSettings,
    locust_command,
    locustfile_path,
)
from erpcap.scenarios.shapes import steps_shape

SHAPE = steps_shape([(2, 3.0), (4, 3.0)], spawn_rate=20)


def test_argv_and_env(tmp_path: Path) -> None:
    argv, env = locust_command(
        target="http://127.0.0.1:8000/",
        scenario="peak-order",
        shape=SHAPE,
        run_dir=tmp_path,
        password="s3cret",
        think_scale=0.05,
        seed=7,
        extra_env={"EXTRA": "1"},
    )
    assert argv[:5] == [sys.executable, "-m", "locust", "-f", str(locustfile_path())]
    assert locustfile_path().is_file()
    assert "--headless" in argv and "--processes" not in argv
    assert argv[argv.index("--host") + 1] == "http://127.0.0.1:8000"
    assert argv[argv.index("--exit-code-on-error") + 1] == "0"
    assert env[ENV_RUN_DIR] == str(tmp_path)
    assert env[ENV_SCENARIO] == "peak-order"
    assert env[ENV_PASSWORD] == "s3cret"
    assert float(env[ENV_THINK_SCALE]) == 0.05
    assert env[ENV_SEED] == "7" and env["EXTRA"] == "1"
    settings = LoadSettings.from_env(env)
    assert settings.shape == SHAPE
    assert (settings.run_dir, settings.seed, settings.think_scale) == (tmp_path, 7, 0.05)


def test_workers(tmp_path: Path) -> None:
    argv, _ = locust_command(
        target="http://h:1", scenario="demo-mix", shape=SHAPE, run_dir=tmp_path, workers=3
    )
    assert argv[argv.index("--processes") + 1] == "3"


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [({"scenario": "nope"}, "unknown scenario"), ({"target": "127.0.0.1:80"}, "not an http"),
     ({"workers": -1}, "workers"), ({"think_scale": -1.0}, "think scale")],
)  # fmt: skip
def test_bad_input(tmp_path: Path, kwargs: dict[str, object], message: str) -> None:
    args: dict[str, object] = {"target": "http://h:1", "scenario": "demo-mix", "shape": SHAPE,
                               "run_dir": tmp_path}  # fmt: skip
    args.update(kwargs)
    with pytest.raises(BadInput, match=message):
        locust_command(**args)  # type: ignore[arg-type]


def test_settings_need_the_environment() -> None:
    with pytest.raises(BadInput, match=ENV_RUN_DIR):
        LoadSettings.from_env({ENV_SCENARIO: "demo-mix", ENV_SHAPE: SHAPE.to_json()})


def test_packages_do_not_import_locust() -> None:
    code = (
        "import sys\n"
        "import erpcap.scenarios, erpcap.collectors\n"
        "from erpcap.scenarios import catalog, shapes, launch, think, ids\n"
        "from erpcap.collectors import base, psutil_host\n"
        "bad = [m for m in ('locust', 'gevent') if m in sys.modules]\n"
        "assert not bad, bad\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)
