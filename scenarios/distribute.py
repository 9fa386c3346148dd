"""Load from other machines: ``erpcap run --master`` and ``erpcap worker`` (Locust's master and
workers), as argv, environment and the locustfile the master hands its workers.

This module never imports Locust (the CLI and the pipeline use it); what runs inside the
Locust processes is :mod:`erpcap.scenarios.remote`.

How a worker learns what to run: the master is started with ``-f`` on a small *generated*
locustfile (:func:`master_locustfile_text`) that embeds the run's ``ERPCAP_*`` settings (and a
scenario file's contents) before it imports erpcap's own locustfile. A worker is started with
Locust's ``-f -``: it downloads that file from the master, so ``erpcap worker --master-host H``
needs no scenario, shape or password of its own, only the same erpcap version.

>>> opts = MasterOptions(expect_workers=2, bind_host="127.0.0.1", bind_port=5600)
>>> argv = master_argv(["python", "-m", "locust", "-f", "erpcap/locustfile.py", "--headless"],
...     Path("/tmp/m/erpcap_master.py"), opts)
>>> argv[4], argv[6:10]
('/tmp/m/erpcap_master.py', ['--master', '--expect-workers', '2', '--expect-workers-max-wait'])
>>> worker_argv("10.0.0.5", 5600)[3:]
['-f', '-', '--worker', '--master-host', '10.0.0.5', '--master-port', '5600', '--stop-timeout', '5']
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from erpcap import __version__
from erpcap.errors import BadInput

#: Set (to "1") in the master's Locust process: it collects what remote workers ship.
ENV_MASTER = "ERPCAP_MASTER"
#: Set in a remote worker's Locust process: a private folder of that machine, where the
#: downloaded locustfile and a scenario file are written; rows go to the master, not here.
ENV_WORKER_SPOOL = "ERPCAP_WORKER_SPOOL"

#: Locust's default port for workers to connect to the master.
DEFAULT_MASTER_PORT = 5557
#: Seconds the master waits for its workers before giving up (``--wait-workers``).
DEFAULT_WAIT_S = 300.0
#: The file name of the generated locustfile (workers write it under their spool).
MASTER_LOCUSTFILE = "erpcap_master_locustfile.py"

#: ``ERPCAP_*`` variables that only make sense on the master's machine.
_LOCAL_ONLY = frozenset({"ERPCAP_RUN_DIR", ENV_MASTER, ENV_WORKER_SPOOL, "ERPCAP_CONFIG"})


@dataclass(frozen=True)
class MasterOptions:
    """``erpcap run --master``: how many workers to wait for, where to listen, how long."""

    expect_workers: int
    #: The interface the master listens on: ``*`` (every interface, the default: workers are
    #: on other machines) or one address.
    bind_host: str = "*"
    bind_port: int = DEFAULT_MASTER_PORT
    wait_s: float = DEFAULT_WAIT_S

    def __post_init__(self) -> None:
        if self.expect_workers < 1:
            raise BadInput(
                f"--expect-workers must be 1 or more with --master, got {self.expect_workers}",
                hint="e.g. --master --expect-workers 2",
            )
        check_port(self.bind_port, "--master-bind-port")
        if not self.wait_s > 0:
            raise BadInput(f"--wait-workers must be above 0, got {self.wait_s}")

    @property
    def address(self) -> str:
        """``host:port`` as a worker would be told to connect (``*`` shown as is)."""
        return f"{self.bind_host}:{self.bind_port}"


def check_port(port: int, option: str) -> None:
    if not 1 <= port <= 65535:
        raise BadInput(f"{option} must be a TCP port (1-65535), got {port}")


def master_argv(argv: list[str], locustfile: Path, options: MasterOptions) -> list[str]:
    """``argv`` of :func:`~erpcap.scenarios.launch.locust_command` turned into Locust's master:
    the generated ``locustfile`` instead of erpcap's, and the master's options."""
    out = list(argv)
    out[out.index("-f") + 1] = str(locustfile)
    return out + [
        "--master",
        "--expect-workers",
        str(options.expect_workers),
        "--expect-workers-max-wait",
        str(max(1, round(options.wait_s))),
        "--master-bind-host",
        options.bind_host,
        "--master-bind-port",
        str(options.bind_port),
        # a lost worker's users move to the others: the load (and the users column) holds
        "--enable-rebalancing",
    ]


def shared_settings(env: Mapping[str, str]) -> dict[str, str]:
    """The ``ERPCAP_*`` variables of the master's Locust environment a worker needs."""
    return {k: v for k, v in env.items() if k.startswith("ERPCAP_") and k not in _LOCAL_ONLY}


def master_locustfile_text(env: Mapping[str, str]) -> str:
    """The locustfile the master runs and hands to its workers.

    It embeds the run's settings and, when the scenario is a file, that file's text; on a
    worker (:data:`ENV_WORKER_SPOOL` set) :func:`erpcap.scenarios.remote.apply_settings`
    makes them the worker's environment before erpcap's locustfile is imported. The password
    is in it: the master's port must be open to the workers only (docs/workers.md).
    """
    settings = shared_settings(env)
    scenario = settings.get("ERPCAP_SCENARIO", "")
    payload: dict[str, Any] = {"erpcap_version": __version__, "settings": settings}
    if scenario and Path(scenario).is_file():
        path = Path(scenario)
        payload["scenario_file"] = {
            "path": str(path),
            "name": path.name,
            "text": path.read_text(encoding="utf-8"),
        }
    return (
        '"""Generated by `erpcap run --master`: the run\'s settings, then erpcap\'s locustfile.\n\n'
        "The master runs this file and Locust sends it to every `erpcap worker`.\n"
        '"""\n\n'
        "from erpcap.scenarios.remote import apply_settings\n\n"
        f"apply_settings({json.dumps(payload)!r})\n\n"
        "from erpcap.scenarios.locustfile import *  # noqa: E402,F403\n"
    )


def write_master_locustfile(folder: Path, env: Mapping[str, str]) -> Path:
    """Write :func:`master_locustfile_text` into ``folder`` (private: it holds the password)."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / MASTER_LOCUSTFILE
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        out.write(master_locustfile_text(env))
    return path


def worker_argv(master_host: str, master_port: int) -> list[str]:
    """Locust as a worker that downloads its locustfile from the master (``-f -``)."""
    if not master_host.strip():
        raise BadInput("--master-host must name the master's host or address")
    check_port(master_port, "--master-port")
    return [
        sys.executable,
        "-m",
        "locust",
        "-f",
        "-",
        "--worker",
        "--master-host",
        master_host,
        "--master-port",
        str(master_port),
        "--stop-timeout",
        "5",
    ]


def worker_env(spool: Path, base: Mapping[str, str] | None = None) -> dict[str, str]:
    """The worker's environment: ``base`` (default ``os.environ``) without stale ``ERPCAP_*``
    settings, plus the spool; ``TMPDIR`` is the spool too, so that two workers on one machine
    never write the downloaded locustfile to the same place."""
    env = {k: v for k, v in (os.environ if base is None else base).items()}
    for key in [k for k in env if k.startswith("ERPCAP_") and k != "ERPCAP_CONFIG"]:
        del env[key]
    env.update({ENV_WORKER_SPOOL: str(spool), "TMPDIR": str(spool), "PYTHONUNBUFFERED": "1"})
    return env


# -- what the master's run directory says about its workers ---------------------------------


def joined_workers(events: list[dict[str, Any]]) -> list[str]:
    """The workers that announced themselves (``worker_joined``), in order, each once."""
    names: list[str] = []
    for event in events:
        if event.get("kind") == "worker_joined":
            name = str(event.get("worker") or event.get("client_id") or "?")
            if name not in names:
                names.append(name)
    return names


def lost_workers(events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The ``worker_lost`` events of workers that did not come back (``worker_back``: its
    heartbeats resumed, e.g. after a network hiccup), the last one per worker.

    >>> [e["worker"] for e in lost_workers([
    ...     {"kind": "worker_lost", "client_id": "a", "worker": "h:1"},
    ...     {"kind": "worker_back", "client_id": "a", "worker": "h:1"},
    ...     {"kind": "worker_lost", "client_id": "b", "worker": "h:2"}])]
    ['h:2']
    """
    lost: dict[str, dict[str, Any]] = {}
    for event in events:
        key = str(event.get("client_id") or event.get("worker"))
        if event.get("kind") == "worker_lost":
            lost[key] = event
        elif event.get("kind") == "worker_back":
            lost.pop(key, None)
    return list(lost.values())


def lost_worker_warnings(events: list[dict[str, Any]]) -> list[str]:
    """One run warning per worker lost for good (:func:`lost_workers`).

    >>> lost_worker_warnings([{"kind": "worker_lost", "worker": "h:1", "reason": "missed 3 "
    ...     "heartbeats", "rows_received": 20, "unshipped": "its last rows are not in the run"}])
    ['worker h:1 was lost mid-run (missed 3 heartbeats; 20 requests received from it by then): its last rows are not in the run; the run went on with the other workers']
    """
    return [
        f"worker {e.get('worker')} was lost mid-run ({e.get('reason')}; "
        f"{e.get('rows_received', 0)} requests received from it by then): "
        f"{e.get('unshipped')}; the run went on with the other workers"
        for e in lost_workers(events)
    ]


def missing_workers_reason(events: list[dict[str, Any]], options: MasterOptions) -> str:
    """Why a master run that recorded nothing failed, when its workers did not all come."""
    joined = len(joined_workers(events))
    return (
        f"only {joined} of {options.expect_workers} workers connected within "
        f"{options.wait_s:g} s: run `erpcap worker --master-host <this machine> --master-port "
        f"{options.bind_port}` on each worker machine, and open TCP port {options.bind_port} "
        "of this machine to them (docs/workers.md)"
    )
