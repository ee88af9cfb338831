"""The embedded document store: SQLite, one row per document, keyed by (tenant, collection, id)."""

from __future__ import annotations

import asyncio
import base64
import json
import re
import secrets
import sqlite3
from collections.abc import Mapping
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any

from shared.adapters.local.sqlite_file import SqliteFile
from shared.adapters.local.store_notices import StoreNotices
from shared.adapters.local.tenant_rows import TenantRowsFile, required_tenant
from shared.ports.store import (
    ETAG,
    Document,
    DocumentExists,
    DocumentMissing,
    EtagMismatch,
    Page,
    StoreUnavailable,
)

SCHEMA = """
CREATE TABLE IF NOT EXISTS documents (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    tenant_id TEXT NOT NULL,
    collection TEXT NOT NULL,
    id TEXT NOT NULL,
    etag TEXT NOT NULL,
    body TEXT NOT NULL,
    UNIQUE (tenant_id, collection, id)
);
CREATE INDEX IF NOT EXISTS documents_by_order ON documents (tenant_id, collection, seq);
"""

ANNOUNCED = frozenset({"jobs"})
"""Collections whose writes wake watchers in every process (`Prefer: wait` watches jobs)."""

_FIELD = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,63}$")


def _etag() -> str:
    return f'"{secrets.token_hex(8)}"'


def _out(body: str, etag: str) -> Document:
    doc: Document = json.loads(body)
    doc[ETAG] = etag
    return doc


def _in(doc: Document) -> tuple[str, str]:
    doc_id = doc.get("id")
    if not isinstance(doc_id, str) or not doc_id:
        raise ValueError("a document needs a string id")
    return doc_id, json.dumps({k: v for k, v in doc.items() if k != ETAG}, separators=(",", ":"))


def _cursor(seq: int) -> str:
    return base64.urlsafe_b64encode(str(seq).encode()).decode().rstrip("=")


_MAX_SEQ = 2**63 - 1
"""SQLite's largest INTEGER: a cursor past it would fail inside the driver, not as a bad cursor."""


def _seq(cursor: str) -> int:
    try:
        seq = int(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode())
    except (ValueError, UnicodeDecodeError) as exc:
        raise ValueError("invalid cursor") from exc
    if not 0 <= seq <= _MAX_SEQ:
        raise ValueError("invalid cursor")
    return seq


class SqliteStore(TenantRowsFile):
    """The `Store` port on one SQLite file shared by the ingress and every worker process."""

    TENANT_TABLES = ("documents",)

    def __init__(self, path: Path, *, announced: frozenset[str] = ANNOUNCED) -> None:
        super().__init__(SqliteFile(path, SCHEMA))
        self._notices = StoreNotices(path, announced)

    def for_tenant(self, tenant_id: str) -> SqliteTenantStore:
        """A view of one tenant's partition."""
        return SqliteTenantStore(self._db, required_tenant(tenant_id), self._notices)

    async def ping(self) -> None:
        """Raise `StoreUnavailable` unless the file answers."""
        try:
            await self._db.read(lambda c: c.execute("SELECT 1").fetchone())
        except sqlite3.Error as exc:
            raise StoreUnavailable(str(exc)) from exc

    async def close(self) -> None:
        """Stop announcing changes and close the file."""
        self._notices.close()
        await super().close()


class SqliteTenantStore:
    """One tenant's documents; every statement binds the tenant id given at construction."""

    def __init__(self, db: SqliteFile, tenant_id: str, notices: StoreNotices) -> None:
        self._db = db
        self._tenant = tenant_id
        self._notices = notices

    @property
    def tenant_id(self) -> str:
        return self._tenant

    def watch(self, collection: str, doc_id: str) -> AbstractContextManager[asyncio.Event]:
        """An event set whenever the document is written by any process (announced
        collections only: see `ANNOUNCED`), while the block lasts."""
        return self._notices.watch(self._tenant, collection, doc_id)

    def _changed(self, collection: str, doc_id: str) -> None:
        self._notices.changed(self._tenant, collection, doc_id)

    async def get(self, collection: str, doc_id: str) -> Document | None:
        """The document, or None."""

        def work(conn: sqlite3.Connection) -> Document | None:
            row = conn.execute(
                "SELECT body, etag FROM documents WHERE tenant_id=? AND collection=? AND id=?",
                (self._tenant, collection, doc_id),
            ).fetchone()
            return None if row is None else _out(row[0], row[1])

        return await self._db.read(work)

    async def create(self, collection: str, doc: Document) -> Document:
        """Insert (raises `DocumentExists`)."""
        stored, is_new = await self.create_if_absent(collection, doc)
        if not is_new:
            raise DocumentExists(f"{collection}/{doc['id']}")
        return stored

    async def create_if_absent(self, collection: str, doc: Document) -> tuple[Document, bool]:
        """Insert unless present; the stored document and whether it is new."""
        doc_id, body = _in(doc)
        etag = _etag()

        def work(conn: sqlite3.Connection) -> tuple[Document, bool]:
            cur = conn.execute(
                "INSERT INTO documents (tenant_id, collection, id, etag, body) VALUES (?,?,?,?,?) "
                "ON CONFLICT (tenant_id, collection, id) DO NOTHING",
                (self._tenant, collection, doc_id, etag, body),
            )
            if cur.rowcount == 1:
                return _out(body, etag), True
            row = conn.execute(
                "SELECT body, etag FROM documents WHERE tenant_id=? AND collection=? AND id=?",
                (self._tenant, collection, doc_id),
            ).fetchone()
            return _out(row[0], row[1]), False

        stored, is_new = await self._db.write(work)
        if is_new:
            self._changed(collection, doc_id)
        return stored, is_new

    async def upsert(self, collection: str, doc: Document) -> Document:
        """Insert or overwrite, keeping the original creation order."""
        doc_id, body = _in(doc)
        etag = _etag()
        await self._db.write(
            lambda conn: conn.execute(
                "INSERT INTO documents (tenant_id, collection, id, etag, body) VALUES (?,?,?,?,?) "
                "ON CONFLICT (tenant_id, collection, id) DO UPDATE SET etag=excluded.etag, "
                "body=excluded.body",
                (self._tenant, collection, doc_id, etag, body),
            )
        )
        self._changed(collection, doc_id)
        return _out(body, etag)

    async def replace(
        self, collection: str, doc: Document, *, if_match: str | None = None
    ) -> Document:
        """Overwrite an existing document, optionally only if its etag still matches."""
        doc_id, body = _in(doc)
        etag = _etag()

        def work(conn: sqlite3.Connection) -> None:
            self._check(conn, collection, doc_id, if_match)
            conn.execute(
                "UPDATE documents SET etag=?, body=? WHERE tenant_id=? AND collection=? AND id=?",
                (etag, body, self._tenant, collection, doc_id),
            )

        await self._db.write(work)
        self._changed(collection, doc_id)
        return _out(body, etag)

    async def delete(self, collection: str, doc_id: str, *, if_match: str | None = None) -> bool:
        """Remove; False if absent."""

        def work(conn: sqlite3.Connection) -> bool:
            try:
                self._check(conn, collection, doc_id, if_match)
            except DocumentMissing:
                return False
            conn.execute(
                "DELETE FROM documents WHERE tenant_id=? AND collection=? AND id=?",
                (self._tenant, collection, doc_id),
            )
            return True

        deleted = await self._db.write(work)
        if deleted:
            self._changed(collection, doc_id)
        return deleted

    def _check(
        self, conn: sqlite3.Connection, collection: str, doc_id: str, if_match: str | None
    ) -> None:
        row = conn.execute(
            "SELECT etag FROM documents WHERE tenant_id=? AND collection=? AND id=?",
            (self._tenant, collection, doc_id),
        ).fetchone()
        if row is None:
            raise DocumentMissing(f"{collection}/{doc_id}")
        if if_match not in (None, "*") and if_match != row[0]:
            raise EtagMismatch(f"{collection}/{doc_id}")

    async def list(
        self,
        collection: str,
        *,
        where: Mapping[str, str] | None = None,
        newest_first: bool = True,
        limit: int = 20,
        after: str | None = None,
    ) -> Page:
        """A page of documents in creation order, filtered by equality on top-level fields."""
        sql = ["SELECT seq, body, etag FROM documents WHERE tenant_id=? AND collection=?"]
        params: list[Any] = [self._tenant, collection]
        for name, value in (where or {}).items():
            if not _FIELD.match(name):
                raise ValueError(f"not a field name: {name!r}")
            sql.append(f"AND json_extract(body, '$.{name}') = ?")
            params.append(value)
        if after is not None:
            sql.append("AND seq < ?" if newest_first else "AND seq > ?")
            params.append(_seq(after))
        sql.append("ORDER BY seq DESC" if newest_first else "ORDER BY seq ASC")
        sql.append("LIMIT ?")
        params.append(limit + 1)
        query = " ".join(sql)

        def work(conn: sqlite3.Connection) -> Page:
            rows = conn.execute(query, params).fetchall()
            more = len(rows) > limit
            rows = rows[:limit]
            cursor = _cursor(rows[-1][0]) if more and rows else None
            return Page([_out(body, etag) for _, body, etag in rows], cursor)

        return await self._db.read(work)
