"""The image's entry point, `python -m ingress`, as a real process: the connection guards of
`tenantry up` hold there too, the platform front end's scheme reaches the links, and SIGTERM
drains and ends it."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from shared.settings import Settings
from shared.tokens import issue_dev_token
from tests.production_ingress import production_ingress

SECRET = "a-test-secret-that-is-long-enough-for-hs256"
DEADLINE = 1.0


@dataclass
class Entry:
    process: subprocess.Popen[bytes]
    port: int
    token: str
    log: Path


@pytest.fixture
def entry(tmp_path: Path) -> Iterator[Entry]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TENANTS", "PUBLIC_BASE"))}
    env |= {
        "DATA_DIR": str(tmp_path),
        "JWT_ALGORITHM": "HS256",
        "JWT_SECRET_KEY": SECRET,
        "TENANTS": '[{"id": "contoso"}]',
        "HTTP_HEADER_TIMEOUT_SECONDS": str(DEADLINE),
    }
    settings = Settings(jwt_algorithm="HS256", jwt_secret_key=SECRET)  # type: ignore[arg-type]
    with production_ingress(env, tmp_path / "ingress.log") as ingress:
        token = issue_dev_token(settings, tenant_id="contoso")
        yield Entry(ingress.process, ingress.port, token, ingress.log)


def test_headers_sent_too_slowly_are_a_408_and_the_connection_closes(entry: Entry) -> None:
    with socket.create_connection(("127.0.0.1", entry.port), timeout=DEADLINE + 10) as sock:
        sock.sendall(b"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n")  # and nothing more
        started = time.monotonic()
        received = b""
        while chunk := sock.recv(65536):
            received += chunk
        waited = time.monotonic() - started
    assert received.startswith(b"HTTP/1.1 408"), received
    assert waited < DEADLINE + 5


def test_the_front_ends_scheme_reaches_the_links(entry: Entry) -> None:
    headers = {"Authorization": f"Bearer {entry.token}", "X-Forwarded-Proto": "https"}
    url = f"http://127.0.0.1:{entry.port}/cosmos/notes"
    accepted = httpx.post(url, json={"n": 1}, headers=headers, timeout=10)
    assert accepted.status_code == 202, accepted.text
    assert accepted.headers["Operation-Location"].startswith("https://127.0.0.1:")


def test_sigterm_drains_and_ends_the_process(entry: Entry) -> None:
    entry.process.send_signal(signal.SIGTERM)
    assert entry.process.wait(timeout=30) == 0, entry.log.read_text()
