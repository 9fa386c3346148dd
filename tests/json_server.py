"""What the tests' small real HTTP servers share: a handler answering JSON over keep-alive
HTTP/1.1, and the main that serves it on a loopback port and says which.

The servers (tests/scenarios/stub_erp.py, rest_server.py, ...) run as scripts, each in its
own process, where their folder, not tests/, is ``sys.path[0]``: they put tests/ on
``sys.path`` before importing this module. A test module that is itself imported by pytest
loads it by path instead (``importlib.util.spec_from_file_location``: tests are not a
package), as tests/own_servers.py is loaded.
"""

from __future__ import annotations

import json
import signal
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit


class JsonHandler(BaseHTTPRequestHandler):
    """Keep-alive HTTP/1.1, no access log, JSON bodies in and out."""

    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body are two writes

    def log_message(self, format: str, *args: Any) -> None:  # quiet
        return

    def _send(self, status: int, body: Any) -> None:
        """Answer ``status`` with ``body`` as JSON (a Content-Length, so the connection
        stays open)."""
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _read(self) -> bytes:
        """The request's body (read whole: the next request follows it on the connection)."""
        return self.rfile.read(int(self.headers.get("Content-Length") or 0))

    def _body(self, empty: Any = None) -> Any:
        """The request's body parsed as JSON; ``empty`` when there is none."""
        data = self._read()
        return json.loads(data) if data else empty


class TokenLoginHandler(JsonHandler):
    """A JSON handler whose only POST is the reference ERP's ``/auth/login``: it accepts any
    credentials and answers the bearer :attr:`token`; every other POST is a 404."""

    token = "t"

    def do_POST(self) -> None:  # noqa: N802 - http.server's naming
        self._read()
        if urlsplit(self.path).path == "/auth/login":
            self._send(
                200, {"access_token": self.token, "token_type": "bearer", "expires_in": 3600}
            )
        else:
            self._no_route()

    def _no_route(self) -> None:
        self._send(404, {"error": {"code": "not_found", "message": "no route"}})


def serve(
    handler: type[BaseHTTPRequestHandler],
    *,
    host: str = "127.0.0.1",
    port: int = 0,
    poll_s: float = 0.2,
    stop_on_sigterm: bool = False,
) -> None:
    """Serve ``handler`` on ``host:port`` (0: a free port), a thread per connection, until
    interrupted; print ``PORT <n>`` first, for the test that started this process to read.

    SIGTERM ends the process at once, unless ``stop_on_sigterm``: then the server stops
    accepting, closes its socket, and this returns."""
    server = ThreadingHTTPServer((host, port), handler)
    server.daemon_threads = True
    if stop_on_sigterm:
        signal.signal(signal.SIGTERM, lambda *_: threading.Thread(target=server.shutdown).start())
    print(f"PORT {server.server_address[1]}", flush=True)
    try:
        server.serve_forever(poll_interval=poll_s)
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
