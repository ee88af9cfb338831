"""Files: the claim check of an upload becomes a file record, and its text the tenant's passages.

The bytes were staged by the ingress in the tenant's blob area under the file's id; the command
names them and carries their size and SHA-256, which are checked before anything is recorded.
The record is written first (status `uploaded`), so the sweeper of stale uploads leaves the bytes
alone; a redelivered command finds it and finishes the work.
"""

from __future__ import annotations

import asyncio
import tempfile
from typing import BinaryIO, cast

from shared.contracts.commands import FileCreate, FileDelete
from shared.contracts.errors import CommandFailed, ErrorCode
from shared.contracts.resources import FILES, File, present, without_store_fields
from shared.file_kinds import FileKind, kind_of
from shared.ports.blobs import BlobMissing, TenantBlobs
from shared.ports.search import SearchDocument
from workers.context import HandlerContext, Outcome
from workers.effects import delete_once
from workers.ingestion.chunking import chunk_text
from workers.ingestion.extract import ExtractionFailed, extract_text

SPOOL_IN_MEMORY_BYTES = 8 * 1024 * 1024
INDEX_BATCH = 256


def chunk_id(file_id: str, index: int) -> str:
    """The index key of a file's chunk: `file_<id>-<n>` (documents may not start with `file_`)."""
    return f"{file_id}-{index:05d}"


async def create_file(cmd: FileCreate, ctx: HandlerContext) -> Outcome:
    """Record the staged upload; for purpose `assistants`, extract, chunk and index its text."""
    store = ctx.scope.store
    location = f"/files/{cmd.file_id}"
    existing = await store.get(FILES, cmd.file_id)
    if existing is not None and existing.get("status") != "uploaded":
        done = File.model_validate(without_store_fields(existing))
        if (
            ctx.envelope.replay == "journal"
            and done.status == "processed"
            and done.purpose == "assistants"
        ):
            await _index(done, ctx)  # a replay rebuilds the passages a loss took (same ids)
        return Outcome(result=present(File, existing), location=location)
    info = await ctx.scope.blobs.info(cmd.file_id)
    if info is None:
        raise CommandFailed(
            ErrorCode.NOT_FOUND,
            "The uploaded bytes are gone (the upload expired before it was processed); "
            "upload the file again.",
        )
    if info.size != cmd.bytes or info.sha256 != cmd.sha256:
        raise CommandFailed(ErrorCode.INVALID, "The staged bytes do not match the upload.")
    record = File.uploaded(cmd, created_at=ctx.created_at, tenant_id=ctx.tenant_id)
    await store.create_if_absent(FILES, record.model_dump(mode="json"))
    if cmd.purpose == "assistants":
        record = await _index(record, ctx)
    else:
        record = record.model_copy(update={"status": "processed"})
    stored = await store.upsert(FILES, record.model_dump(mode="json"))
    return Outcome(result=present(File, stored), location=location)


async def _index(record: File, ctx: HandlerContext) -> File:
    """The file's passages in the tenant's index; the record says how many, or why none."""
    kind = kind_of(record.filename, record.content_type)
    if kind is None:
        return _failed(record, "The file type cannot be read for search.")
    try:
        text = await _extract(
            ctx.scope.blobs, record.id, kind, ctx.settings.files_max_extracted_chars
        )
    except ExtractionFailed as exc:
        return _failed(record, f"The file's text cannot be read: {exc}.")
    except BlobMissing:
        return _failed(record, "The file's bytes were removed before they were read.")
    chunks = chunk_text(
        text, size=ctx.settings.chunk_chars, overlap=ctx.settings.chunk_overlap_chars
    )
    index = ctx.scope.search
    await index.delete_source(record.id)  # a retry after a crash starts from a clean slate
    for start in range(0, len(chunks), INDEX_BATCH):
        await index.upsert(
            [
                SearchDocument(
                    id=chunk_id(record.id, chunk.index),
                    content=chunk.text,
                    title=record.filename,
                    source=record.id,
                )
                for chunk in chunks[start : start + INDEX_BATCH]
            ]
        )
    return record.model_copy(update={"status": "processed", "chunks": len(chunks)})


def _failed(record: File, why: str) -> File:
    return record.model_copy(update={"status": "error", "status_details": why})


async def _extract(blobs: TenantBlobs, name: str, kind: FileKind, max_chars: int) -> str:
    """Spool the blob (to disk past 8 MiB) and extract its text off the event loop."""
    with tempfile.SpooledTemporaryFile(max_size=SPOOL_IN_MEMORY_BYTES) as spool:
        async for chunk in blobs.read(name):
            spool.write(chunk)
        spool.seek(0)
        stream = cast(BinaryIO, spool)
        return await asyncio.to_thread(extract_text, kind, stream, max_chars=max_chars)


async def delete_file(cmd: FileDelete, ctx: HandlerContext) -> Outcome:
    """Remove the file's passages, then its bytes, then its record; another tenant's is NotFound."""
    existing = await ctx.scope.store.get(FILES, cmd.file_id)
    if existing is not None:
        await ctx.scope.search.delete_source(cmd.file_id)
        await ctx.scope.blobs.delete(cmd.file_id)
    await delete_once(ctx.scope.store, FILES, cmd.file_id, kind="File", command_id=ctx.command_id)
    return Outcome(result={"id": cmd.file_id, "object": "file", "deleted": True})
