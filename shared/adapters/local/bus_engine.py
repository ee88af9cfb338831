"""The SQL transactions of the local bus; internal to `shared.adapters.local.bus`.

Every `BusEngine` method runs on its bus's single worker thread and reads the time from the
injected clock once it holds the write lock, so tests can move time.
"""

from __future__ import annotations

import json
import sqlite3
import uuid
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from shared.adapters.local import bus_schema as sql
from shared.adapters.local.group_commit import Outcome, run_in_savepoints
from shared.ports.bus import (
    MAX_DELIVERY_COUNT_EXCEEDED,
    DeadLetter,
    ReceivedDeadLetter,
    ReceivedMessage,
    SessionCounts,
    SessionLockLost,
)

BUSY_TIMEOUT_SECONDS = 10.0
FORGET_SEEN_EVERY_SECONDS = 60.0
TTL_EXPIRED = "TTLExpiredException"


@dataclass(frozen=True)
class QueueProperties:
    """What Service Bus sets per queue, as the local bus keeps it for every queue."""

    lock_duration: float
    """Seconds a session lock lasts unless it is renewed."""
    duplicate_window: float
    """Seconds a message id is remembered, so that a second send of it is dropped."""
    max_delivery_count: int
    """Deliveries of a message before it is dead-lettered."""

    def __post_init__(self) -> None:
        if self.lock_duration <= 0 or self.duplicate_window < 0 or self.max_delivery_count < 1:
            raise ValueError("lock duration and max delivery count must be positive")


@dataclass(frozen=True)
class SessionLock:
    """A session lock as its receiver holds it."""

    queue: str
    session_id: str
    token: str

    def params(self, now: float) -> dict[str, Any]:
        """The statement parameters naming this lock at time `now`."""
        return {"queue": self.queue, "session_id": self.session_id, "token": self.token, "now": now}


class BusEngine:
    """The SQL work of a bus; every method runs on the bus's worker thread."""

    def __init__(self, path: Path, queues: QueueProperties, clock: Callable[[], float]) -> None:
        self._path = path
        self._queues = queues
        self._clock = clock
        self._connection: sqlite3.Connection | None = None
        self._seen_forgotten_at = float("-inf")

    @property
    def _conn(self) -> sqlite3.Connection:
        if self._connection is None:
            self._connection = _connect(self._path)
        return self._connection

    @contextmanager
    def _transaction(self) -> Iterator[tuple[sqlite3.Connection, float]]:
        """A write transaction and the time read once its write lock is held."""
        conn = self._conn
        conn.execute("BEGIN IMMEDIATE")
        try:
            yield conn, self._clock()
            conn.execute("COMMIT")
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise

    def send(self, queue: str, rows: list[dict[str, Any]]) -> None:
        """Insert the rows not seen within the duplicate window, all in one transaction."""
        ok, error = self.send_many([(queue, rows)])[0]
        if not ok:
            raise error

    def send_many(self, sends: list[tuple[str, list[dict[str, Any]]]]) -> list[Outcome]:
        """Several senders' batches in one transaction, each all-or-nothing in a savepoint."""
        with self._transaction() as (conn, now):
            window_start = now - self._queues.duplicate_window

            def insert(
                queue: str, rows: list[dict[str, Any]]
            ) -> Callable[[sqlite3.Connection], None]:
                def work(conn: sqlite3.Connection) -> None:
                    for row in rows:
                        seen = {"queue": queue, "message_id": row["message_id"], "now": now}
                        marked = conn.execute(sql.MARK_SEEN, seen | {"window_start": window_start})
                        if marked.rowcount:
                            conn.execute(sql.INSERT_MESSAGE, _timed(row, queue, now))

                return work

            outcomes = run_in_savepoints(conn, [insert(queue, rows) for queue, rows in sends])
            if not 0 <= now - self._seen_forgotten_at < FORGET_SEEN_EVERY_SECONDS:
                conn.execute(sql.FORGET_SEEN, {"window_start": window_start})
                self._seen_forgotten_at = now
            return outcomes

    def accept_next(
        self, queue: str, prefetch: int = 0
    ) -> tuple[SessionLock, float, list[ReceivedMessage]] | None:
        """Lock the least recently accepted free session with deliverable messages, if any,
        and deliver up to `prefetch` of its messages in the same transaction."""
        self._bury_expired(queue)
        probe = {"queue": queue, "now": self._clock()}
        if self._conn.execute(sql.NEXT_FREE_SESSION, probe).fetchone() is None:
            return None  # nothing to lock: no write transaction while receivers poll
        with self._transaction() as (conn, now):
            row = conn.execute(sql.NEXT_FREE_SESSION, {"queue": queue, "now": now}).fetchone()
            locked = None if row is None else self._lock_session(conn, now, queue, row[0])
            if locked is None:
                return None
            lock, locked_until = locked
            return lock, locked_until, self._deliver_next(conn, now, lock, prefetch)

    def accept_named(self, queue: str, session_id: str) -> tuple[SessionLock, float] | None:
        """Lock the named session (creating it) unless another receiver holds it."""
        with self._transaction() as (conn, now):
            conn.execute(sql.ENSURE_SESSION, {"queue": queue, "session_id": session_id})
            return self._lock_session(conn, now, queue, session_id)

    def _lock_session(
        self, conn: sqlite3.Connection, now: float, queue: str, session_id: str
    ) -> tuple[SessionLock, float] | None:
        lock = SessionLock(queue, session_id, uuid.uuid4().hex)
        locked_until = now + self._queues.lock_duration
        params = lock.params(now) | {"locked_until": locked_until}
        if not conn.execute(sql.LOCK_SESSION, params).rowcount:
            return None
        conn.execute(sql.RELEASE_MESSAGE_LOCKS, lock.params(now))
        return lock, locked_until

    def renew(self, lock: SessionLock) -> float:
        """Extend a live session lock; its new expiry."""
        now = self._clock()
        locked_until = now + self._queues.lock_duration
        params = lock.params(now) | {"locked_until": locked_until}
        if not self._conn.execute(sql.RENEW_SESSION, params).rowcount:
            raise SessionLockLost(f"the lock on session {lock.session_id!r} was lost")
        return locked_until

    def release(self, lock: SessionLock) -> None:
        """Unlock the session and its delivered messages, unless the lock was taken since."""
        with self._transaction() as (conn, now):
            if conn.execute(sql.UNLOCK_SESSION, lock.params(now)).rowcount:
                conn.execute(sql.RELEASE_MESSAGE_LOCKS, lock.params(now))

    def receive(self, lock: SessionLock, max_messages: int) -> list[ReceivedMessage]:
        """Deliver up to `max_messages` messages of the session in sequence order."""
        with self._transaction() as (conn, now):
            self._check_lock(conn, lock, now)
            return self._deliver_next(conn, now, lock, max_messages)

    def _deliver_next(
        self, conn: sqlite3.Connection, now: float, lock: SessionLock, max_messages: int
    ) -> list[ReceivedMessage]:
        delivered: list[ReceivedMessage] = []
        while len(delivered) < max_messages:
            limit = max_messages - len(delivered)
            params = lock.params(now) | {"limit": limit}
            rows = conn.execute(sql.NEXT_MESSAGES, params).fetchall()
            delivered += self._deliver(conn, now, lock, rows)
            if len(rows) < limit:
                break
        return delivered

    def receive_deferred(
        self, lock: SessionLock, sequence_numbers: list[int]
    ) -> list[ReceivedMessage]:
        """Deliver the named deferred messages of the session that are not already held."""
        with self._transaction() as (conn, now):
            self._check_lock(conn, lock, now)
            params = lock.params(now) | {"sequence_numbers": json.dumps(sequence_numbers)}
            rows = conn.execute(sql.DEFERRED_MESSAGES, params).fetchall()
            return self._deliver(conn, now, lock, rows)

    def _deliver(
        self, conn: sqlite3.Connection, now: float, lock: SessionLock, rows: list[Any]
    ) -> list[ReceivedMessage]:
        """Lock the deliverable rows and dead-letter the expired and the too often delivered."""
        delivered: list[ReceivedMessage] = []
        for seq, message_id, body, content_type, properties, enqueued, expires, count in rows:
            if expires is not None and expires <= now:
                self._bury(conn, now, sql.TAKE, {"seq": seq}, TTL_EXPIRED, "The message expired.")
            elif count >= self._queues.max_delivery_count:
                why = f"Delivered {count} times, the maximum."
                self._bury(conn, now, sql.TAKE, {"seq": seq}, MAX_DELIVERY_COUNT_EXCEEDED, why)
            else:
                message = ReceivedMessage(
                    body=body,
                    session_id=lock.session_id,
                    message_id=message_id,
                    sequence_number=seq,
                    delivery_count=count + 1,
                    enqueued_time=to_datetime(enqueued),
                    content_type=content_type,
                    application_properties=json.loads(properties),
                    lock_token=uuid.uuid4().hex,
                )
                delivered.append(message)
        conn.executemany(
            sql.LOCK_MESSAGE,
            [{"seq": m.sequence_number, "lock_token": m.lock_token} for m in delivered],
        )
        return delivered

    def settle(self, lock: SessionLock, message: ReceivedMessage, statement: str) -> None:
        """Complete, abandon or defer a held message with its settle statement."""
        now = self._clock()
        params = _held(lock, message, now)
        if not self._conn.execute(statement, params).rowcount:
            self._explain_unsettled(self._conn, lock, now)

    def dead_letter(
        self, lock: SessionLock, message: ReceivedMessage, reason: str, description: str
    ) -> None:
        """Move a held message to the dead letters with a reason."""
        with self._transaction() as (conn, now):
            if not self._bury(
                conn, now, sql.TAKE_HELD, _held(lock, message, now), reason, description
            ):
                self._explain_unsettled(conn, lock, now)

    def peek_dead_letters(self, queue: str, max_count: int, from_seq: int) -> list[DeadLetter]:
        """The dead letters of a queue from a sequence number on, expired messages included."""
        self._bury_expired(queue)
        params = {"queue": queue, "from_seq": from_seq, "limit": max_count}
        return [_dead_letter(row) for row in self._conn.execute(sql.PEEK_DEAD_LETTERS, params)]

    def session_counts(self, queue: str) -> list[SessionCounts]:
        """Active, scheduled and dead-lettered messages per session, by session id."""
        self._bury_expired(queue)
        params = {"queue": queue, "now": self._clock()}
        waiting = {
            session: (int(active), int(scheduled))
            for session, active, scheduled in self._conn.execute(
                sql.ACTIVE_AND_SCHEDULED_BY_SESSION, params
            )
        }
        dead = dict(self._conn.execute(sql.DEAD_LETTERS_BY_SESSION, params).fetchall())
        return [
            SessionCounts(
                session_id=session,
                active=waiting.get(session, (0, 0))[0],
                scheduled=waiting.get(session, (0, 0))[1],
                dead_lettered=int(dead.get(session, 0)),
            )
            for session in sorted(waiting.keys() | dead.keys())
        ]

    def receive_dead_letters(
        self, queue: str, receiver: str, max_messages: int
    ) -> list[ReceivedDeadLetter]:
        """Lock up to `max_messages` dead letters no one holds for `receiver`, in seq order."""
        self._bury_expired(queue)
        with self._transaction() as (conn, now):
            params = {"queue": queue, "now": now, "limit": max_messages}
            held = [
                ReceivedDeadLetter(
                    **vars(_dead_letter(row[:10])),
                    content_type=row[10],
                    lock_token=uuid.uuid4().hex,
                )
                for row in conn.execute(sql.NEXT_DEAD_LETTERS, params).fetchall()
            ]
            until = now + self._queues.lock_duration
            locks = [(d.sequence_number, receiver, d.lock_token, until) for d in held]
            conn.executemany(sql.LOCK_DEAD_LETTER, locks)
            return held

    def complete_dead_letter(self, dead: ReceivedDeadLetter) -> None:
        """Delete a dead letter held under a live lock."""
        with self._transaction() as (conn, now):
            params = {"seq": dead.sequence_number, "lock_token": dead.lock_token, "now": now}
            if not conn.execute(sql.COMPLETE_DEAD_LETTER, params).rowcount:
                raise ValueError("the dead letter is not locked by this receiver (expired?)")
            conn.execute(sql.UNLOCK_DEAD_LETTER, params)

    def unlock_dead_letter(self, dead: ReceivedDeadLetter) -> None:
        """Give one held dead letter back."""
        params = {"seq": dead.sequence_number, "lock_token": dead.lock_token}
        self._conn.execute(sql.UNLOCK_DEAD_LETTER, params)

    def unlock_dead_letters_of(self, receiver: str) -> None:
        """Give back every dead letter `receiver` holds."""
        self._conn.execute(sql.UNLOCK_DEAD_LETTERS_OF, {"receiver": receiver})

    def ping(self) -> None:
        """Read from the file (opening it and creating the schema first if needed)."""
        self._conn.execute("SELECT count(*) FROM sessions").fetchone()

    def close(self) -> None:
        """Close the connection."""
        if self._connection is not None:
            self._connection.close()
            self._connection = None

    def _bury_expired(self, queue: str) -> None:
        """Move the queue's expired messages to its dead letters (only a read if none)."""
        if self._conn.execute(sql.ANY_EXPIRED, {"queue": queue, "now": self._clock()}).fetchone():
            with self._transaction() as (conn, now):
                params = {"queue": queue, "now": now}
                self._bury(conn, now, sql.TAKE_EXPIRED, params, TTL_EXPIRED, "The message expired.")

    @staticmethod
    def _bury(
        conn: sqlite3.Connection,
        now: float,
        take: str,
        params: Mapping[str, Any],
        reason: str,
        description: str,
    ) -> int:
        """Delete the messages `take` returns into the dead letters; how many there were."""
        taken = conn.execute(take, params).fetchall()
        conn.executemany(sql.BURY, [(*row, now, reason, description) for row in taken])
        return len(taken)

    @staticmethod
    def _check_lock(conn: sqlite3.Connection, lock: SessionLock, now: float) -> None:
        if conn.execute(sql.SESSION_LOCK_IS_LIVE, lock.params(now)).fetchone() is None:
            raise SessionLockLost(f"the lock on session {lock.session_id!r} was lost")

    @classmethod
    def _explain_unsettled(cls, conn: sqlite3.Connection, lock: SessionLock, now: float) -> None:
        cls._check_lock(conn, lock, now)
        raise ValueError("the message is not locked by this receiver (already settled?)")


def _connect(path: Path) -> sqlite3.Connection:
    path.parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(path, timeout=BUSY_TIMEOUT_SECONDS, isolation_level=None)
    try:
        conn.execute("PRAGMA journal_mode = WAL")
        conn.execute("PRAGMA synchronous = NORMAL")
        conn.executescript(f"BEGIN IMMEDIATE;\n{sql.SCHEMA}\nCOMMIT;")
    except BaseException:
        conn.close()
        raise
    return conn


def _timed(row: dict[str, Any], queue: str, now: float) -> dict[str, Any]:
    visible_at = now if row["scheduled_at"] is None else max(now, row["scheduled_at"])
    expires_at = None if row["ttl"] is None else visible_at + row["ttl"]
    return row | {
        "queue": queue,
        "enqueued_at": now,
        "visible_at": visible_at,
        "expires_at": expires_at,
    }


def _held(lock: SessionLock, message: ReceivedMessage, now: float) -> dict[str, Any]:
    return lock.params(now) | {"seq": message.sequence_number, "lock_token": message.lock_token}


def _dead_letter(row: tuple[Any, ...]) -> DeadLetter:
    seq, session_id, message_id, body, properties, enqueued, count, buried, reason, why = row
    return DeadLetter(
        body=body,
        session_id=session_id,
        message_id=message_id,
        sequence_number=seq,
        delivery_count=count,
        enqueued_time=to_datetime(enqueued),
        dead_lettered_time=to_datetime(buried),
        reason=reason,
        description=why,
        application_properties=json.loads(properties),
    )


def to_datetime(timestamp: float) -> datetime:
    """A clock reading as a timezone-aware UTC datetime."""
    return datetime.fromtimestamp(timestamp, UTC)
