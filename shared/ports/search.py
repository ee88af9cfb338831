"""The search port: a tenant's documents, found by text, by vector, or both.

A `TenantIndex` is bound to one tenant: keys are namespaced by the tenant, every query is
filtered by the tenant inside the adapter, and user filters can only narrow that further.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

SearchMode = Literal["text", "vector", "hybrid"]


class SearchError(Exception):
    """Base of the search errors."""


class EmbedderMissing(SearchError):
    """Vector or hybrid search was asked for, and no embedder is configured."""


class InvalidFilter(SearchError, ValueError):
    """A user filter names a field that cannot be filtered on, or holds an unusable value."""


@dataclass(frozen=True)
class SearchDocument:
    """A document (or a chunk of a file) to index under the tenant's namespace."""

    id: str
    content: str
    title: str = ""
    source: str = ""
    """Where it came from: `file_...` for chunks of an uploaded file, empty for direct documents."""
    fields: Mapping[str, str | int | float | bool] = field(default_factory=dict)


@dataclass(frozen=True)
class SearchHit:
    """One result with its score (`@search.score` on the wire)."""

    id: str
    content: str
    title: str
    source: str
    score: float
    fields: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class FieldFilter:
    """`field eq value`: the only user filter there is; the adapter escapes the value."""

    name: str
    value: str | int | float | bool


class TenantIndex(Protocol):
    """One tenant's slice of the index."""

    async def upsert(self, documents: Sequence[SearchDocument]) -> None:
        """Index (or re-index) documents; embeds them when an embedder is configured."""
        ...

    async def delete(self, ids: Sequence[str]) -> int:
        """Remove documents by id; how many there were."""
        ...

    async def delete_source(self, source: str) -> int:
        """Remove every document that came from `source` (a file's chunks)."""
        ...

    async def search(
        self,
        query: str,
        *,
        mode: SearchMode = "text",
        top: int = 10,
        filters: Sequence[FieldFilter] = (),
    ) -> list[SearchHit]:
        """The best matches of this tenant's documents (raises `EmbedderMissing`)."""
        ...


class SearchIndex(Protocol):
    """The whole index; hands out tenant-bound views."""

    def for_tenant(self, tenant_id: str) -> TenantIndex:
        """The slice of one tenant."""
        ...

    async def close(self) -> None:
        """Release connections."""
        ...


class Embedder(Protocol):
    """Text to vectors (Azure OpenAI / Foundry embeddings in production, a small local model)."""

    @property
    def dimensions(self) -> int: ...

    async def embed(self, texts: Sequence[str]) -> list[list[float]]:
        """One vector per text, in order."""
        ...

    async def close(self) -> None:
        """Release connections."""
        ...
