"""The embedded search index: SQLite FTS5 (BM25), cosine vector search, and their fusion.

Every statement names the tenant the view was made for, and a document's key is the pair
(tenant, id), so two tenants indexing `doc1` keep two documents. Vectors come from the embedder
given at construction; without one, vector and hybrid queries raise `EmbedderMissing`.
"""

from __future__ import annotations

import json
import sqlite3
from collections import OrderedDict
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from shared.adapters.local.rank_fusion import reciprocal_rank_fusion
from shared.adapters.local.search_sql import (
    BM25_WEIGHTS,
    COLUMNS,
    MATCH_ALL,
    SCHEMA,
    filter_sql,
    fts_query,
)
from shared.adapters.local.sqlite_file import SqliteFile
from shared.adapters.local.tenant_rows import TenantRowsFile, required_tenant
from shared.adapters.local.vectors import TenantVectors, stack, to_blob, top_k
from shared.ports.search import (
    Embedder,
    EmbedderMissing,
    FieldFilter,
    SearchDocument,
    SearchHit,
    SearchMode,
)

EMBED_BATCH = 64
HYBRID_CANDIDATES = 50
"""How many of each ranking hybrid search fuses (at least `top`)."""
MAX_TOP = 1000
CACHED_TENANTS = 16
"""Tenants whose vectors stay in memory between queries (least recently used go first)."""


class SqliteSearchIndex(TenantRowsFile):
    """The `SearchIndex` port on an embedded SQLite file."""

    TENANT_TABLES = ("docs",)

    def __init__(self, path: Path, *, embedder: Embedder | None = None) -> None:
        super().__init__(SqliteFile(path, SCHEMA))
        self.embedder = embedder
        self._vectors: OrderedDict[str, TenantVectors] = OrderedDict()

    def for_tenant(self, tenant_id: str) -> SqliteTenantIndex:
        """The slice of one tenant."""
        return SqliteTenantIndex(self, required_tenant(tenant_id))

    def _purge(self, conn: sqlite3.Connection, tenant_id: str) -> int:
        removed = super()._purge(conn, tenant_id)
        self.for_tenant(tenant_id)._bump(conn)  # other processes' cached vectors are now stale
        return removed


class SqliteTenantIndex:
    """One tenant's documents; the tenant is bound into every statement."""

    def __init__(self, index: SqliteSearchIndex, tenant_id: str) -> None:
        self._index = index
        self._db = index._db
        self._tenant = tenant_id

    async def upsert(self, documents: Sequence[SearchDocument]) -> None:
        """Index documents (replacing any of the same id), with vectors if an embedder is set."""
        if not documents:
            return
        for doc in documents:
            if not doc.id or not isinstance(doc.content, str):
                raise ValueError("a document needs an id and text content")
        vectors = await self._embed(documents)
        rows = [
            (
                self._tenant,
                doc.id,
                doc.title,
                doc.content,
                doc.source,
                json.dumps(dict(doc.fields), separators=(",", ":")),
                vector,
            )
            for doc, vector in zip(documents, vectors, strict=True)
        ]

        def work(c: sqlite3.Connection) -> None:
            c.executemany(
                "INSERT INTO docs (tenant_id, id, title, content, source, fields, vector) "
                "VALUES (?,?,?,?,?,?,?) ON CONFLICT (tenant_id, id) DO UPDATE SET "
                "title=excluded.title, content=excluded.content, source=excluded.source, "
                "fields=excluded.fields, vector=excluded.vector",
                rows,
            )
            self._bump(c)

        await self._db.write(work)

    async def _embed(self, documents: Sequence[SearchDocument]) -> list[bytes | None]:
        embedder = self._index.embedder
        if embedder is None:
            return [None] * len(documents)
        texts = [f"{d.title}\n{d.content}" if d.title else d.content for d in documents]
        vectors: list[bytes | None] = []
        for start in range(0, len(texts), EMBED_BATCH):
            batch = await embedder.embed(texts[start : start + EMBED_BATCH])
            vectors += [to_blob(vector) for vector in batch]
        return vectors

    def _bump(self, c: sqlite3.Connection) -> None:
        c.execute(
            "INSERT INTO tenant_versions VALUES (?, 1) "
            "ON CONFLICT (tenant_id) DO UPDATE SET version = version + 1",
            (self._tenant,),
        )

    async def delete(self, ids: Sequence[str]) -> int:
        """Remove this tenant's documents with these ids; how many there were."""
        unique = list(dict.fromkeys(ids))
        if not unique:
            return 0

        def work(c: sqlite3.Connection) -> int:
            removed = 0
            for start in range(0, len(unique), 500):
                part = unique[start : start + 500]
                marks = ",".join("?" for _ in part)
                removed += c.execute(
                    f"DELETE FROM docs WHERE tenant_id = ? AND id IN ({marks})",  # noqa: S608 - marks only
                    (self._tenant, *part),
                ).rowcount
            self._bump(c)
            return removed

        return await self._db.write(work)

    async def delete_source(self, source: str) -> int:
        """Remove every document of this tenant that came from `source`."""
        if not source:
            raise ValueError("a source is required")

        def work(c: sqlite3.Connection) -> int:
            removed = c.execute(
                "DELETE FROM docs WHERE tenant_id = ? AND source = ?", (self._tenant, source)
            ).rowcount
            self._bump(c)
            return int(removed)

        return await self._db.write(work)

    async def search(
        self,
        query: str,
        *,
        mode: SearchMode = "text",
        top: int = 10,
        filters: Sequence[FieldFilter] = (),
    ) -> list[SearchHit]:
        """The tenant's best matches: BM25, cosine, or both fused by reciprocal rank."""
        if not 1 <= top <= MAX_TOP:
            raise ValueError(f"top is 1 to {MAX_TOP}")
        if mode not in ("text", "vector", "hybrid"):
            raise ValueError("mode is text, vector or hybrid")
        where, params = filter_sql(filters)
        if mode != "text" and self._index.embedder is None:
            raise EmbedderMissing("vector and hybrid search need an embedder (EMBEDDER)")
        if query.strip() == MATCH_ALL:
            return await self._all(where, params, top)
        if mode == "text":
            return await self._text(query, where, params, top)
        vectors = await self._vector(query, where, params, max(top, HYBRID_CANDIDATES))
        if mode == "vector":
            return vectors[:top]
        texts = await self._text(query, where, params, max(top, HYBRID_CANDIDATES))
        by_id = {hit.id: hit for hit in [*texts, *vectors]}
        fused = reciprocal_rank_fusion([[h.id for h in texts], [h.id for h in vectors]])
        return [_rescored(by_id[key], score) for key, score in fused[:top]]

    async def _all(self, where: str, params: list[object], top: int) -> list[SearchHit]:
        sql = (
            f"SELECT {COLUMNS}, 1.0 FROM docs d WHERE d.tenant_id = ?{where} ORDER BY d.id LIMIT ?"  # noqa: S608
        )
        rows = await self._db.read(
            lambda c: c.execute(sql, (self._tenant, *params, top)).fetchall()
        )
        return [_hit(row) for row in rows]

    async def _text(
        self, query: str, where: str, params: list[object], top: int
    ) -> list[SearchHit]:
        match = fts_query(query)
        if match is None:
            return []
        sql = (
            f"SELECT {COLUMNS}, -bm25(docs_text, {BM25_WEIGHTS}) AS score "  # noqa: S608
            "FROM docs_text JOIN docs d ON d.seq = docs_text.rowid "
            f"WHERE docs_text MATCH ? AND d.tenant_id = ?{where} ORDER BY score DESC LIMIT ?"
        )
        rows = await self._db.read(
            lambda c: c.execute(sql, (match, self._tenant, *params, top)).fetchall()
        )
        return [_hit(row) for row in rows]

    async def _vector(
        self, query: str, where: str, params: list[object], top: int
    ) -> list[SearchHit]:
        embedder = self._index.embedder
        assert embedder is not None
        [query_vector] = await embedder.embed([query])
        dims = embedder.dimensions

        def work(c: sqlite3.Connection) -> list[Any]:
            vectors = (
                self._vectors(c, dims) if not where else self._filtered(c, dims, where, params)
            )
            best = top_k(vectors.matrix, query_vector, top)
            if not best:
                return []
            seqs = [int(vectors.keys[i]) for i, _ in best]
            marks = ",".join("?" for _ in seqs)
            found = {
                row[0]: row
                for row in c.execute(
                    f"SELECT {COLUMNS} FROM docs d WHERE d.tenant_id = ? AND d.seq IN ({marks})",  # noqa: S608
                    (self._tenant, *seqs),
                )
            }
            return [
                (*found[seq], score)
                for seq, (_, score) in zip(seqs, best, strict=True)
                if seq in found
            ]

        return [_hit(row) for row in await self._db.read(work)]

    def _vectors(self, c: sqlite3.Connection, dims: int) -> TenantVectors:
        """This tenant's vectors, from memory while the index has not changed (DB thread only)."""
        cache = self._index._vectors
        c.execute("BEGIN")
        try:
            row = c.execute(
                "SELECT version FROM tenant_versions WHERE tenant_id = ?", (self._tenant,)
            ).fetchone()
            version = int(row[0]) if row else 0
            cached = cache.get(self._tenant)
            if cached is not None and cached.version == version and cached.matrix.shape[1] == dims:
                cache.move_to_end(self._tenant)
                return cached
            rows = c.execute(
                "SELECT seq, vector FROM docs WHERE tenant_id = ? AND length(vector) = ?",
                (self._tenant, dims * 4),
            ).fetchall()
        finally:
            c.execute("COMMIT")
        fresh = _tenant_vectors(version, rows, dims)
        cache[self._tenant] = fresh
        cache.move_to_end(self._tenant)
        while len(cache) > CACHED_TENANTS:
            cache.popitem(last=False)
        return fresh

    def _filtered(
        self, c: sqlite3.Connection, dims: int, where: str, params: list[object]
    ) -> TenantVectors:
        rows = c.execute(
            "SELECT d.seq, d.vector FROM docs d "  # noqa: S608 - `where` is built of placeholders
            f"WHERE d.tenant_id = ? AND length(d.vector) = ?{where}",
            (self._tenant, dims * 4, *params),
        ).fetchall()
        return _tenant_vectors(-1, rows, dims)


def _tenant_vectors(version: int, rows: list[Any], dims: int) -> TenantVectors:
    keys = np.asarray([row[0] for row in rows], dtype=np.int64)
    return TenantVectors(version, keys, stack([row[1] for row in rows], dims))


def _hit(row: Sequence[Any]) -> SearchHit:
    _, doc_id, title, content, source, fields, score = row
    return SearchHit(
        id=doc_id,
        content=content,
        title=title,
        source=source,
        score=float(score),
        fields=json.loads(fields),
    )


def _rescored(hit: SearchHit, score: float) -> SearchHit:
    return SearchHit(hit.id, hit.content, hit.title, hit.source, score, hit.fields)
