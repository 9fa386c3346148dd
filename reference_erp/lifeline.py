"""Worker processes that do not outlive their supervisor.

With ``--workers N`` uvicorn's supervisor starts N worker processes. A supervisor stopped by
SIGTERM or Ctrl-C stops them itself; one killed outright (SIGKILL, the OOM killer) cannot,
and its workers would go on serving the port as orphans. Each worker therefore watches its
parent: once the parent process it started under is gone (the worker is re-parented, so
``os.getppid()`` changes), it sends itself SIGTERM and shuts down like any stopped worker.
"""

from __future__ import annotations

import os
import signal
import threading
import time

#: Seconds between two looks at the parent.
POLL_S = 0.5


#: The supervisor's pid, set by ``serve`` before it starts the workers: a worker whose
#: parent is already another process (the supervisor died while the worker was booting, and
#: the worker was re-parented to init) stops at once instead of watching init.
ENV_SUPERVISOR = "ERPCAP_ERP_SUPERVISOR"


def exit_with_parent(*, poll_s: float = POLL_S) -> threading.Thread:
    """Start a daemon thread that stops this process once its parent has died."""
    expected = os.environ.get(ENV_SUPERVISOR, "")
    parent = int(expected) if expected.isdigit() else os.getppid()

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(poll_s)
        os.kill(os.getpid(), signal.SIGTERM)

    thread = threading.Thread(target=watch, name="erp-lifeline", daemon=True)
    thread.start()
    return thread
