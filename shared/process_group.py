"""Child processes of one kind: started, replaced if one dies, stopped gracefully, and never
outliving their parent.

Each child is a fresh interpreter running `python -m shared.spawned NAME PARENT_PID`, which ties
itself to this process before importing anything else (see `shared.spawned`), then runs
`target(*args)`. `pass_fds` hands file descriptors (a listening socket) to the children under
the same numbers. Start and check children from the main thread: on Linux the parent-death
signal belongs to the thread that started the child.
"""

from __future__ import annotations

import contextlib
import logging
import os
import pickle
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterable
from typing import Any

log = logging.getLogger("tenantry.processes")

KILL_AFTER_GRACE_SECONDS = 5.0


class ProcessGroup:
    """`count` processes running `target(*args)`, supervised from the parent."""

    def __init__(
        self,
        target: Callable[..., None],
        args: Iterable[Any],
        count: int,
        name: str,
        *,
        pass_fds: tuple[int, ...] = (),
    ) -> None:
        self._call = pickle.dumps((target, tuple(args)))
        self._count = count
        self._name = name
        self._pass_fds = pass_fds
        self._children: list[subprocess.Popen[bytes]] = []
        self._stopping = False

    @property
    def pids(self) -> list[int]:
        """The process ids of the children started so far (alive or not)."""
        return [child.pid for child in self._children]

    def _spawn(self) -> subprocess.Popen[bytes]:
        command = [sys.executable, "-m", "shared.spawned", self._name, str(os.getpid())]
        child = subprocess.Popen(  # noqa: S603 - our own interpreter and module
            command, stdin=subprocess.PIPE, pass_fds=self._pass_fds
        )
        assert child.stdin is not None
        # the pipe stays open as long as this process lives: its end tells the child to end
        child.stdin.write(len(self._call).to_bytes(8, "big") + self._call)
        child.stdin.flush()
        return child

    def start(self) -> None:
        """Start the children."""
        self._children = [self._spawn() for _ in range(self._count)]

    def check(self) -> None:
        """Replace any child that died (unless stopping)."""
        if self._stopping:
            return
        for index, child in enumerate(self._children):
            if child.poll() is not None:
                log.warning(
                    "%s %s exited with %s; starting another",
                    self._name,
                    child.pid,
                    child.returncode,
                )
                self._close(child)
                self._children[index] = self._spawn()

    def signal_stop(self) -> None:
        """Ask every child to stop (SIGTERM: each finishes its in-flight work first)."""
        self._stopping = True
        for child in self._children:
            if child.poll() is None:
                child.send_signal(signal.SIGTERM)

    def join(self, grace_seconds: float) -> None:
        """Wait for the children to stop; kill those still running past the grace."""
        deadline = time.monotonic() + grace_seconds + KILL_AFTER_GRACE_SECONDS
        for child in self._children:
            try:
                child.wait(max(deadline - time.monotonic(), 0.1))
            except subprocess.TimeoutExpired:
                log.warning("%s %s did not stop in time; killing it", self._name, child.pid)
                child.kill()
                child.wait()
            self._close(child)

    def stop(self, grace_seconds: float) -> None:
        """SIGTERM every child, wait for them to finish in-flight work, then kill stragglers."""
        self.signal_stop()
        self.join(grace_seconds)

    @staticmethod
    def _close(child: subprocess.Popen[bytes]) -> None:
        if child.stdin is not None:
            with contextlib.suppress(OSError):
                child.stdin.close()
