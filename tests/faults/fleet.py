"""A worker fleet in its own process group, for tests that kill it: `tenantry worker`."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from types import TracebackType

REPO = Path(__file__).resolve().parents[2]


class WorkerFleet:
    """`tenantry worker --processes N` on a data directory; its workers can be killed one by one
    (its supervisor starts another within a second) or all at once with the supervisor."""

    def __init__(self, data_dir: Path, env: dict[str, str], processes: int = 2) -> None:
        self.data_dir = data_dir
        self.env = env
        self.processes = processes
        self._supervisor: subprocess.Popen[bytes] | None = None
        self.kills = 0

    def start(self) -> WorkerFleet:
        with (self.data_dir / "workers.log").open("ab") as log:
            self._supervisor = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "cli.main",
                    "worker",
                    "--processes",
                    str(self.processes),
                    "--data-dir",
                    str(self.data_dir),
                ],
                cwd=REPO,
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        return self

    def workers(self) -> list[int]:
        """The pids of the supervisor's worker processes (spawned children), now."""
        if self._supervisor is None:
            return []
        pid = self._supervisor.pid
        try:
            children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
        except FileNotFoundError:
            return []
        found = []
        for child in children:
            try:
                cmdline = Path(f"/proc/{child}/cmdline").read_bytes()
            except FileNotFoundError:
                continue
            if b"spawn_main" in cmdline:
                found.append(int(child))
        return found

    def kill_worker(self, pid: int) -> None:
        """SIGKILL one worker process, mid-whatever it was doing."""
        try:
            os.kill(pid, signal.SIGKILL)
            self.kills += 1
        except ProcessLookupError:
            pass

    def kill_all(self) -> None:
        """SIGKILL the supervisor and every worker, no warning."""
        if self._supervisor is None:
            return
        try:
            os.killpg(self._supervisor.pid, signal.SIGKILL)
            self.kills += 1
        except ProcessLookupError:
            pass
        self._supervisor.wait()
        self._supervisor = None

    def wait_for_workers(self, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while len(self.workers()) < self.processes:
            if time.monotonic() > deadline:
                raise TimeoutError("the worker processes did not start")
            time.sleep(0.05)

    def __enter__(self) -> WorkerFleet:
        return self.start()

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.kill_all()
