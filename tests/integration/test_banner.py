"""`tenantry up`'s banner: its commands, pasted into a shell in the same directory, work."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from cli.child import REPO
from cli.deployment import free_port

pytestmark = pytest.mark.slow


def _start_up(cwd: Path, port: int, log: Path) -> subprocess.Popen[bytes]:
    env = {k: v for k, v in os.environ.items() if k not in ("TENANTRY_DATA_DIR", "DATA_DIR")}
    env["PYTHONPATH"] = str(REPO)
    with log.open("wb") as out:
        return subprocess.Popen(  # the real command, in a fresh directory, in its own group
            [sys.executable, "-m", "cli.main", "up", "--port", str(port), "--workers", "1"],
            cwd=cwd,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )


def _wait_ready(url: str, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        assert process.poll() is None, log.read_text()
        try:
            if httpx.get(f"{url}/health/ready", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    raise AssertionError(log.read_text())


def test_the_banners_commands_run_as_printed(tmp_path: Path) -> None:
    port = free_port()
    log = tmp_path / "up.log"
    process = _start_up(tmp_path, port, log)
    try:
        _wait_ready(f"http://127.0.0.1:{port}", process, log)
        lines = log.read_text().splitlines()
        start = next(i for i, line in enumerate(lines) if line.startswith("Try it"))
        commands = [line.strip() for line in lines[start + 1 : start + 3]]
        assert commands[0].startswith("TOKEN=$(") and commands[1].startswith("curl ")
        assert f"http://127.0.0.1:{port}/docs" in "\n".join(lines[:start])
        script = "set -euo pipefail\n" + "\n".join(commands) + "\n"
        shell = subprocess.run(
            ["/bin/bash", "-c", script], cwd=tmp_path, capture_output=True, text=True, timeout=60
        )
        assert shell.returncode == 0, shell.stderr
        assert shell.stdout.startswith("HTTP/1.1 201"), shell.stdout
        assert '"name":"Helper"' in shell.stdout.replace(" ", "")
        assert (tmp_path / ".tenantry" / "dev-secret").is_file()
    finally:
        os.killpg(process.pid, signal.SIGINT)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
