"""One SQLite connection driven from its own thread, so async callers never block the loop."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, TypeVar

from shared.adapters.local.group_commit import GroupCommit, Outcome, run_in_savepoints

T = TypeVar("T")


class SqliteFile:
    """A WAL-mode SQLite database shared safely by several processes.

    Writes are short `BEGIN IMMEDIATE` transactions; `synchronous=NORMAL` in WAL mode keeps every
    committed transaction through a crash (SIGKILL) of any process, though not through power loss.
    Concurrent writes share transactions (`group_commit`), each in its own savepoint.
    """

    def __init__(self, path: Path, schema: str) -> None:
        self.path = path
        self._schema = schema
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix=f"sqlite-{path.name}")
        self._conn: sqlite3.Connection | None = None
        self._writes: GroupCommit[Callable[[sqlite3.Connection], Any]] = GroupCommit(
            self._commit, self._on_thread
        )

    def _connect(self) -> sqlite3.Connection:
        if self._conn is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            conn = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
            conn.execute("PRAGMA busy_timeout = 10000")
            conn.execute("PRAGMA journal_mode = WAL")
            conn.execute("PRAGMA synchronous = NORMAL")
            conn.executescript(self._schema)
            self._conn = conn
        return self._conn

    def _commit(self, works: list[Callable[[sqlite3.Connection], Any]]) -> list[Outcome]:
        conn = self._connect()
        conn.execute("BEGIN IMMEDIATE")
        try:
            outcomes = run_in_savepoints(conn, works)
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")
        return outcomes

    async def _on_thread(self, call: Callable[[], list[Outcome]]) -> list[Outcome]:
        return await asyncio.get_running_loop().run_in_executor(self._executor, call)

    async def write(self, work: Callable[[sqlite3.Connection], T]) -> T:
        """Run `work` in a write transaction on the connection's thread; returns after commit."""
        result: T = await self._writes.submit(work)
        return result

    async def read(self, work: Callable[[sqlite3.Connection], T]) -> T:
        """Run `work` (reads only) on the connection's thread."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._executor, lambda: work(self._connect()))

    async def close(self) -> None:
        """Close the connection and stop its thread."""

        def _close() -> None:
            if self._conn is not None:
                self._conn.close()
                self._conn = None

        loop = asyncio.get_running_loop()
        await loop.run_in_executor(self._executor, _close)
        self._executor.shutdown(wait=False)
