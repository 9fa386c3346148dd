"""How the orchestrator starts Locust, and how the Locust process reads its settings.

Locust monkey-patches the standard library with gevent when imported, so it always runs in
its own process. This module (which never imports Locust) is both ends of that contract:
:func:`locust_command` builds the argv and environment for ``subprocess.Popen``, and
:meth:`LoadSettings.from_env` reads them back inside the Locust process.

Environment variables (all strings):

=======================  =================================================================
``ERPCAP_RUN_DIR``       the run directory (must exist); requests and events go there
``ERPCAP_SCENARIO``      a scenario name of :mod:`erpcap.scenarios.catalog`, or a YAML file
``ERPCAP_SHAPE``         the load shape as JSON (:meth:`Shape.to_json`)
``ERPCAP_PASSWORD``      the password of the demo users (``sales``, ``warehouse``, ...)
``ERPCAP_THINK_SCALE``   multiplies every think time and arrival gap (default 1; demo 0.05)
``ERPCAP_SEED``          optional integer seed for think times and choices (per process)
``ERPCAP_TIMEOUT_S``     per-request timeout in seconds (default 60)
``ERPCAP_RATE``          optional: the open model's arrival schedule as JSON
                         (:mod:`erpcap.scenarios.rate`); users are then a pool
``ERPCAP_STOP_WHEN``     optional: a ``--stop-when`` expression that ends a ladder early
                         (:mod:`erpcap.scenarios.stop_when`)
=======================  =================================================================

>>> from erpcap.scenarios.shapes import Step
>>> argv, env = locust_command(target="http://127.0.0.1:8000", scenario="demo-mix",
...     shape=Shape("constant", (Step(2, 10.0),)), run_dir=Path("/tmp/run"), think_scale=0.1)
>>> argv[1:4], env["ERPCAP_SCENARIO"], env["ERPCAP_THINK_SCALE"]
(['-m', 'locust', '-f'], 'demo-mix', '0.1')
>>> LoadSettings.from_env(env).shape.total_duration()
10.0
"""

from __future__ import annotations

import math
import os
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from erpcap.errors import BadInput
from erpcap.scenarios.catalog import Scenario, resolve_scenario
from erpcap.scenarios.shapes import Shape

ENV_RUN_DIR = "ERPCAP_RUN_DIR"
ENV_SCENARIO = "ERPCAP_SCENARIO"
ENV_SHAPE = "ERPCAP_SHAPE"
ENV_PASSWORD = "ERPCAP_PASSWORD"
ENV_THINK_SCALE = "ERPCAP_THINK_SCALE"
ENV_SEED = "ERPCAP_SEED"
ENV_TIMEOUT = "ERPCAP_TIMEOUT_S"
ENV_RATE = "ERPCAP_RATE"
ENV_STOP_WHEN = "ERPCAP_STOP_WHEN"

#: The password of the reference ERP's demo users (``erpcap erp seed --demo-password``), the
#: default of ``erpcap run --password``: named once, here.
DEMO_PASSWORD = "erpcap"

__all__ = [
    "DEMO_PASSWORD",
    "ENV_PASSWORD",
    "ENV_RATE",
    "ENV_RUN_DIR",
    "ENV_SCENARIO",
    "ENV_SEED",
    "ENV_SHAPE",
    "ENV_STOP_WHEN",
    "ENV_THINK_SCALE",
    "ENV_TIMEOUT",
    "LoadSettings",
    "locust_command",
    "locustfile_path",
]


def locustfile_path() -> Path:
    """The path of erpcap's locustfile (the file passed to ``locust -f``)."""
    return Path(__file__).with_name("locustfile.py")


def locust_command(
    *,
    target: str,
    scenario: Scenario | str,
    shape: Shape,
    run_dir: Path,
    password: str = DEMO_PASSWORD,
    workers: int = 0,
    think_scale: float = 1.0,
    seed: int | None = None,
    timeout_s: float = 60.0,
    rate: str | None = None,
    stop_when: str | None = None,
    extra_env: Mapping[str, str] | None = None,
) -> tuple[list[str], dict[str, str]]:
    """The argv and environment that run ``scenario`` with ``shape`` against ``target``.

    Locust runs headless, stops by itself when the shape ends, logs to stderr (the caller
    keeps it: the pipeline writes ``<run_dir>/logs/locust.log``) and prints only the final
    summary on stdout. Its exit code is 0
    even when requests failed (failures are data, in requests parquet); a non-zero code means
    Locust itself failed. ``workers > 0`` forks that many worker processes (``--processes``),
    each writing its own request parts. The environment is a copy of ``os.environ`` plus the
    ``ERPCAP_*`` variables and ``extra_env``.

    Raises:
        BadInput: an unknown scenario, a bad target URL or bad numbers.
    """
    if isinstance(scenario, str):  # a name or a path: fail here, not inside Locust
        scenario = resolve_scenario(scenario)
    if not target.startswith(("http://", "https://")):
        raise BadInput(
            f"target {target!r} is not an http(s) URL", hint="e.g. http://127.0.0.1:8000"
        )
    if workers < 0:
        raise BadInput(f"workers must be 0 or more, got {workers}")
    _check_positive(think_scale, "think scale", allow_zero=True)
    _check_positive(timeout_s, "timeout")
    run_path = Path(run_dir)
    argv = [
        sys.executable,
        "-m",
        "locust",
        "-f",
        str(locustfile_path()),
        "--headless",
        "--host",
        target.rstrip("/"),
        "--only-summary",
        "--exit-code-on-error",
        "0",
        "--stop-timeout",
        "5",
    ]
    if workers:
        argv += ["--processes", str(workers)]
    env = dict(os.environ)
    env.update(
        {
            ENV_RUN_DIR: str(run_path),
            ENV_SCENARIO: scenario.ref,
            ENV_SHAPE: shape.to_json(),
            ENV_PASSWORD: password,
            ENV_THINK_SCALE: repr(float(think_scale)),
            ENV_TIMEOUT: repr(float(timeout_s)),
            "PYTHONUNBUFFERED": "1",
        }
    )
    for key, value in ((ENV_SEED, None if seed is None else str(int(seed))),
                       (ENV_RATE, rate), (ENV_STOP_WHEN, stop_when)):  # fmt: skip
        if value is None:
            env.pop(key, None)
        else:
            env[key] = value
    if extra_env:
        env.update(extra_env)
    return argv, env


def _check_positive(value: float, what: str, *, allow_zero: bool = False) -> None:
    ok = math.isfinite(value) and (value >= 0 if allow_zero else value > 0)
    if not ok:
        raise BadInput(f"{what} must be {'0 or more' if allow_zero else 'above 0'}, got {value}")


@dataclass(frozen=True)
class LoadSettings:
    """What the Locust process was asked to do, read from its environment."""

    run_dir: Path
    scenario: str
    shape: Shape
    password: str = DEMO_PASSWORD
    think_scale: float = 1.0
    seed: int | None = None
    timeout_s: float = 60.0
    #: The open model's arrival schedule as JSON (:mod:`erpcap.scenarios.rate`), or None.
    rate: str | None = None
    #: The ``--stop-when`` expression that ends a ladder early, or None.
    stop_when: str | None = None

    @classmethod
    def from_env(cls, environ: Mapping[str, str]) -> LoadSettings:
        """Parse the ``ERPCAP_*`` variables; :class:`BadInput` names a missing or bad one."""
        missing = [k for k in (ENV_RUN_DIR, ENV_SCENARIO, ENV_SHAPE) if not environ.get(k)]
        if missing:
            raise BadInput(
                f"environment variable {missing[0]} is not set",
                hint="start Locust through erpcap.scenarios.launch.locust_command",
            )
        try:
            scale = float(environ.get(ENV_THINK_SCALE, "1") or "1")
            timeout = float(environ.get(ENV_TIMEOUT, "60") or "60")
            seed_text = environ.get(ENV_SEED)
            seed = int(seed_text) if seed_text else None
        except ValueError as exc:
            raise BadInput(f"bad ERPCAP_* number: {exc}") from exc
        return cls(
            run_dir=Path(environ[ENV_RUN_DIR]),
            scenario=environ[ENV_SCENARIO],
            shape=Shape.from_json(environ[ENV_SHAPE]),
            password=environ.get(ENV_PASSWORD, DEMO_PASSWORD),
            think_scale=scale,
            seed=seed,
            timeout_s=timeout,
            rate=environ.get(ENV_RATE) or None,
            stop_when=environ.get(ENV_STOP_WHEN) or None,
        )
