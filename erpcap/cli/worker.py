"""``erpcap worker``: send load for an ``erpcap run --master`` on another machine."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

HELP = """\
Run a Locust worker for an `erpcap run --master` on another machine: it connects to the
master, downloads the run's scenario and settings from it (nothing else to pass), sends its
share of the users against the target, and ships every sample to the master, which writes
them into its run directory (the `worker` column names this machine and process). It ends
when the master's run ends; start it again for the next run.

This machine needs the same erpcap version as the master, TCP access to the master's port
(default 5557) and to the target. The master's port carries the scenario and the password of
the ERP's test users: open it to the worker machines only. See docs/workers.md.

examples:
  # on the master: erpcap run --target http://10.0.0.9:8000 --allow-target 10.0.0.9 \\
  #                            --users 400 --master --expect-workers 2
  erpcap worker --master-host 10.0.0.5
  erpcap worker --master-host loadmaster.internal --master-port 6000
"""


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    from erpcap.scenarios.distribute import DEFAULT_MASTER_PORT

    parser = sub.add_parser(
        "worker",
        help="send load for an `erpcap run --master` running on another machine",
        description=HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--master-host", required=True, metavar="HOST", help="the master's host name or address"
    )
    parser.add_argument(
        "--master-port",
        type=int,
        default=DEFAULT_MASTER_PORT,
        metavar="PORT",
        help=f"the master's --master-bind-port (default: {DEFAULT_MASTER_PORT})",
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    import shutil
    import tempfile
    import time
    from contextlib import suppress

    from erpcap.pipeline import sigterm_as_interrupt
    from erpcap.processes import ManagedProcess
    from erpcap.scenarios.distribute import worker_argv, worker_env

    argv = worker_argv(args.master_host, args.master_port)  # BadInput before anything starts
    spool = Path(tempfile.mkdtemp(prefix="erpcap-worker-"))
    log_path = spool / "locust-worker.log"
    worker = ManagedProcess("locust worker", argv, log_path=log_path, env=worker_env(spool))
    print(
        f"erpcap worker: connecting to the master at {args.master_host}:{args.master_port} "
        "(Ctrl-C stops this worker)",
        file=sys.stderr,
        flush=True,
    )
    shown = 0
    code: int | None = None
    last = ""  # the log's last lines, read before the spool goes
    try:
        with sigterm_as_interrupt():
            worker.start()
            while (code := worker.poll()) is None:
                shown = _echo(log_path, shown)
                time.sleep(0.5)
    except KeyboardInterrupt:
        with suppress(KeyboardInterrupt):
            code = worker.stop(grace_s=15.0)
        print("erpcap worker: stopped", file=sys.stderr)
        return 130
    finally:
        with suppress(KeyboardInterrupt):
            if worker.poll() is None:
                worker.stop()
            _echo(log_path, shown)
            last = worker.tail(8)
            shutil.rmtree(spool, ignore_errors=True)  # the downloaded locustfile holds a password
    if code == 0:
        print("erpcap worker: the master's run ended", file=sys.stderr)
        return 0
    if "no locustfile response from master" in last:
        print(
            f"erpcap worker: error: no master answered at {args.master_host}:"
            f"{args.master_port} (start `erpcap run --master --expect-workers N` there first, "
            "and check that its port is open to this machine)",
            file=sys.stderr,
        )
    else:
        print(f"erpcap worker: error: Locust's worker exited with code {code}", file=sys.stderr)
    return 1


def _echo(log_path: Path, offset: int) -> int:
    """Copy what the worker logged since ``offset`` to stderr; return the new offset."""
    try:
        with log_path.open("rb") as log:
            log.seek(offset)
            data = log.read()
    except OSError:
        return offset
    if data:
        sys.stderr.write(data.decode("utf-8", errors="replace"))
        sys.stderr.flush()
    return offset + len(data)
