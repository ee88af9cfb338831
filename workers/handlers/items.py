"""Tenant items: JSON documents in named collections (`/cosmos/{container}`)."""

from __future__ import annotations

from typing import Any

from shared.contracts.commands import ItemCreate, ItemDelete, ItemUpdate
from shared.contracts.errors import CommandFailed, ErrorCode, not_found
from shared.contracts.items import APPLIED_BY, collection_of, present_item
from shared.ids import derived_id
from shared.ports.store import DocumentMissing, EtagMismatch
from workers.context import HandlerContext, Outcome
from workers.effects import delete_once


def _stamped(metadata: Any, tenant_id: str) -> dict[str, Any]:
    """The item's metadata (validated as the client's) with the verified tenant."""
    return {**(metadata or {}), "tenantId": tenant_id}


async def create_item(cmd: ItemCreate, ctx: HandlerContext) -> Outcome:
    """Create an item; an id the tenant already uses is a Conflict."""
    item = dict(cmd.item)
    item_id = str(item.get("id") or derived_id("item", ctx.command_id))
    doc = {
        **item,
        "id": item_id,
        "metadata": _stamped(item.get("metadata"), ctx.scope.tenant_id),
        "created_at": ctx.created_at,
        "updated_at": ctx.created_at,
        APPLIED_BY: ctx.command_id,
    }
    stored, is_new = await ctx.scope.store.create_if_absent(collection_of(cmd.container), doc)
    if not is_new and stored.get(APPLIED_BY) != ctx.command_id:
        raise CommandFailed(ErrorCode.CONFLICT, f"An item with id '{item_id}' already exists.")
    return Outcome(result=present_item(stored), location=f"/cosmos/{cmd.container}/{item_id}")


def merge_patch(target: dict[str, Any], patch: dict[str, Any]) -> dict[str, Any]:
    """RFC 7396 JSON merge patch: null removes a field, objects merge, anything else replaces."""
    merged = dict(target)
    for key, value in patch.items():
        if value is None:
            merged.pop(key, None)
        elif isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = merge_patch(merged[key], value)
        else:
            merged[key] = value
    return merged


async def update_item(cmd: ItemUpdate, ctx: HandlerContext) -> Outcome:
    """Merge-patch an item, only if its etag still matches `If-Match` when one was given."""
    store = ctx.scope.store
    collection = collection_of(cmd.container)
    current = await store.get(collection, cmd.item_id)
    if current is None:
        raise not_found("Item", cmd.item_id)
    location = f"/cosmos/{cmd.container}/{cmd.item_id}"
    if current.get(APPLIED_BY) == ctx.command_id:
        return Outcome(result=present_item(current), location=location)
    if "id" in cmd.patch and cmd.patch["id"] != cmd.item_id:
        raise CommandFailed(ErrorCode.INVALID, "an item's id cannot change")
    patched = merge_patch(present_item(current), dict(cmd.patch))
    patched.pop("_etag", None)
    patched.update(
        id=cmd.item_id,
        metadata=_stamped(patched.get("metadata"), ctx.scope.tenant_id),
        created_at=current.get("created_at"),
        updated_at=ctx.created_at,
    )
    patched[APPLIED_BY] = ctx.command_id
    try:
        stored = await store.replace(
            collection, patched, if_match=cmd.if_match or str(current["_etag"])
        )
    except EtagMismatch as exc:
        raise CommandFailed(
            ErrorCode.PRECONDITION_FAILED, "The item changed since the given ETag."
        ) from exc
    except DocumentMissing as exc:
        raise not_found("Item", cmd.item_id) from exc
    return Outcome(result=present_item(stored), location=location)


async def delete_item(cmd: ItemDelete, ctx: HandlerContext) -> Outcome:
    """Delete an item (optionally only at a given etag)."""
    try:
        await delete_once(
            ctx.scope.store,
            collection_of(cmd.container),
            cmd.item_id,
            kind="Item",
            command_id=ctx.command_id,
            if_match=cmd.if_match,
        )
    except EtagMismatch as exc:
        raise CommandFailed(
            ErrorCode.PRECONDITION_FAILED, "The item changed since the given ETag."
        ) from exc
    return Outcome(result={"id": cmd.item_id, "deleted": True})
