"""Effects that happen once however often a command is delivered."""

from __future__ import annotations

from shared.contracts.errors import not_found
from shared.ports.store import Document, DocumentMissing, TenantStore

TOMBSTONES = "tombstones"


async def require(store: TenantStore, collection: str, doc_id: str, kind: str) -> Document:
    """The tenant's document, or the command fails NotFound (as if it did not exist anywhere)."""
    doc = await store.get(collection, doc_id)
    if doc is None:
        raise not_found(kind, doc_id)
    return doc


async def delete_once(
    store: TenantStore,
    collection: str,
    doc_id: str,
    *,
    kind: str,
    command_id: str,
    if_match: str | None = None,
) -> None:
    """Delete a document; a redelivery of the same command after it succeeded succeeds again.

    A tombstone naming the command is written before the delete, so a retry that finds the
    document gone can tell its own earlier success from a delete of something that never was.
    """
    key = f"{collection}/{doc_id}"
    if await store.get(collection, doc_id) is None:
        tombstone = await store.get(TOMBSTONES, key)
        if tombstone is not None and tombstone.get("command_id") == command_id:
            return
        raise not_found(kind, doc_id)
    await store.upsert(TOMBSTONES, {"id": key, "command_id": command_id})
    try:
        await store.delete(collection, doc_id, if_match=if_match)
    except DocumentMissing:
        return
