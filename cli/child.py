"""A `tenantry` command run as a child in its own process group, stopped (or killed) as a whole."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Self

from cli.lifetime import Lifetime

REPO = Path(__file__).resolve().parents[1]


class Child(Lifetime):
    """`python -m cli.main <args>` with its output appended to a log file."""

    def __init__(self, args: list[str], *, env: Mapping[str, str], log_path: Path) -> None:
        self._command = [sys.executable, "-m", "cli.main", *args]
        self._env = dict(env)
        self.log_path = log_path
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def pid(self) -> int | None:
        return None if self.process is None else self.process.pid

    def start(self) -> Self:
        """Start it in a new session, so its whole group can be signalled."""
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(  # noqa: S603 - our own interpreter and module
                self._command,
                cwd=REPO,
                env=self._env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        return self

    def exited(self) -> bool:
        """Whether it has exited on its own."""
        return self.process is not None and self.process.poll() is not None

    def stop(self, sig: signal.Signals = signal.SIGTERM, timeout: float = 60.0) -> None:
        """Ask it to stop with `sig`; if it has not within `timeout`, kill its whole group."""
        if self.process is None:
            return
        if self.process.poll() is None:
            self.process.send_signal(sig)
            try:
                self.process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.kill()
                return
        self.process = None

    def kill(self, *, whole_group: bool = True) -> None:
        """SIGKILL it at once, no warning: its whole group, or with `whole_group=False` the
        process alone, as an OOM killer would, leaving its children to notice."""
        if self.process is None:
            return
        with contextlib.suppress(ProcessLookupError):
            if whole_group:
                os.killpg(self.process.pid, signal.SIGKILL)
            else:
                self.process.kill()
        self.process.wait()
        self.process = None
