"""A small, fast HTTP/1.1 server that knows nothing of ERPs, for own-locustfile tests and
the recording-overhead benchmark.

Run as a script (its own process): ``python plain_server.py`` listens on 127.0.0.1 at a free
port and prints ``PORT <n>`` on its first line; :func:`serving` does that for a test or a
benchmark (which load this file by path) and stops it, process group and all. Every request gets ``200`` and a short JSON
body, except ``/fail...`` (``500``) and ``/missing...`` (``404``); ``/__served`` answers the
number of requests answered so far (not counting itself). Keep-alive, one asyncio
protocol, no framework: answering costs a few microseconds, so that a load generator
measured against it is the bottleneck, not the server. On SIGTERM it prints how many
requests it answered and the CPU seconds it used (``SERVED <n> CPU <s>``) and exits.
"""

from __future__ import annotations

import asyncio
import signal
import socket
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

BODY = b'{"ok": true}'


def _response(status: bytes, body: bytes) -> bytes:
    return (
        b"HTTP/1.1 " + status + b"\r\nContent-Type: application/json\r\nContent-Length: "
        + str(len(body)).encode() + b"\r\n\r\n" + body
    )  # fmt: skip


OK = _response(b"200 OK", BODY)
FAIL = _response(b"500 Internal Server Error", b'{"error": "planted failure"}')
MISSING = _response(b"404 Not Found", b'{"error": "no such thing"}')


class _Http(asyncio.Protocol):
    served = 0

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport
        self.buffer = b""
        sock = transport.get_extra_info("socket")
        if sock is not None:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        while True:
            head_end = self.buffer.find(b"\r\n\r\n")
            if head_end < 0:
                return
            head = self.buffer[:head_end]
            length = 0
            for line in head.split(b"\r\n")[1:]:
                key, _, value = line.partition(b":")
                if key.strip().lower() == b"content-length":
                    length = int(value.strip() or b"0")
            end = head_end + 4 + length
            if len(self.buffer) < end:
                return
            self.buffer = self.buffer[end:]
            path = head.split(b" ", 2)[1] if head.count(b" ") >= 2 else b"/"
            if path.startswith(b"/__served"):  # for benchmarks: not counted itself
                self.transport.write(_response(b"200 OK", str(_Http.served).encode()))
                continue
            answer = FAIL if path.startswith(b"/fail") else OK
            if path.startswith(b"/missing"):
                answer = MISSING
            _Http.served += 1
            self.transport.write(answer)


async def _main() -> None:
    loop = asyncio.get_running_loop()
    server = await loop.create_server(_Http, "127.0.0.1", 0, backlog=1024)
    port = server.sockets[0].getsockname()[1]
    print(f"PORT {port}", flush=True)
    stop = asyncio.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()
    server.close()
    print(f"SERVED {_Http.served} CPU {time.process_time():.3f}", flush=True)


@contextmanager
def serving(log_path: Path, *, timeout_s: float = 15.0) -> Iterator[tuple[str, int]]:
    """This server in its own process group (stopped with it, and by the kernel if the
    caller dies); yields its base URL and pid."""
    from erpcap.processes import ManagedProcess

    log_path.unlink(missing_ok=True)  # the log is appended to: an old PORT line would lie
    proc = ManagedProcess("plain-server", [sys.executable, __file__], log_path=log_path)
    proc.start()
    try:
        deadline = time.monotonic() + timeout_s
        while True:
            text = log_path.read_text(encoding="utf-8") if log_path.exists() else ""
            if text.startswith("PORT ") and "\n" in text:
                port = int(text.split()[1])
                break
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"the plain server did not start: {proc.tail()}")
            time.sleep(0.02)
        yield f"http://127.0.0.1:{port}", proc.pid
    finally:
        proc.stop(grace_s=5.0)


if __name__ == "__main__":
    asyncio.run(_main())
    sys.exit(0)
