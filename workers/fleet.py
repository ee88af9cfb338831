"""The local fleet: N worker processes, restarted if one dies, stopped gracefully."""

from __future__ import annotations

import logging
import multiprocessing
import time
from multiprocessing.process import BaseProcess

from shared.settings import Settings
from workers.process import main as worker_main

log = logging.getLogger("tenantry.fleet")


class Fleet:
    """Supervises worker processes (spawned, so they share nothing but the data files)."""

    def __init__(self, settings: Settings, processes: int) -> None:
        self._settings = settings
        self._count = processes
        self._context = multiprocessing.get_context("spawn")
        self._children: list[BaseProcess] = []
        self._stopping = False

    def _spawn(self) -> BaseProcess:
        child = self._context.Process(
            target=worker_main, args=(self._settings,), name="tenantry-worker", daemon=False
        )
        child.start()
        return child

    def start(self) -> None:
        """Start the worker processes."""
        self._children = [self._spawn() for _ in range(self._count)]

    def check(self) -> None:
        """Replace any worker that died; its unsettled messages return when its locks expire."""
        if self._stopping:
            return
        for index, child in enumerate(self._children):
            if not child.is_alive():
                log.warning("worker %s exited with %s; starting another", child.pid, child.exitcode)
                self._children[index] = self._spawn()

    def stop(self, grace_seconds: float) -> None:
        """SIGTERM every worker, wait for them to finish in-flight work, then kill stragglers."""
        self._stopping = True
        for child in self._children:
            if child.is_alive():
                child.terminate()
        deadline = time.monotonic() + grace_seconds + 5
        for child in self._children:
            child.join(max(deadline - time.monotonic(), 0.1))
            if child.is_alive():
                child.kill()
                child.join()
