"""Group commit: concurrent writes share transactions, yet each keeps its own outcome."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

import pytest

from shared.adapters.local.sqlite_file import SqliteFile

SCHEMA = "CREATE TABLE IF NOT EXISTS t (k TEXT PRIMARY KEY, v INTEGER NOT NULL);"


def _insert(key: str, value: int):  # type: ignore[no-untyped-def]
    def work(conn: sqlite3.Connection) -> str:
        conn.execute("INSERT INTO t VALUES (?, ?)", (key, value))
        return key

    return work


def _count(path: Path) -> int:
    with sqlite3.connect(path) as conn:
        return int(conn.execute("SELECT count(*) FROM t").fetchone()[0])


async def test_a_failing_write_is_rolled_back_alone_and_the_others_commit(tmp_path: Path) -> None:
    db = SqliteFile(tmp_path / "g.sqlite3", SCHEMA)
    await db.write(_insert("taken", 0))
    works = [_insert(f"k{i}", i) for i in range(50)] + [_insert("taken", 1)]
    results = await asyncio.gather(*(db.write(w) for w in works), return_exceptions=True)
    assert results[:50] == [f"k{i}" for i in range(50)]
    assert isinstance(results[50], sqlite3.IntegrityError)
    assert _count(tmp_path / "g.sqlite3") == 51  # visible to another connection: committed
    await db.close()


async def test_a_write_that_partly_ran_leaves_nothing_behind(tmp_path: Path) -> None:
    db = SqliteFile(tmp_path / "g.sqlite3", SCHEMA)

    def half_then_fail(conn: sqlite3.Connection) -> None:
        conn.execute("INSERT INTO t VALUES ('half', 1)")
        raise ValueError("changed my mind")

    with pytest.raises(ValueError, match="changed my mind"):
        await asyncio.gather(db.write(half_then_fail), db.write(_insert("kept", 2)))
    await asyncio.sleep(0)
    assert _count(tmp_path / "g.sqlite3") == 1
    await db.close()


async def test_concurrent_writes_share_fewer_transactions_than_writes(tmp_path: Path) -> None:
    db = SqliteFile(tmp_path / "g.sqlite3", SCHEMA)
    commits = 0
    original = db._commit

    def counting(works):  # type: ignore[no-untyped-def]
        nonlocal commits
        commits += 1
        return original(works)

    db._writes._commit = counting  # type: ignore[method-assign]
    await asyncio.gather(*(db.write(_insert(f"k{i}", i)) for i in range(200)))
    assert _count(tmp_path / "g.sqlite3") == 200
    assert commits < 200
    await db.close()
