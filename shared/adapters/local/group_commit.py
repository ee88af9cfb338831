"""Group commit: concurrent writers share one SQLite transaction, each keeping its own outcome.

A commit costs the same whether it carries one write or fifty, so under load the writes that
arrive while a transaction is running are gathered and committed together in the next one.
Each write runs inside its own savepoint: one that fails is rolled back alone and its caller
gets its exception; the others are committed. A caller's future resolves only after the
commit that holds its write, so an acknowledged write is as durable as before. With no
concurrency a write is committed at once, as it would be alone.
"""

from __future__ import annotations

import asyncio
import functools
import sqlite3
from collections.abc import Awaitable, Callable
from typing import Any, Generic, TypeVar

W = TypeVar("W")

MAX_BATCH = 256
"""Writes per transaction at most, so a burst never holds the write lock for long."""

Outcome = tuple[bool, Any]
"""(True, result) or (False, the exception the write raised)."""


def run_in_savepoints(
    conn: sqlite3.Connection, works: list[Callable[[sqlite3.Connection], Any]]
) -> list[Outcome]:
    """Run each write in its own savepoint of the open transaction; their outcomes in order."""
    outcomes: list[Outcome] = []
    for work in works:
        conn.execute("SAVEPOINT write")
        try:
            result = work(conn)
        except Exception as exc:
            conn.execute("ROLLBACK TO write")
            conn.execute("RELEASE write")
            outcomes.append((False, exc))
        else:
            conn.execute("RELEASE write")
            outcomes.append((True, result))
    return outcomes


class GroupCommit(Generic[W]):
    """Collects writes of type `W` and hands them to `commit` in batches, one batch at a time.

    `commit(batch)` runs on the caller's chosen thread (through `run`) and returns one outcome
    per write; if it raises, every write of that batch gets the exception.
    """

    def __init__(
        self,
        commit: Callable[[list[W]], list[Outcome]],
        run: Callable[[Callable[[], list[Outcome]]], Awaitable[list[Outcome]]],
    ) -> None:
        self._commit = commit
        self._run = run
        self._pending: list[tuple[W, asyncio.Future[Any]]] = []
        self._flusher: asyncio.Task[None] | None = None

    async def submit(self, write: W) -> Any:
        """Queue `write` and wait until the transaction that holds it has committed."""
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self._pending.append((write, future))
        if self._flusher is None or self._flusher.done():
            self._flusher = asyncio.create_task(self._flush())
        return await future

    async def _flush(self) -> None:
        while self._pending:
            batch, self._pending = self._pending[:MAX_BATCH], self._pending[MAX_BATCH:]
            writes = [write for write, _ in batch]
            try:
                outcomes = await self._run(functools.partial(self._commit, writes))
            except BaseException as exc:
                for _, future in batch:
                    if not future.done():
                        future.set_exception(exc)
                if isinstance(exc, asyncio.CancelledError):
                    raise
                continue
            for (_, future), (ok, value) in zip(batch, outcomes, strict=True):
                if future.done():  # its caller stopped waiting; the write still happened
                    continue
                if ok:
                    future.set_result(value)
                else:
                    future.set_exception(value)
