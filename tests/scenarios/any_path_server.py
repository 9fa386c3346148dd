"""A target that answers every method and path with 200 and remembers what it was asked.

Run as a script (its own process): ``python any_path_server.py LOG_FILE`` listens on
127.0.0.1 at a free port, prints ``PORT <n>``, and appends ``METHOD PATH`` per request to
LOG_FILE: an ERP the replay of a modelled workload can be pointed at without knowing its API.
"""

from __future__ import annotations

import sys
import threading
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # tests/, for json_server.py
from json_server import JsonHandler, serve


def main() -> None:
    log = open(sys.argv[1], "a", buffering=1)  # noqa: SIM115 - open for the server's life
    lock = threading.Lock()

    class Handler(JsonHandler):
        disable_nagle_algorithm = False  # as this server always was

        def _answer(self) -> None:
            self._read()
            with lock:
                log.write(f"{self.command} {self.path}\n")
            self._send(200, {"ok": True})

        do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _answer

    serve(Handler)


if __name__ == "__main__":
    main()
