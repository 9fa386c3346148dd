"""The small server of the capacity test (test_capacity_run.py): a lock every request holds.

Run as a script in its own process: ``python lock_server.py CPU_MS HOLD_MS`` listens on
127.0.0.1 at a free port, prints ``PORT <n>``, and serves until SIGTERM. It answers the
few calls of the load scenario (a login, the item list, ``GET /availability``) and nothing
else. Every availability request takes one global lock and holds it HOLD_MS (wall time), of
which it burns CPU_MS of CPU; ``HOLD_MS`` 0: no lock, no burn.
"""

from __future__ import annotations

import sys
import threading
import time
from pathlib import Path
from urllib.parse import urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # tests/, for json_server.py
from json_server import TokenLoginHandler, serve


def _burn(seconds: float) -> None:
    """Spend ``seconds`` of this thread's CPU time (not wall time)."""
    end = time.thread_time() + seconds
    x = 0
    while time.thread_time() < end:
        x += 1


def _handler(cpu_s: float, hold_s: float) -> type[TokenLoginHandler]:
    lock = threading.Lock()

    class Handler(TokenLoginHandler):
        def do_GET(self) -> None:  # noqa: N802 - http.server's naming
            path = urlsplit(self.path).path
            if path == "/items":
                self._send(200, {"items": [{"id": i} for i in range(1, 11)], "total": 10})
            elif path == "/availability":
                if hold_s:
                    with lock:
                        until = time.monotonic() + hold_s
                        _burn(cpu_s)
                        time.sleep(max(until - time.monotonic(), 0.0))
                self._send(200, {"available": 5})
            else:
                self._no_route()

    return Handler


if __name__ == "__main__":
    cpu_ms, hold_ms = float(sys.argv[1]), float(sys.argv[2])
    serve(_handler(cpu_ms / 1000.0, hold_ms / 1000.0), poll_s=0.1, stop_on_sigterm=True)
