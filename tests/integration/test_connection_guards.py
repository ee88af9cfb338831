"""Connection guards of a live ingress, probed with raw sockets: a client that stops sending
(headers or a body shorter than its `Content-Length`) or never sends at all is answered 408 or
closed within its deadline, idle kept-alive connections are reaped, and requests past the
concurrency limit are answered 503 instead of piling up."""

from __future__ import annotations

import json
import os
import socket
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from cli.deployment import LocalDeployment

pytestmark = pytest.mark.slow

DEADLINE = 1.0
MARGIN = 3.0
ENV = {
    **os.environ,
    "HTTP_HEADER_TIMEOUT_SECONDS": str(DEADLINE),
    "HTTP_BODY_TIMEOUT_SECONDS": str(DEADLINE),
    "HTTP_KEEP_ALIVE_SECONDS": str(DEADLINE),
    "HTTP_MAX_CONCURRENT_REQUESTS": "2",
}


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalDeployment]:
    data_dir: Path = tmp_path_factory.mktemp("guards")
    with LocalDeployment(data_dir, workers=0, env=ENV) as deployment:
        yield deployment


def connect(live: LocalDeployment) -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", live.port), timeout=DEADLINE + MARGIN + 5)
    return sock


def read_until_closed(sock: socket.socket) -> tuple[bytes, float]:
    """Everything the server sends until it closes the connection, and how long that took."""
    started = time.monotonic()
    received = b""
    while chunk := sock.recv(65536):
        received += chunk
    return received, time.monotonic() - started


def read_response(sock: socket.socket) -> bytes:
    """One whole response (headers and a `Content-Length` body) on a kept-alive connection."""
    received = b""
    while b"\r\n\r\n" not in received:
        received += sock.recv(65536)
    headers, body = received.split(b"\r\n\r\n", 1)
    length = next(
        int(line.split(b":", 1)[1])
        for line in headers.split(b"\r\n")
        if line.lower().startswith(b"content-length:")
    )
    while len(body) < length:
        body += sock.recv(65536)
    return received


def head(live: LocalDeployment, method: str, path: str, length: int, content_type: str) -> bytes:
    token = live.token("contoso")
    return (
        f"{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {token}\r\n"
        f"Content-Type: {content_type}\r\nContent-Length: {length}\r\n\r\n"
    ).encode()


JSON_START = b'{"partial": '
UPLOAD_START = (
    b'--xyz\r\nContent-Disposition: form-data; name="file"; filename="a.txt"\r\n'
    b"Content-Type: text/plain\r\n\r\nthe first bytes of a file"
)
ROUTES = [
    ("POST", "/cosmos/notes", "application/json", JSON_START),
    ("POST", "/agents/", "application/json", JSON_START),
    ("PATCH", "/cosmos/notes/n1", "application/merge-patch+json", JSON_START),
    ("POST", "/webhooks", "application/json", JSON_START),
    ("POST", "/files", "multipart/form-data; boundary=xyz", UPLOAD_START),
]


@pytest.mark.parametrize(("method", "path", "content_type", "start"), ROUTES)
def test_a_body_shorter_than_its_content_length_is_a_408_and_the_connection_closes(
    live: LocalDeployment, method: str, path: str, content_type: str, start: bytes
) -> None:
    with connect(live) as sock:
        sock.sendall(head(live, method, path, 1000, content_type) + start)
        received, took = read_until_closed(sock)
    assert received.startswith(b"HTTP/1.1 408 "), received[:200]
    problem = json.loads(received.split(b"\r\n\r\n", 1)[1])
    assert problem["code"] == "Timeout" and problem["status"] == 408
    assert DEADLINE * 0.9 <= took < DEADLINE + MARGIN


def test_headers_that_stop_arriving_are_a_408_and_the_connection_closes(
    live: LocalDeployment,
) -> None:
    with connect(live) as sock:
        sock.sendall(b"POST /cosmos/notes HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Ty")
        received, took = read_until_closed(sock)
    assert received.startswith(b"HTTP/1.1 408 "), received[:200]
    assert took < DEADLINE + MARGIN


def test_a_connection_that_never_sends_anything_is_closed(live: LocalDeployment) -> None:
    with connect(live) as sock:
        received, took = read_until_closed(sock)
    assert received == b""
    assert took < DEADLINE + MARGIN


def test_an_idle_kept_alive_connection_is_reaped_and_a_dribbled_one_too(
    live: LocalDeployment,
) -> None:
    with connect(live) as sock:
        sock.sendall(b"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        first = read_response(sock)
        assert first.startswith(b"HTTP/1.1 200 "), first[:200]
        # the next request begins but its headers never finish: the header deadline applies
        # to every request on the connection, not only the first
        sock.sendall(b"GET /health HTTP/1.1\r\n")
        received, took = read_until_closed(sock)
    assert received.startswith(b"HTTP/1.1 408 ")
    assert took < DEADLINE + MARGIN
    with connect(live) as sock:
        sock.sendall(b"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        assert read_response(sock).startswith(b"HTTP/1.1 200 ")
        received, took = read_until_closed(sock)
    assert received == b""
    assert took < DEADLINE + MARGIN


def test_requests_past_the_concurrency_limit_are_a_503_with_retry_after(
    live: LocalDeployment,
) -> None:
    auth = {"Authorization": f"Bearer {live.token('contoso')}"}
    held = auth | {"Prefer": "wait=4"}  # no worker runs: each stays in flight for 4 s
    with ThreadPoolExecutor(2) as pool, httpx.Client(base_url=live.url, timeout=30) as http:
        waiting = [
            pool.submit(http.post, "/cosmos/notes", headers=held, json={"n": n}) for n in range(2)
        ]
        time.sleep(1.5)
        refused = httpx.get(f"{live.url}/jobs", headers=auth, timeout=10)
        assert refused.status_code == 503, refused.text
        assert refused.headers["Retry-After"] == "1"
        assert refused.headers["Content-Type"] == "application/problem+json"
        assert refused.json()["code"] == "ServiceUnavailable"
        assert "x-request-id" in refused.headers
        assert [f.result().status_code for f in waiting] == [202, 202]
    assert httpx.get(f"{live.url}/jobs", headers=auth, timeout=10).status_code == 200
