"""A webhook receiver for tests: a real HTTP server on a loopback address, in a thread.

It records every request (headers and exact body bytes) and answers as the test scripts it:
a queue of answers first, then 204. `hold` makes it wait before answering (a slow endpoint).
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType

from standardwebhooks import Webhook


@dataclass(frozen=True)
class Received:
    """One request as it arrived."""

    path: str
    headers: dict[str, str]
    body: bytes

    def verify(self, secret: str) -> object:
        """The event, if the Standard Webhooks signature verifies with `secret` (else raises)."""
        return Webhook(secret).verify(self.body, self.headers)


@dataclass(frozen=True)
class Answer:
    status: int = 204
    headers: dict[str, str] = field(default_factory=dict)


class Receiver:
    """`with Receiver() as r:` serves on `r.url` until the block ends."""

    def __init__(self, host: str = "127.0.0.1") -> None:
        self.requests: list[Received] = []
        self._answers: deque[Answer] = deque()
        self.hold: threading.Event | None = None
        self.holding = threading.Event()
        """Set while a request waits on `hold`."""
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("content-length", "0")))
                headers = {k.lower(): v for k, v in self.headers.items()}
                receiver.requests.append(Received(self.path, headers, body))
                if receiver.hold is not None:
                    receiver.holding.set()
                    receiver.hold.wait(30)
                answer = receiver._answers.popleft() if receiver._answers else Answer()
                self.send_response(answer.status)
                for name, value in answer.headers.items():
                    self.send_header(name, value)
                self.send_header("content-length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: object) -> None:
                return

        self._server = ThreadingHTTPServer((host, 0), Handler)
        self._server.daemon_threads = True
        self.host = host
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}/hook"

    def answer(self, *answers: Answer | int) -> None:
        """Answer the next requests so, in order (an int is a bare status)."""
        self._answers.extend(a if isinstance(a, Answer) else Answer(a) for a in answers)

    def __enter__(self) -> Receiver:
        self._thread.start()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if self.hold is not None:
            self.hold.set()
        self._server.shutdown()
        self._server.server_close()

    async def wait_for(self, count: int, timeout: float = 20) -> list[Received]:
        """Until at least `count` requests arrived (or fail the test)."""
        async with asyncio.timeout(timeout):
            while len(self.requests) < count:
                await asyncio.sleep(0.01)
        return list(self.requests)

    def wait_sync(self, count: int, timeout: float = 30) -> list[Received]:
        """`wait_for` for tests without an event loop."""
        deadline = time.monotonic() + timeout
        while len(self.requests) < count:
            if time.monotonic() > deadline:
                raise TimeoutError(f"{len(self.requests)} of {count} requests arrived")
            time.sleep(0.02)
        return list(self.requests)

    def __iter__(self) -> Iterator[Received]:
        return iter(list(self.requests))


def signature_matches(received: Received, secret: str) -> bool:
    """Whether one of the request's `v1` signatures is the one `secret` makes, computed with
    the Standard Webhooks library but without its freshness window (for tests that move the
    service's clock ahead of the real one)."""
    stamp = datetime.fromtimestamp(int(received.headers["webhook-timestamp"]), UTC)
    expected = Webhook(secret).sign(received.headers["webhook-id"], stamp, received.body.decode())
    return expected in received.headers["webhook-signature"].split(" ")
