"""Optimistic concurrency on the store: write a document only if no one changed it since it was
read, and let the caller read again and retry when someone did."""

from __future__ import annotations

from typing import Any

from shared.ports.store import ETAG, EtagMismatch, TenantStore


async def replace_if_unchanged(
    store: TenantStore, collection: str, doc: dict[str, Any], read: dict[str, Any]
) -> dict[str, Any] | None:
    """Replace the document `read` was read as with `doc`, on `read`'s etag: the document as
    written (with its new etag), or None if another writer changed it first (read it again
    and retry)."""
    try:
        return await store.replace(collection, doc, if_match=str(read[ETAG]))
    except EtagMismatch:
        return None
