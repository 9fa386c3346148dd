"""The stub ERP (stub_erp.py) with a stall window: for the open-model test.

Run as a script (its own process): ``python stall_erp.py PORT AFTER_S LENGTH_S WINDOW_FILE``.
The first ``/availability`` request starts a clock; every GET that arrives from ``AFTER_S``
to ``AFTER_S + LENGTH_S`` seconds later is held until the window ends (a target that
stalls: a lock, a full pool, a GC pause), then answered. The window, in epoch seconds, is
written as JSON ``{"from": ..., "until": ...}`` to ``WINDOW_FILE`` when the clock starts.
It listens on 127.0.0.1:PORT (``/health`` answers 200 once it is up) and prints ``PORT <n>``.
"""

from __future__ import annotations

import json
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # tests/, for json_server.py
from json_server import serve
from stub_erp import _handler, _State  # the script's folder is on sys.path


def main() -> None:
    port, after_s, length_s = int(sys.argv[1]), float(sys.argv[2]), float(sys.argv[3])
    window_file = Path(sys.argv[4])
    base = _handler(_State())
    lock = threading.Lock()
    window: list[float] = []

    class Stalling(base):  # type: ignore[misc, valid-type]
        def do_GET(self) -> None:  # noqa: N802 - http.server's naming
            if self.path.startswith("/availability"):
                with lock:
                    if not window:
                        start = time.time() + after_s
                        window.extend((start, start + length_s))
                        data = json.dumps({"from": window[0], "until": window[1]})
                        window_file.write_text(data, encoding="utf-8")
                now = time.time()
                if window[0] <= now < window[1]:
                    time.sleep(window[1] - now)
            super().do_GET()

    serve(Stalling, port=port)


if __name__ == "__main__":
    main()
