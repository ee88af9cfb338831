"""Documents a client indexes directly (`/search/documents`), in the tenant's slice of the index."""

from __future__ import annotations

from shared.contracts.commands import DocumentDelete, DocumentsIndex
from shared.contracts.errors import not_found
from shared.ports.search import SearchDocument
from workers.context import HandlerContext, Outcome
from workers.effects import TOMBSTONES


async def index_documents(cmd: DocumentsIndex, ctx: HandlerContext) -> Outcome:
    """Index (or re-index) the documents under the tenant's namespace; idempotent by id."""
    await ctx.scope.search.upsert(
        [
            SearchDocument(id=doc.id, content=doc.content, title=doc.title, fields=doc.fields)
            for doc in cmd.documents
        ]
    )
    # no resourceLocation: the documents are no one resource (the job's result is the answer)
    return Outcome(result={"value": [{"key": doc.id, "status": True} for doc in cmd.documents]})


async def delete_document(cmd: DocumentDelete, ctx: HandlerContext) -> Outcome:
    """Remove one of the tenant's documents; one it does not have (or another tenant's) is NotFound.

    A tombstone naming the command is written first, so a redelivery after the delete succeeded
    succeeds again instead of reporting the document missing.
    """
    store = ctx.scope.store
    key = f"search/{cmd.doc_id}"
    tombstone = await store.get(TOMBSTONES, key)
    await store.upsert(TOMBSTONES, {"id": key, "command_id": ctx.command_id})
    removed = await ctx.scope.search.delete([cmd.doc_id])
    if removed == 0 and (tombstone is None or tombstone.get("command_id") != ctx.command_id):
        raise not_found("Document", cmd.doc_id)
    return Outcome(result={"id": cmd.doc_id, "deleted": True})
