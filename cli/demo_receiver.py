"""The demo's webhook receiver: a loopback HTTP server that verifies every delivery it accepts
with the Standard Webhooks library, as a user's own receiver would."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Self

from standardwebhooks import Webhook

from cli.lifetime import Lifetime


@dataclass(frozen=True)
class Delivery:
    """One verified delivery: where it came in, its `webhook-id` and its event."""

    path: str
    webhook_id: str
    event: dict[str, Any]


class DemoReceiver(Lifetime):
    """Serves `http://127.0.0.1:<port>/<path>`; a path marked down answers 503 until brought up."""

    def __init__(self) -> None:
        self.secrets: dict[str, str] = {}
        self.down: set[str] = set()
        self.verified: list[Delivery] = []
        self.refused = 0
        self.arrived = threading.Condition()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("content-length", "0")))
                status = receiver.receive(self.path, dict(self.headers.items()), body)
                self.send_response(status)
                self.send_header("content-length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: object) -> None:
                return

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def url(self, path: str) -> str:
        """The address of one of the receiver's endpoints."""
        return f"http://127.0.0.1:{self._server.server_address[1]}{path}"

    def receive(self, path: str, headers: dict[str, str], body: bytes) -> int:
        """Verify a delivery with the endpoint's secret: 204 if it verifies, 503 while down."""
        with self.arrived:
            if path in self.down:
                self.refused += 1
                self.arrived.notify_all()
                return 503
            secret = self.secrets.get(path)
            if secret is None:
                return 404
            try:
                event = Webhook(secret).verify(body, {k.lower(): v for k, v in headers.items()})
            except Exception:  # any failure to verify is the sender's: refuse it
                return 400
            lowered = {k.lower(): v for k, v in headers.items()}
            self.verified.append(Delivery(path, lowered.get("webhook-id", ""), event))
            self.arrived.notify_all()
            return 204

    def wait_for(self, path: str, event_type: str, timeout: float = 30) -> Delivery:
        """The first verified delivery of `event_type` on `path` (waits for it)."""

        def found() -> Delivery | None:
            return next(
                (d for d in self.verified if d.path == path and d.event["type"] == event_type),
                None,
            )

        with self.arrived:
            if not self.arrived.wait_for(lambda: found() is not None, timeout):
                raise TimeoutError(f"no {event_type} delivery on {path} within {timeout} s")
            delivery = found()
            assert delivery is not None
            return delivery

    def start(self) -> Self:
        """Serve on a thread of its own until stopped."""
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and close the listening socket."""
        self._server.shutdown()
        self._server.server_close()
