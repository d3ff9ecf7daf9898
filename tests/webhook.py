"""A real webhook receiver for tests: an HTTP server on 127.0.0.1 that records every POST, can be
told to fail the first N requests (or all of them) and to answer slowly, and notices when two
requests with one idempotency key are in flight at the same time."""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass(frozen=True)
class Received:
    path: str
    headers: dict[str, str]
    body: bytes
    status: int
    at: float


@dataclass
class WebhookReceiver:
    port: int = 0
    received: list[Received] = field(default_factory=list)
    #: Answer this many requests with `failure_status` before accepting any.
    fail_first: int = 0
    failure_status: int = 503
    #: Seconds to wait before answering each request.
    delay: float = 0.0
    #: Idempotency keys seen in flight twice at once (a worker race).
    overlaps: list[str] = field(default_factory=list)
    #: Keep every request after this many unanswered until `release()` (a sender is sure to be
    #: mid-request meanwhile, however slowly the test runs); None: answer each after `delay`.
    hold_after: int | None = None
    _arrivals: int = 0
    _released: threading.Event = field(default_factory=threading.Event)
    _in_flight: Counter[str] = field(default_factory=Counter)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hooks/submissions"

    def accepted(self) -> list[Received]:
        with self._lock:
            return [r for r in self.received if 200 <= r.status < 300]

    def in_flight(self) -> int:
        """Requests being answered just now."""
        with self._lock:
            return sum(self._in_flight.values())

    def release(self) -> None:
        """Answer the requests kept by `hold_after`, and every later one at once."""
        self._released.set()

    def handle(self, path: str, headers: dict[str, str], body: bytes) -> int:
        key = headers.get("idempotency-key", "")
        with self._lock:
            self._in_flight[key] += 1
            if self._in_flight[key] > 1:
                self.overlaps.append(key)
            self._arrivals += 1
            held = self.hold_after is not None and self._arrivals > self.hold_after
        try:
            if held:
                self._released.wait(60)
            if self.delay:
                time.sleep(self.delay)
            with self._lock:
                failing = self.fail_first > 0
                if failing:
                    self.fail_first -= 1
                status = self.failure_status if failing else 200
                self.received.append(Received(path, headers, body, status, time.time()))
            return status
        finally:
            with self._lock:
                self._in_flight[key] -= 1


@contextmanager
def running_webhook_receiver(**settings: object) -> Iterator[WebhookReceiver]:
    receiver = WebhookReceiver(**settings)  # type: ignore[arg-type]

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", 0))
            body = self.rfile.read(length)
            headers = {k.lower(): v for k, v in self.headers.items()}
            status = receiver.handle(self.path, headers, body)
            reply = b'{"ok": true}' if status < 300 else b'{"error": "try again later"}'
            try:
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(reply)))
                self.end_headers()
                self.wfile.write(reply)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the sender died waiting (a killed worker): what it sent is on record

        def log_message(self, format: str, *args: object) -> None:  # keep test output quiet
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    receiver.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield receiver
    finally:
        server.shutdown()
        server.server_close()
