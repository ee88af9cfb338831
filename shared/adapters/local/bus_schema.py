"""The SQLite schema and statements of the local bus (see `shared.adapters.local.bus`).

Tables:
- `messages`: active and deferred messages. `lock_token` is the peek-lock of the current
  delivery; it only means something while the session lock it was taken under is live, and is
  cleared whenever the session is accepted anew or closed.
- `sessions`: one row per (queue, session): its lock, its turn in the fairness order
  (`last_accepted`, a per-queue counter) and `backlog`, kept by triggers, so that accepting a
  session only looks at sessions with messages.
- `dead_letters`: the dead-letter sub-queues; a dead letter keeps its sequence number.
- `dead_letter_locks`: peek-locks on dead letters held by dead-letter receivers (replay, purge).
- `seen_message_ids`: message ids inside the duplicate-detection window.
"""

from __future__ import annotations

_MESSAGE_COLUMNS = """\
    queue TEXT NOT NULL,
    session_id TEXT NOT NULL,
    message_id TEXT NOT NULL,
    body BLOB NOT NULL,
    content_type TEXT NOT NULL,
    properties TEXT NOT NULL,
    enqueued_at REAL NOT NULL,"""
"""The columns a message keeps from its send on, in the queue and in the dead-letter sub-queue."""

SCHEMA = f"""
CREATE TABLE IF NOT EXISTS messages (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
{_MESSAGE_COLUMNS}
    visible_at REAL NOT NULL,
    expires_at REAL,
    deferred INTEGER NOT NULL DEFAULT 0,
    delivery_count INTEGER NOT NULL DEFAULT 0,
    lock_token TEXT
);
CREATE INDEX IF NOT EXISTS messages_by_session
    ON messages (queue, session_id, deferred, seq);
CREATE INDEX IF NOT EXISTS messages_locked
    ON messages (queue, session_id) WHERE lock_token IS NOT NULL;
CREATE INDEX IF NOT EXISTS messages_by_expiry
    ON messages (queue, expires_at) WHERE expires_at IS NOT NULL;

CREATE TABLE IF NOT EXISTS sessions (
    id INTEGER PRIMARY KEY,
    queue TEXT NOT NULL,
    session_id TEXT NOT NULL,
    backlog INTEGER NOT NULL DEFAULT 0,
    last_accepted INTEGER NOT NULL DEFAULT 0,
    lock_token TEXT,
    locked_until REAL,
    UNIQUE (queue, session_id)
);
CREATE INDEX IF NOT EXISTS sessions_by_turn ON sessions (queue, last_accepted);
CREATE INDEX IF NOT EXISTS sessions_ready ON sessions (queue, last_accepted) WHERE backlog > 0;

CREATE TRIGGER IF NOT EXISTS messages_count_in AFTER INSERT ON messages BEGIN
    INSERT INTO sessions (queue, session_id, backlog) VALUES (NEW.queue, NEW.session_id, 1)
    ON CONFLICT (queue, session_id) DO UPDATE SET backlog = backlog + 1;
END;
CREATE TRIGGER IF NOT EXISTS messages_count_out AFTER DELETE ON messages BEGIN
    UPDATE sessions SET backlog = backlog - 1
    WHERE queue = OLD.queue AND session_id = OLD.session_id;
END;

CREATE TABLE IF NOT EXISTS dead_letters (
    seq INTEGER PRIMARY KEY,
{_MESSAGE_COLUMNS}
    delivery_count INTEGER NOT NULL,
    dead_lettered_at REAL NOT NULL,
    reason TEXT NOT NULL,
    description TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS dead_letters_by_queue ON dead_letters (queue, seq);

CREATE TABLE IF NOT EXISTS dead_letter_locks (
    seq INTEGER PRIMARY KEY,
    receiver TEXT NOT NULL,
    lock_token TEXT NOT NULL,
    locked_until REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS dead_letter_locks_by_receiver ON dead_letter_locks (receiver);

CREATE TABLE IF NOT EXISTS seen_message_ids (
    queue TEXT NOT NULL,
    message_id TEXT NOT NULL,
    seen_at REAL NOT NULL,
    PRIMARY KEY (queue, message_id)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS seen_message_ids_by_time ON seen_message_ids (seen_at);
"""  # noqa: S608 - the columns are a constant

# --- sending -------------------------------------------------------------------------------

MARK_SEEN = """
INSERT INTO seen_message_ids (queue, message_id, seen_at) VALUES (:queue, :message_id, :now)
ON CONFLICT (queue, message_id) DO UPDATE SET seen_at = excluded.seen_at
WHERE seen_at <= :window_start
"""
"""Changes one row when the id is new within the window, none when it is a duplicate."""

FORGET_SEEN = "DELETE FROM seen_message_ids WHERE seen_at <= :window_start"

INSERT_MESSAGE = """
INSERT INTO messages (queue, session_id, message_id, body, content_type, properties,
                      enqueued_at, visible_at, expires_at)
VALUES (:queue, :session_id, :message_id, :body, :content_type, :properties,
        :enqueued_at, :visible_at, :expires_at)
"""

# --- session locks -------------------------------------------------------------------------

NEXT_FREE_SESSION = """
SELECT s.session_id FROM sessions AS s INDEXED BY sessions_ready
WHERE s.queue = :queue AND s.backlog > 0
  AND (s.locked_until IS NULL OR s.locked_until <= :now)
  AND EXISTS (
      SELECT 1 FROM messages AS m
      WHERE m.queue = s.queue AND m.session_id = s.session_id AND m.deferred = 0
        AND m.visible_at <= :now AND (m.expires_at IS NULL OR m.expires_at > :now))
ORDER BY s.last_accepted, s.id
LIMIT 1
"""

ENSURE_SESSION = """
INSERT INTO sessions (queue, session_id) VALUES (:queue, :session_id)
ON CONFLICT (queue, session_id) DO NOTHING
"""

LOCK_SESSION = """
UPDATE sessions SET lock_token = :token, locked_until = :locked_until,
    last_accepted = (SELECT coalesce(max(last_accepted), 0) + 1 FROM sessions
                     WHERE queue = :queue)
WHERE queue = :queue AND session_id = :session_id
  AND (locked_until IS NULL OR locked_until <= :now)
"""

RENEW_SESSION = """
UPDATE sessions SET locked_until = :locked_until
WHERE queue = :queue AND session_id = :session_id AND lock_token = :token
  AND locked_until > :now
"""

UNLOCK_SESSION = """
UPDATE sessions SET lock_token = NULL, locked_until = NULL
WHERE queue = :queue AND session_id = :session_id AND lock_token = :token
"""

SESSION_LOCK_IS_LIVE = """
SELECT 1 FROM sessions
WHERE queue = :queue AND session_id = :session_id AND lock_token = :token
  AND locked_until > :now
"""

RELEASE_MESSAGE_LOCKS = """
UPDATE messages SET lock_token = NULL
WHERE queue = :queue AND session_id = :session_id AND lock_token IS NOT NULL
"""

# --- receiving and settling ----------------------------------------------------------------

NEXT_MESSAGES = """
SELECT seq, message_id, body, content_type, properties, enqueued_at, expires_at, delivery_count
FROM messages
WHERE queue = :queue AND session_id = :session_id AND deferred = 0 AND lock_token IS NULL
  AND visible_at <= :now
ORDER BY seq
LIMIT :limit
"""

DEFERRED_MESSAGES = """
SELECT seq, message_id, body, content_type, properties, enqueued_at, expires_at, delivery_count
FROM messages
WHERE queue = :queue AND session_id = :session_id AND deferred = 1 AND lock_token IS NULL
  AND seq IN (SELECT value FROM json_each(:sequence_numbers))
ORDER BY seq
"""

LOCK_MESSAGE = """
UPDATE messages SET lock_token = :lock_token, delivery_count = delivery_count + 1
WHERE seq = :seq
"""

_HELD_UNDER_LIVE_LOCK = """\
WHERE seq = :seq AND lock_token = :lock_token
  AND EXISTS (SELECT 1 FROM sessions
              WHERE queue = :queue AND session_id = :session_id AND lock_token = :token
                AND locked_until > :now)"""
"""The settle statements touch a message only while it is held under a live session lock."""

_RETURNING_TAKEN = """\
RETURNING seq, queue, session_id, message_id, body, content_type, properties, enqueued_at,
          delivery_count"""
"""What a statement that takes messages out of the queue returns of each, to dead-letter it."""

COMPLETE = f"""
DELETE FROM messages
{_HELD_UNDER_LIVE_LOCK}
"""  # noqa: S608 - built of constants

ABANDON = f"""
UPDATE messages SET lock_token = NULL
{_HELD_UNDER_LIVE_LOCK}
"""  # noqa: S608 - built of constants

DEFER = f"""
UPDATE messages SET lock_token = NULL, deferred = 1
{_HELD_UNDER_LIVE_LOCK}
"""  # noqa: S608 - built of constants

TAKE_HELD = f"""
DELETE FROM messages
{_HELD_UNDER_LIVE_LOCK}
{_RETURNING_TAKEN}
"""  # noqa: S608 - built of constants

TAKE = f"""
DELETE FROM messages WHERE seq = :seq
{_RETURNING_TAKEN}
"""  # noqa: S608 - built of constants

TAKE_EXPIRED = f"""
DELETE FROM messages
WHERE queue = :queue AND expires_at <= :now
  AND NOT (lock_token IS NOT NULL AND EXISTS (
      SELECT 1 FROM sessions AS s
      WHERE s.queue = messages.queue AND s.session_id = messages.session_id
        AND s.locked_until > :now))
{_RETURNING_TAKEN}
"""  # noqa: S608 - built of constants
"""Expired messages, except those delivered under a live session lock (as on Service Bus)."""

ANY_EXPIRED = "SELECT 1 FROM messages WHERE queue = :queue AND expires_at <= :now LIMIT 1"

BURY = """
INSERT INTO dead_letters (seq, queue, session_id, message_id, body, content_type, properties,
                          enqueued_at, delivery_count, dead_lettered_at, reason, description)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
"""

PEEK_DEAD_LETTERS = """
SELECT seq, session_id, message_id, body, properties, enqueued_at, delivery_count,
       dead_lettered_at, reason, description
FROM dead_letters
WHERE queue = :queue AND seq >= :from_seq
ORDER BY seq
LIMIT :limit
"""

ACTIVE_AND_SCHEDULED_BY_SESSION = """
SELECT session_id, sum(visible_at <= :now), sum(visible_at > :now)
FROM messages
WHERE queue = :queue AND (expires_at IS NULL OR expires_at > :now)
GROUP BY session_id
"""

DEAD_LETTERS_BY_SESSION = """
SELECT session_id, count(*) FROM dead_letters WHERE queue = :queue GROUP BY session_id
"""

# --- dead-letter receivers -----------------------------------------------------------------

NEXT_DEAD_LETTERS = """
SELECT d.seq, d.session_id, d.message_id, d.body, d.properties, d.enqueued_at, d.delivery_count,
       d.dead_lettered_at, d.reason, d.description, d.content_type
FROM dead_letters AS d LEFT JOIN dead_letter_locks AS l ON l.seq = d.seq
WHERE d.queue = :queue AND (l.seq IS NULL OR l.locked_until <= :now)
ORDER BY d.seq
LIMIT :limit
"""
"""Dead letters no receiver holds a live lock on."""

LOCK_DEAD_LETTER = """
INSERT INTO dead_letter_locks (seq, receiver, lock_token, locked_until)
VALUES (?, ?, ?, ?)
ON CONFLICT (seq) DO UPDATE SET receiver = excluded.receiver, lock_token = excluded.lock_token,
    locked_until = excluded.locked_until
"""

COMPLETE_DEAD_LETTER = """
DELETE FROM dead_letters
WHERE seq = :seq AND EXISTS (SELECT 1 FROM dead_letter_locks
                             WHERE seq = :seq AND lock_token = :lock_token
                               AND locked_until > :now)
"""

UNLOCK_DEAD_LETTER = "DELETE FROM dead_letter_locks WHERE seq = :seq AND lock_token = :lock_token"

UNLOCK_DEAD_LETTERS_OF = "DELETE FROM dead_letter_locks WHERE receiver = :receiver"
