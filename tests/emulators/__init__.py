"""Azure emulators from npm (installed by `scripts/emulators`), started by the tests.

Each runs on 127.0.0.1 on a free port and is stopped by its process id. Where Node or the
package is missing, the tests that need it are skipped with the reason, except in CI
(`CI=true`), where a missing emulator fails the run: those suites are required there.
"""

from __future__ import annotations

import atexit
import os
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
NODE_MODULES = REPO_ROOT / ".emulators" / "node_modules"
HERE = Path(__file__).resolve().parent

AZURITE_ACCOUNT = "devstoreaccount1"
AZURITE_KEY = (
    "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="
)
COSMOS_KEY = (
    "C2y6yDjf5/R+ob0N8A7Cgv30VRDJIWEHLM+4QDU5DE2nQ9nDuVTqobD4b8mGGyPMbIZnqyMsEcaGQy67XIw/Jw=="
)


def unavailable(reason: str) -> None:
    """Skip with the reason here; fail in CI, where the emulator suites are required."""
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"{reason} (required in CI: .ci/run runs scripts/emulators first)")
    pytest.skip(reason)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _wait_listening(process: subprocess.Popen[bytes], port: int, log: Path, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the emulator exited with {process.returncode}; see {log}")
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise RuntimeError(f"the emulator did not listen on {port} within {timeout} s; see {log}")


@contextmanager
def _running(command: list[str], port: int, log: Path) -> Iterator[None]:
    with log.open("wb") as out:
        process = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, cwd=REPO_ROOT)
    try:
        _wait_listening(process, port, log, timeout=30)
        yield
    finally:
        process.terminate()
        try:
            process.wait(timeout=2)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _require(package: str) -> str:
    node = shutil.which("node")
    if node is None:
        unavailable("Node.js is not installed, so the Azure emulators cannot run")
    if not (NODE_MODULES / package).is_dir():
        unavailable(f"{package} is not installed: run scripts/emulators")
    return str(node)


@dataclass(frozen=True)
class Cosmos:
    endpoint: str
    key: str


@contextmanager
def cosmos_server(workdir: Path) -> Iterator[Cosmos]:
    """The Cosmos DB server (HTTPS, self-signed) with the missing-item fix of our launcher."""
    node = _require("@vercel/cosmosdb-server")
    port = free_port()
    command = [node, str(HERE / "cosmosdb-server.js"), str(NODE_MODULES), "127.0.0.1", str(port)]
    with _running(command, port, workdir / "cosmosdb-server.log"):
        yield Cosmos(f"https://127.0.0.1:{port}", COSMOS_KEY)


@dataclass(frozen=True)
class Azurite:
    account_url: str
    account_name: str
    account_key: str


@contextmanager
def azurite_blobs(workdir: Path) -> Iterator[Azurite]:
    """Azurite's blob service, in memory."""
    node = _require("azurite")
    port = free_port()
    script = NODE_MODULES / "azurite" / "dist" / "src" / "blob" / "main.js"
    command = [
        node,
        str(script),
        "--blobHost",
        "127.0.0.1",
        "--blobPort",
        str(port),
        "--inMemoryPersistence",
        "--skipApiVersionCheck",
        "--silent",
    ]
    with _running(command, port, workdir / "azurite.log"):
        yield Azurite(f"http://127.0.0.1:{port}/{AZURITE_ACCOUNT}", AZURITE_ACCOUNT, AZURITE_KEY)


_PROCESS_AZURITE: Azurite | None = None


def process_azurite(workdir: Path) -> Azurite:
    """One Azurite for the whole test process, for factories that cannot take fixtures.

    Started on first use (skipping or failing as `unavailable` says) and stopped at exit.
    """
    global _PROCESS_AZURITE
    if _PROCESS_AZURITE is None:
        running = azurite_blobs(workdir)
        _PROCESS_AZURITE = running.__enter__()
        atexit.register(running.__exit__, None, None, None)
    return _PROCESS_AZURITE
