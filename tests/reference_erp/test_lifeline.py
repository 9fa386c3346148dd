"""A uvicorn worker whose supervisor is already gone when it starts stops at once."""

from __future__ import annotations

import os
import signal
import subprocess
import sys

WORKER = """
import time
from erpcap.reference_erp.lifeline import exit_with_parent
exit_with_parent(poll_s=0.05)
print("watching", flush=True)
time.sleep(60)
"""


def test_a_worker_whose_supervisor_died_before_it_started_stops() -> None:
    # The supervisor's pid as `serve` hands it down, but this worker's parent is another
    # process (as when the supervisor was killed and the worker re-parented to init).
    gone = os.getpid() + 4_000_000  # above the pid range: no such process
    env = {**os.environ, "ERPCAP_ERP_SUPERVISOR": str(gone)}
    worker = subprocess.Popen([sys.executable, "-c", WORKER], env=env, stdout=subprocess.PIPE)
    try:
        code = worker.wait(timeout=30)
    finally:
        if worker.poll() is None:
            worker.kill()
            worker.wait(10)
        assert worker.stdout is not None
        worker.stdout.close()
    assert code == -signal.SIGTERM


def test_a_worker_of_a_living_supervisor_keeps_running() -> None:
    env = {**os.environ, "ERPCAP_ERP_SUPERVISOR": str(os.getpid())}
    worker = subprocess.Popen([sys.executable, "-c", WORKER], env=env, stdout=subprocess.PIPE)
    try:
        assert worker.stdout is not None
        assert worker.stdout.readline().strip() == b"watching"
        assert worker.poll() is None
    finally:
        worker.kill()
        worker.wait(10)
        if worker.stdout is not None:
            worker.stdout.close()
