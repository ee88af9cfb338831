"""A throwaway embedded deployment in a child process: for the demo, tests and benchmarks."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Mapping
from pathlib import Path
from types import TracebackType

import httpx

from cli.dev import dev_secret
from ingress.auth import issue_dev_token
from shared.settings import Settings


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class LocalDeployment:
    """`tenantry up` on a free port with its own data directory, stopped on exit."""

    def __init__(
        self,
        data_dir: Path,
        *,
        workers: int = 2,
        env: Mapping[str, str] | None = None,
        log_path: Path | None = None,
    ) -> None:
        self.data_dir = data_dir
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self._workers = workers
        self._env = {**os.environ, **(env or {})}
        self._log_path = log_path or data_dir / "tenantry.log"
        self._process: subprocess.Popen[bytes] | None = None

    def token(self, tenant: str, *, roles: tuple[str, ...] = ("user",)) -> str:
        """A development token for `tenant`, signed with this deployment's secret."""
        env = self._env
        settings = Settings(
            jwt_algorithm="HS256",
            jwt_secret_key=env.get("JWT_SECRET_KEY") or dev_secret(self.data_dir),
            jwt_audience=env.get("JWT_AUDIENCE", Settings.model_fields["jwt_audience"].default),
            jwt_issuer=env.get("JWT_ISSUER", Settings.model_fields["jwt_issuer"].default),
        )
        return issue_dev_token(settings, tenant_id=tenant, roles=roles, subject=f"user@{tenant}")

    def start(self, timeout: float = 30.0) -> LocalDeployment:
        """Start it and wait until `/health/ready` answers 200."""
        self.data_dir.mkdir(parents=True, exist_ok=True)
        with self._log_path.open("ab") as log:
            self._process = subprocess.Popen(  # noqa: S603 - our own interpreter and module
                [
                    sys.executable,
                    "-m",
                    "cli.main",
                    "up",
                    "--port",
                    str(self.port),
                    "--workers",
                    str(self._workers),
                    "--data-dir",
                    str(self.data_dir),
                ],
                env=self._env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                raise RuntimeError(f"tenantry up exited early; see {self._log_path}")
            try:
                if httpx.get(f"{self.url}/health/ready", timeout=1.0).status_code == 200:
                    return self
            except httpx.TransportError:
                pass
            time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"tenantry up was not ready in {timeout} s; see {self._log_path}")

    def stop(self) -> None:
        """Interrupt it as Ctrl-C would, then make sure the whole process group is gone."""
        if self._process is None:
            return
        if self._process.poll() is None:
            self._process.send_signal(signal.SIGINT)
            try:
                self._process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self._process.pid, signal.SIGKILL)
                self._process.wait()
        self._process = None

    def __enter__(self) -> LocalDeployment:
        return self.start()

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()
