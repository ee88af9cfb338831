"""A deduplicating webhook receiver that fails intermittently, as real receivers do.

Each request is answered by a seeded draw: accepted, a 500 or 503, the connection dropped
without an answer, or processed but answered too late (the sender times out and retries what
was in fact received). An event is processed once per `webhook-id`; a repeat is acknowledged
and counted. No `webhook-id` fails more than `max_failures` times in a row, so every event can
get through within the sender's retry schedule.
"""

from __future__ import annotations

import json
import random
import threading
import time
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType

from standardwebhooks import Webhook

MODES = ("ok", "error", "unavailable", "drop", "late")


@dataclass(frozen=True)
class Processed:
    """An event the receiver acted on."""

    tenant: str
    webhook_id: str
    type: str
    job_id: str


class FlakyReceiver:
    """`with FlakyReceiver(secrets, seed) as r:` serves `r.url_for(tenant)` until the block ends.

    `secrets` maps a tenant to its endpoint's secret (filled in once registered); a request
    whose signature does not verify is refused with 401 and counted in `forged`.
    """

    def __init__(
        self, *, seed: int, failure_rate: float = 0.5, max_failures: int = 3, late_seconds: float
    ) -> None:
        self.secrets: dict[str, str] = {}
        self.processed: dict[str, Processed] = {}
        self.repeats: Counter[str] = Counter()
        self.answers: Counter[str] = Counter()
        self.forged = 0
        self._rng = random.Random(seed)
        self._failure_rate = failure_rate
        self._max_failures = max_failures
        self._late_seconds = late_seconds
        self._failures: Counter[str] = Counter()
        self._lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("content-length", "0")))
                headers = {k.lower(): v for k, v in self.headers.items()}
                mode = receiver._receive(self.path.rsplit("/", 1)[-1], headers, body)
                if mode == "drop":
                    self.close_connection = True
                    return
                if mode == "late":
                    time.sleep(receiver._late_seconds)
                status = {"error": 500, "unavailable": 503, "forged": 401}.get(mode, 204)
                self.send_response(status)
                self.send_header("content-length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: object) -> None:
                return

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )

    def url_for(self, tenant: str) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}/hooks/{tenant}"

    def _receive(self, tenant: str, headers: dict[str, str], body: bytes) -> str:
        with self._lock:
            if not signature_matches(self.secrets.get(tenant), headers, body):
                self.forged += 1
                return "forged"
            webhook_id = headers["webhook-id"]
            mode = self._draw(webhook_id)
            self.answers[mode] += 1
            if mode in ("ok", "late"):  # both act on the event; "late" answers after the timeout
                if webhook_id in self.processed:
                    self.repeats[webhook_id] += 1
                else:
                    event = json.loads(body)
                    self.processed[webhook_id] = Processed(
                        tenant, webhook_id, event["type"], event["data"]["jobId"]
                    )
            return mode

    def _draw(self, webhook_id: str) -> str:
        if webhook_id in self.processed or self._failures[webhook_id] >= self._max_failures:
            return "ok"
        if self._rng.random() >= self._failure_rate:
            return "ok"
        mode = self._rng.choice(MODES[1:])
        if mode != "late":
            self._failures[webhook_id] += 1
        return mode

    def __enter__(self) -> FlakyReceiver:
        self._thread.start()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self._server.shutdown()
        self._server.server_close()


def signature_matches(secret: str | None, headers: dict[str, str], body: bytes) -> bool:
    """Whether one of the `v1` signatures is the one `secret` makes (Standard Webhooks)."""
    if secret is None or "webhook-timestamp" not in headers or "webhook-id" not in headers:
        return False
    stamp = datetime.fromtimestamp(int(headers["webhook-timestamp"]), UTC)
    expected = Webhook(secret).sign(headers["webhook-id"], stamp, body.decode())
    return expected in headers.get("webhook-signature", "").split(" ")
