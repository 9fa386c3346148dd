"""The ``async`` lever's queue: post-order work handed to a consumer after commit.

Backends: RabbitMQ through pika (a durable queue per database, a consumer thread in every
worker process) or, for the embedded SQLite default, an in-process queue with one consumer
thread. With the lever off there is no queue: the work runs inside the order's transaction.
"""

from __future__ import annotations

import contextlib
import logging
import queue
import threading
from collections.abc import Callable
from typing import Protocol

log = logging.getLogger("erpcap.reference_erp")

#: Receives a batch of order ids; raises to signal failure of the whole batch.
Handler = Callable[[list[int]], None]

#: Most order ids handled in one consumer transaction.
BATCH_SIZE = 50


class JobQueue(Protocol):
    """Publishes order ids and consumes them with ``handler``."""

    backend: str

    def start(self, handler: Handler) -> None: ...

    def publish(self, order_id: int) -> None: ...

    def depth(self) -> int: ...

    def stop(self) -> None: ...


class InProcessQueue:
    """A ``queue.Queue`` and one daemon consumer thread (per worker process)."""

    backend = "in-process"

    def __init__(self) -> None:
        self._q: queue.Queue[int | None] = queue.Queue()
        self._thread: threading.Thread | None = None

    def start(self, handler: Handler) -> None:
        def run() -> None:
            while True:
                first = self._q.get()
                if first is None:
                    return
                batch = [first]
                stop = False
                while len(batch) < BATCH_SIZE:
                    try:
                        nxt = self._q.get_nowait()
                    except queue.Empty:
                        break
                    if nxt is None:
                        stop = True
                        break
                    batch.append(nxt)
                try:
                    handler(batch)
                except Exception:  # noqa: BLE001 - a failed job is logged, the consumer lives on
                    log.exception("post-order work failed for orders %s", batch)
                if stop:
                    return

        self._thread = threading.Thread(target=run, name="erp-postorder", daemon=True)
        self._thread.start()

    def publish(self, order_id: int) -> None:
        self._q.put(order_id)

    def depth(self) -> int:
        return self._q.qsize()

    def stop(self) -> None:
        if self._thread is not None:
            self._q.put(None)
            self._thread.join(timeout=10)


class RabbitQueue:
    """A durable RabbitMQ queue; publishing is serialised on one connection per process."""

    backend = "rabbitmq"

    def __init__(self, url: str, queue_name: str) -> None:
        import pika

        self._pika = pika
        self._params = pika.URLParameters(url)
        self._params.heartbeat = 0
        self._params.blocked_connection_timeout = 10
        self._params.socket_timeout = 5
        self.queue_name = queue_name
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._depth = 0
        self._thread: threading.Thread | None = None
        self._conn = pika.BlockingConnection(self._params)  # fails fast when the broker is down
        self._channel = self._conn.channel()
        self._channel.queue_declare(queue=queue_name, durable=True)

    def publish(self, order_id: int) -> None:
        body = str(order_id).encode("ascii")
        props = self._pika.BasicProperties(delivery_mode=2, content_type="text/plain")
        with self._lock:
            for attempt in range(2):
                try:
                    if self._conn.is_closed or self._channel.is_closed:
                        self._conn = self._pika.BlockingConnection(self._params)
                        self._channel = self._conn.channel()
                    self._channel.basic_publish(
                        exchange="", routing_key=self.queue_name, body=body, properties=props
                    )
                    return
                except self._pika.exceptions.AMQPError:
                    if attempt:
                        raise

    def start(self, handler: Handler) -> None:
        def run() -> None:
            while not self._stop.is_set():
                try:
                    self._consume(handler)
                except Exception:  # noqa: BLE001 - reconnect after a broker hiccup
                    log.exception("rabbitmq consumer error; reconnecting")
                    self._stop.wait(1.0)

        self._thread = threading.Thread(target=run, name="erp-postorder-amqp", daemon=True)
        self._thread.start()

    def _consume(self, handler: Handler) -> None:
        conn = self._pika.BlockingConnection(self._params)
        try:
            ch = conn.channel()
            ch.queue_declare(queue=self.queue_name, durable=True)
            ch.basic_qos(prefetch_count=BATCH_SIZE)
            batch: list[tuple[int, int]] = []  # (delivery tag, order id)
            idle = 0
            for method, _props, body in ch.consume(self.queue_name, inactivity_timeout=0.05):
                if method is not None:
                    batch.append((method.delivery_tag, int(body)))
                    if len(batch) < BATCH_SIZE:
                        continue
                if batch:
                    self._flush(ch, handler, batch)
                    batch = []
                else:
                    idle += 1
                    if idle % 20 == 0:
                        self._depth = ch.queue_declare(
                            queue=self.queue_name, durable=True, passive=True
                        ).method.message_count
                if self._stop.is_set():
                    break
            if batch:
                self._flush(ch, handler, batch)
            ch.cancel()
        finally:
            if conn.is_open:
                conn.close()

    def _flush(self, ch: object, handler: Handler, batch: list[tuple[int, int]]) -> None:
        last_tag = batch[-1][0]
        try:
            handler([order_id for _tag, order_id in batch])
        except Exception:  # noqa: BLE001 - dead-letter the batch, keep consuming
            log.exception("post-order work failed for %d messages", len(batch))
            ch.basic_nack(last_tag, multiple=True, requeue=False)  # type: ignore[attr-defined]
        else:
            ch.basic_ack(last_tag, multiple=True)  # type: ignore[attr-defined]

    def depth(self) -> int:
        return self._depth

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
        with self._lock:
            if self._conn.is_open:
                with contextlib.suppress(Exception):
                    self._conn.close()


def make_queue(
    enabled: bool, amqp_url: str | None, queue_name: str
) -> tuple[JobQueue | None, str | None]:
    """Return the queue for the lever state (None when off) and a warning on fallback."""
    if not enabled:
        return None, None
    if amqp_url:
        try:
            return RabbitQueue(amqp_url, queue_name), None
        except Exception as exc:  # noqa: BLE001 - fall back, and say so
            return (
                InProcessQueue(),
                f"rabbitmq at {amqp_url} not reachable ({exc}); using an in-process queue",
            )
    return InProcessQueue(), None
