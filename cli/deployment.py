"""A throwaway embedded deployment in a child process: for the demo, tests and benchmarks."""

from __future__ import annotations

import os
import signal
import socket
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Self

import httpx

from cli.child import Child
from cli.dev import dev_secret
from cli.lifetime import Lifetime
from shared.settings import Settings
from shared.tokens import issue_dev_token


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class LocalFleet(Child):
    """`tenantry worker --processes N` on a deployment's data directory, in its own group.

    Beside a `LocalDeployment(..., workers=0)` it lets a test or a benchmark build a backlog
    with no worker running, kill the fleet mid-flight, and start it again.
    """

    def __init__(
        self, data_dir: Path, env: Mapping[str, str] | None = None, processes: int = 2
    ) -> None:
        args = ["worker", "--processes", str(processes), "--data-dir", str(data_dir)]
        super().__init__(args, env={**os.environ, **(env or {})}, log_path=data_dir / "workers.log")
        self.data_dir = data_dir
        self.processes = processes


class LocalDeployment(Lifetime):
    """`tenantry up` on a free port with its own data directory, stopped on exit."""

    def __init__(
        self,
        data_dir: Path,
        *,
        workers: int = 2,
        ingress_processes: int = 1,
        env: Mapping[str, str] | None = None,
        log_path: Path | None = None,
    ) -> None:
        self.data_dir = data_dir
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self._env = {**os.environ, **(env or {})}
        self._log_path = log_path or data_dir / "tenantry.log"
        args = [
            "up",
            "--port",
            str(self.port),
            "--workers",
            str(workers),
            "--ingress-processes",
            str(ingress_processes),
            "--data-dir",
            str(data_dir),
        ]
        self._child = Child(args, env=self._env, log_path=self._log_path)

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

    def start(self, timeout: float = 30.0) -> Self:
        """Start it and wait until `/health/ready` answers 200."""
        self._child.start()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._child.exited():
                raise RuntimeError(f"tenantry up exited early; see {self._log_path}")
            try:
                if httpx.get(f"{self.url}/health/ready", timeout=1.0).status_code == 200:
                    return self
            except httpx.TransportError:
                pass
            time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"tenantry up was not ready in {timeout} s; see {self._log_path}")

    @property
    def pid(self) -> int | None:
        """The `tenantry up` process, while it runs."""
        return self._child.pid

    def stop(self, sig: signal.Signals = signal.SIGINT) -> None:
        """Stop it with `sig` (Ctrl-C by default); past 30 s, kill its whole process group."""
        self._child.stop(sig, timeout=30)

    def kill(self) -> None:
        """SIGKILL the `tenantry up` process alone, as an OOM killer would (not its group)."""
        self._child.kill(whole_group=False)
