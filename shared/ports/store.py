"""The document store port: collections of JSON documents, partitioned by tenant.

A `TenantStore` is bound to one tenant when it is made; none of its methods takes a tenant,
so code holding one cannot read or write another tenant's partition.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

Document = dict[str, Any]
"""A JSON object with an `id`; the store adds `_etag` on the way out."""

ETAG = "_etag"


class StoreError(Exception):
    """Base of the store errors."""


class StoreUnavailable(StoreError):
    """The store cannot be reached."""


class DocumentExists(StoreError):
    """`create` found a document with that id already."""


class DocumentMissing(StoreError):
    """`replace` or `delete` found no such document."""


class EtagMismatch(StoreError):
    """The document changed since the caller read it (`If-Match` failed)."""


@dataclass(frozen=True)
class Page:
    """One page of a listing and the cursor of the next, if there is one."""

    items: list[Document] = field(default_factory=list)
    next_cursor: str | None = None


class TenantStore(Protocol):
    """One tenant's partition of the store."""

    @property
    def tenant_id(self) -> str: ...

    async def get(self, collection: str, doc_id: str) -> Document | None:
        """The document, or None if this tenant has none with that id."""
        ...

    async def create(self, collection: str, doc: Document) -> Document:
        """Insert a new document (raises `DocumentExists`)."""
        ...

    async def create_if_absent(self, collection: str, doc: Document) -> tuple[Document, bool]:
        """Insert unless a document with that id exists; the stored one and whether it is new."""
        ...

    async def upsert(self, collection: str, doc: Document) -> Document:
        """Insert or overwrite."""
        ...

    async def replace(
        self, collection: str, doc: Document, *, if_match: str | None = None
    ) -> Document:
        """Overwrite an existing document (raises `DocumentMissing`, `EtagMismatch`)."""
        ...

    async def delete(self, collection: str, doc_id: str, *, if_match: str | None = None) -> bool:
        """Remove a document; False if there was none (raises `EtagMismatch`)."""
        ...

    async def list(
        self,
        collection: str,
        *,
        where: Mapping[str, str] | None = None,
        newest_first: bool = True,
        limit: int = 20,
        after: str | None = None,
    ) -> Page:
        """Documents of a collection in creation order, filtered by equality on top-level fields.

        Field names come from code, never from a request; values are bound as parameters.
        """
        ...


class Store(Protocol):
    """The whole store; hands out tenant-bound views."""

    def for_tenant(self, tenant_id: str) -> TenantStore:
        """A view bound to one tenant's partition."""
        ...

    async def ping(self) -> None:
        """Raise `StoreUnavailable` unless the store answers."""
        ...

    async def close(self) -> None:
        """Release connections."""
        ...


@runtime_checkable
class WatchableStore(Protocol):
    """A tenant store that can tell a waiter the moment a document changes, in any process.

    The embedded store does (`shared.adapters.local.store_notices`); a store that cannot is
    polled instead.
    """

    def watch(self, collection: str, doc_id: str) -> AbstractContextManager[asyncio.Event]:
        """An event set whenever the document is written, while the block lasts."""
        ...
