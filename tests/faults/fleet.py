"""A worker fleet in its own process group, for tests that kill it: `tenantry worker`."""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path
from types import TracebackType

from cli.deployment import LocalFleet


class WorkerFleet(LocalFleet):
    """`tenantry worker --processes N` on a data directory; its workers can be killed one by one
    (its supervisor starts another within a second) or all at once with the supervisor."""

    def __init__(self, data_dir: Path, env: dict[str, str], processes: int = 2) -> None:
        super().__init__(data_dir, env, processes)
        self.kills = 0

    def workers(self) -> list[int]:
        """The pids of the supervisor's worker processes (spawned children), now."""
        pid = self.pid
        if pid is None:
            return []
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
            if b"tenantry-worker" in cmdline:
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
        if self.pid is not None:
            self.kills += 1
        self.kill()

    def wait_for_workers(self, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while len(self.workers()) < self.processes:
            if time.monotonic() > deadline:
                raise TimeoutError("the worker processes did not start")
            time.sleep(0.05)

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.kill_all()
