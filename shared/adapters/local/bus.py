"""The local bus: session-enabled queues in one SQLite file, with Azure Service Bus semantics.

Several OS processes, and several receivers in one process, share the file safely: WAL mode,
a busy timeout and short `BEGIN IMMEDIATE` write transactions; session locks are rows, so they
are exclusive across processes. With `synchronous=NORMAL` in WAL mode a committed transaction
survives SIGKILL of any process (it is in the WAL, which the OS keeps); only a power loss or
an OS crash may lose the last transactions. `send` returns after its commit.

Each bus instance owns one connection, used only from its own single worker thread, so the
async API never blocks the event loop. Every time decision reads the injectable `clock`.
The SQL lives in `bus_engine` (transactions) and `bus_schema` (tables and statements).
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import hashlib
import json
import re
import sqlite3
import time
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from pathlib import Path
from typing import Any, ParamSpec, TypeVar

from shared.adapters.local import bus_schema as sql
from shared.adapters.local.bus_engine import BusEngine, QueueProperties, SessionLock, to_datetime
from shared.adapters.local.doorbell import Doorbell, bells_directory
from shared.adapters.local.group_commit import GroupCommit
from shared.ports.bus import (
    MAX_DELIVERY_COUNT,
    MAX_MESSAGE_BYTES,
    BusUnavailable,
    DeadLetter,
    MessageTooLarge,
    NoSessionAvailable,
    OutgoingMessage,
    ReceivedDeadLetter,
    ReceivedMessage,
    SessionCounts,
)

P = ParamSpec("P")
T = TypeVar("T")

_MAX_ID_LENGTH = 128
_QUEUE_NAME = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9._/-]{0,258}[A-Za-z0-9])?")
_POLL_FIRST_SECONDS = 0.005
_POLL_MAX_SECONDS = 0.1


class SqliteBus:
    """The `Bus` port on an embedded SQLite file; queues are created implicitly by name."""

    counts_waiting_messages = True

    def __init__(
        self,
        path: Path,
        *,
        lock_duration_seconds: float = 30.0,
        duplicate_window_seconds: float = 600.0,
        max_delivery_count: int = MAX_DELIVERY_COUNT,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._engine = BusEngine(
            path,
            QueueProperties(lock_duration_seconds, duplicate_window_seconds, max_delivery_count),
            clock,
        )
        self._worker = _Worker()
        self._sends: GroupCommit[tuple[str, list[dict[str, Any]]]] = GroupCommit(
            self._engine.send_many, self._worker.run
        )
        """Concurrent senders share a transaction; each still gets its own outcome."""
        self._held: set[SessionLock] = set()
        """Locks of this bus's open receivers, released when the bus closes."""
        self._path = path
        self._bells: dict[str, QueueBell] = {}
        """Per queue: rung on a send or a released session, by any process on the file."""

    def _bell(self, queue: str) -> QueueBell:
        bell = self._bells.get(queue)
        if bell is None:
            bell = self._bells[queue] = QueueBell(self._path, queue)
        return bell

    async def send(self, queue: str, messages: list[OutgoingMessage]) -> None:
        """Durably enqueue all of `messages` or none; duplicates within the window are dropped."""
        _check_queue(queue)
        rows = [_outgoing_row(message) for message in messages]
        if rows:
            await self._sends.submit((queue, rows))
            self._bell(queue).ring()

    async def accept_next_session(
        self, queue: str, *, wait_seconds: float = 0.0, prefetch: int = 0
    ) -> SqliteSessionReceiver:
        """Lock the free session with deliverable messages that was least recently accepted.

        Its first `prefetch` messages are delivered in the same transaction as the lock (one
        write instead of two for a session's first batch); the first `receive` returns them.
        """
        _check_queue(queue)
        if prefetch < 0:
            raise ValueError("prefetch must not be negative")
        deadline = asyncio.get_running_loop().time() + max(wait_seconds, 0.0)
        rung = self._bell(queue).listen() if wait_seconds > 0 else None
        pause = _POLL_FIRST_SECONDS
        while True:
            if rung is not None:
                rung.clear()  # before looking, so a ring while looking is not lost
            accepted = await self._accept_once(queue, prefetch)
            if accepted is not None:
                lock, locked_until, prefetched = accepted
                return self._receiver(lock, locked_until, prefetched)
            remaining = deadline - asyncio.get_running_loop().time()
            if remaining <= 0:
                raise NoSessionAvailable(f"no session of {queue!r} is free with messages")
            # a ring wakes the wait at once; the back-off is for what no one rings for
            # (scheduled messages coming due, locks expiring)
            if rung is None:
                await asyncio.sleep(min(pause, remaining))
            else:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(rung.wait(), min(pause, remaining))
            pause = min(pause * 2, _POLL_MAX_SECONDS)

    async def _accept_once(
        self, queue: str, prefetch: int
    ) -> tuple[SessionLock, float, list[ReceivedMessage]] | None:
        """One attempt. Cancelling it is safe: the transaction under way is let finish, and a
        lock it took goes back before the cancellation goes on."""
        attempt = asyncio.ensure_future(self._worker.run(self._engine.accept_next, queue, prefetch))
        try:
            return await asyncio.shield(attempt)
        except asyncio.CancelledError:
            with contextlib.suppress(Exception):
                accepted = await attempt
                if accepted is not None:
                    await self._worker.run(self._engine.release, accepted[0])
                    self._bell(queue).ring()
            raise

    async def accept_session(self, queue: str, session_id: str) -> SqliteSessionReceiver:
        """Lock one named session, even an empty one; `NoSessionAvailable` if it is held."""
        _check_queue(queue)
        _check_id("session_id", session_id)
        accepted = await self._worker.run(self._engine.accept_named, queue, session_id)
        if accepted is None:
            raise NoSessionAvailable(f"session {session_id!r} of {queue!r} is locked")
        return self._receiver(*accepted)

    def _receiver(
        self,
        lock: SessionLock,
        locked_until: float,
        prefetched: list[ReceivedMessage] | None = None,
    ) -> SqliteSessionReceiver:
        self._held.add(lock)
        return SqliteSessionReceiver(
            self._engine,
            self._worker,
            lock,
            locked_until,
            self._held,
            prefetched or [],
            self._bell(lock.queue).ring,
        )

    async def peek_dead_letters(
        self, queue: str, *, max_count: int = 100, from_sequence_number: int = 0
    ) -> list[DeadLetter]:
        """Dead letters of a queue in sequence order, without locking them."""
        _check_queue(queue)
        if max_count < 1:
            raise ValueError("max_count must be at least 1")
        return await self._worker.run(
            self._engine.peek_dead_letters, queue, max_count, from_sequence_number
        )

    async def open_dead_letter_receiver(self, queue: str) -> SqliteDeadLetterReceiver:
        """A peek-lock receiver of the queue's dead letters (locks last the lock duration)."""
        _check_queue(queue)
        return SqliteDeadLetterReceiver(self._engine, self._worker, queue)

    async def session_counts(self, queue: str) -> list[SessionCounts]:
        """Active, scheduled and dead-lettered messages per session (one read, no lock taken)."""
        _check_queue(queue)
        return await self._worker.run(self._engine.session_counts, queue)

    async def ping(self) -> None:
        """Raise `BusUnavailable` unless the file answers."""
        await self._worker.run(self._engine.ping)

    async def close(self) -> None:
        """Release the open receivers' session locks, close the connection and stop the thread.

        Later calls raise `BusUnavailable`.
        """
        if self._worker.closed:
            return
        held = list(self._held)
        self._held.clear()
        with contextlib.suppress(BusUnavailable):
            for lock in held:
                await self._worker.run(self._engine.release, lock)
                self._bell(lock.queue).ring()
        for bell in self._bells.values():
            bell.close()
        await self._worker.close(self._engine.close)


class SqliteSessionReceiver:
    """One accepted session of a `SqliteBus`: receive in order, settle under the session lock."""

    def __init__(
        self,
        engine: BusEngine,
        worker: _Worker,
        lock: SessionLock,
        locked_until: float,
        held: set[SessionLock],
        prefetched: list[ReceivedMessage],
        released: Callable[[], None],
    ) -> None:
        self._prefetched = prefetched
        self._released = released
        self._engine = engine
        self._worker = worker
        self._lock = lock
        self._locked_until = locked_until
        self._held = held

    @property
    def session_id(self) -> str:
        """The accepted session."""
        return self._lock.session_id

    @property
    def locked_until(self) -> datetime:
        """When the session lock expires unless renewed (as of the last accept or renewal)."""
        return to_datetime(self._locked_until)

    async def receive(self, max_messages: int = 1) -> list[ReceivedMessage]:
        """Up to `max_messages` deliverable messages of this session, oldest first, locked."""
        if max_messages < 1:
            raise ValueError("max_messages must be at least 1")
        if self._prefetched:
            given, self._prefetched = (
                self._prefetched[:max_messages],
                self._prefetched[max_messages:],
            )
            return given
        return await self._worker.run(self._engine.receive, self._lock, max_messages)

    async def complete(self, message: ReceivedMessage) -> None:
        """Remove the message: it was handled."""
        await self._worker.run(self._engine.settle, self._lock, message, sql.COMPLETE)

    async def abandon(self, message: ReceivedMessage) -> None:
        """Give the message back at the head of its session; its delivery count stays raised."""
        await self._worker.run(self._engine.settle, self._lock, message, sql.ABANDON)

    async def dead_letter(
        self, message: ReceivedMessage, *, reason: str, description: str = ""
    ) -> None:
        """Move the message to the dead-letter sub-queue with a reason a person can act on."""
        await self._worker.run(self._engine.dead_letter, self._lock, message, reason, description)

    async def defer(self, message: ReceivedMessage) -> None:
        """Set the message aside; only `receive_deferred` with its sequence number returns it."""
        await self._worker.run(self._engine.settle, self._lock, message, sql.DEFER)

    async def receive_deferred(self, sequence_numbers: list[int]) -> list[ReceivedMessage]:
        """The deferred messages of this session with these sequence numbers, locked."""
        if not sequence_numbers:
            return []
        return await self._worker.run(self._engine.receive_deferred, self._lock, sequence_numbers)

    async def renew_lock(self) -> datetime:
        """Extend the session lock; raises `SessionLockLost` if it is already gone."""
        self._locked_until = await self._worker.run(self._engine.renew, self._lock)
        return self.locked_until

    async def close(self) -> None:
        """Release the session lock; unsettled messages become deliverable again."""
        if self._lock not in self._held or self._worker.closed:
            return
        self._held.discard(self._lock)
        await self._worker.run(self._engine.release, self._lock)
        self._released()  # its remaining messages may be taken now, here or elsewhere


class SqliteDeadLetterReceiver:
    """Peek-locks on one queue's dead letters; what it still holds goes back when it closes."""

    def __init__(self, engine: BusEngine, worker: _Worker, queue: str) -> None:
        self._engine = engine
        self._worker = worker
        self._queue = queue
        self._id = uuid.uuid4().hex

    async def receive(self, max_messages: int = 1) -> list[ReceivedDeadLetter]:
        """Up to `max_messages` dead letters no one holds, in sequence order, each locked."""
        if max_messages < 1:
            raise ValueError("max_messages must be at least 1")
        return await self._worker.run(
            self._engine.receive_dead_letters, self._queue, self._id, max_messages
        )

    async def complete(self, dead_letter: ReceivedDeadLetter) -> None:
        """Remove the dead letter for good."""
        await self._worker.run(self._engine.complete_dead_letter, dead_letter)

    async def abandon(self, dead_letter: ReceivedDeadLetter) -> None:
        """Give the dead letter back for any receiver."""
        await self._worker.run(self._engine.unlock_dead_letter, dead_letter)

    async def close(self) -> None:
        """Give back every dead letter still held."""
        if not self._worker.closed:
            await self._worker.run(self._engine.unlock_dead_letters_of, self._id)


class QueueBell:
    """One queue's doorbell: rings reach this process's waiters and every other process's."""

    def __init__(self, path: Path, queue: str) -> None:
        name = "q-" + hashlib.sha256(queue.encode()).hexdigest()[:16]
        self._doorbell = Doorbell(bells_directory(path), name)
        self._rung: asyncio.Event | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    def ring(self) -> None:
        """Wake the waiters of this queue, here and in other processes."""
        if self._rung is not None:
            self._rung.set()
        self._doorbell.ring()

    def listen(self) -> asyncio.Event:
        """An event set by every ring (from now on, by any process)."""
        loop = asyncio.get_running_loop()
        if self._rung is None or self._loop is not loop:
            self._rung, self._loop = asyncio.Event(), loop
            self._doorbell.listen(lambda _key: self._on_ring())
        return self._rung

    def _on_ring(self) -> None:
        if self._rung is not None:
            self._rung.set()

    def close(self) -> None:
        """Stop listening."""
        self._doorbell.close()


class _Worker:
    """The single thread on which a bus instance's SQLite connection lives."""

    def __init__(self) -> None:
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="sqlite-bus")
        self.closed = False

    async def run(self, fn: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
        if self.closed:
            raise BusUnavailable("the local bus is closed")
        call = functools.partial(_translating_errors, fn, *args, **kwargs)
        return await asyncio.get_running_loop().run_in_executor(self._executor, call)

    async def close(self, last_call: Callable[[], None]) -> None:
        if self.closed:
            return
        try:
            await self.run(last_call)
        finally:
            self.closed = True
            self._executor.shutdown(wait=False)


def _translating_errors(fn: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
    try:
        return fn(*args, **kwargs)
    except (sqlite3.IntegrityError, sqlite3.ProgrammingError, sqlite3.InterfaceError):
        raise
    except sqlite3.Error as error:
        raise BusUnavailable(f"the local bus file cannot be used: {error}") from error


def _check_queue(queue: str) -> None:
    if not _QUEUE_NAME.fullmatch(queue):
        raise ValueError(f"invalid queue name {queue!r}")


def _check_id(name: str, value: str) -> None:
    if not value or len(value) > _MAX_ID_LENGTH:
        raise ValueError(f"{name} must have 1 to {_MAX_ID_LENGTH} characters")


def _outgoing_row(message: OutgoingMessage) -> dict[str, Any]:
    """Validate a message before anything is written and turn it into its row's parameters."""
    _check_id("message_id", message.message_id)
    _check_id("session_id", message.session_id)
    properties = message.application_properties
    size = len(message.body) + sum(
        len(k.encode()) + len(str(v).encode()) for k, v in properties.items()
    )
    if size > MAX_MESSAGE_BYTES:
        raise MessageTooLarge(f"message {message.message_id!r} has {size} bytes")
    ttl = message.time_to_live_seconds
    if ttl is not None and ttl <= 0:
        raise ValueError("time_to_live_seconds must be positive")
    scheduled = message.scheduled_enqueue_time
    if scheduled is not None and scheduled.tzinfo is None:
        raise ValueError("scheduled_enqueue_time must be timezone-aware")
    return {
        "session_id": message.session_id,
        "message_id": message.message_id,
        "body": message.body,
        "content_type": message.content_type,
        "properties": json.dumps(dict(properties)),
        "scheduled_at": None if scheduled is None else scheduled.timestamp(),
        "ttl": ttl,
    }
