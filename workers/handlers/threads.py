"""Threads and their messages."""

from __future__ import annotations

from typing import Literal

from shared.contracts.commands import MessageCreate, ThreadCreate, ThreadDelete
from shared.contracts.metadata import stamped
from shared.contracts.resources import (
    MESSAGES,
    RUNS,
    THREADS,
    Message,
    MessageContent,
    TextContent,
    Thread,
    present,
)
from shared.ids import derived_id
from workers.context import HandlerContext, Outcome
from workers.effects import delete_once, require


async def create_thread(cmd: ThreadCreate, ctx: HandlerContext) -> Outcome:
    """Open a conversation in the engine and record the thread."""
    new = ctx.new_resource("thread", cmd.metadata)
    location = f"/agents/threads/{new['id']}"
    done = await ctx.scope.store.get(THREADS, new["id"])
    if done is not None:  # a redelivery after the effect: do not open a second conversation
        return Outcome(result=present(Thread, done), location=location)
    engine_ref = await ctx.scope.engine.create_thread(new["id"])
    thread = Thread(**new, engine_ref=engine_ref)
    doc = thread.model_dump(mode="json") | {"engine_ref": engine_ref}
    stored, _ = await ctx.scope.store.create_if_absent(THREADS, doc)
    return Outcome(result=present(Thread, stored), location=location)


async def delete_thread(cmd: ThreadDelete, ctx: HandlerContext) -> Outcome:
    """Delete the conversation, its messages and runs; another tenant's thread is NotFound."""
    store = ctx.scope.store
    existing = await store.get(THREADS, cmd.thread_id)
    if existing is not None:
        await ctx.scope.engine.delete_thread(str(existing.get("engine_ref") or cmd.thread_id))
        for collection in (MESSAGES, RUNS):
            while True:
                page = await store.list(collection, where={"thread_id": cmd.thread_id}, limit=100)
                for doc in page.items:
                    await store.delete(collection, doc["id"])
                if page.next_cursor is None:
                    break
    await delete_once(store, THREADS, cmd.thread_id, kind="Thread", command_id=ctx.command_id)
    return Outcome(result={"id": cmd.thread_id, "object": "thread.deleted", "deleted": True})


def text_message(
    *,
    message_id: str,
    thread_id: str,
    role: Literal["user", "assistant"],
    text: str,
    created_at: int,
    tenant_id: str,
    metadata: dict[str, str | int | float | bool | None] | None = None,
    annotations: list[dict[str, object]] | None = None,
    assistant_id: str | None = None,
    run_id: str | None = None,
) -> Message:
    """A message with one text part, as the Agents API shapes it."""
    return Message(
        id=message_id,
        created_at=created_at,
        thread_id=thread_id,
        role=role,
        content=[MessageContent(text=TextContent(value=text, annotations=annotations or []))],
        metadata=stamped(metadata or {}, tenant_id),
        assistant_id=assistant_id,
        run_id=run_id,
    )


async def create_message(cmd: MessageCreate, ctx: HandlerContext) -> Outcome:
    """Append a user message to one of the tenant's threads."""
    thread = await require(ctx.scope.store, THREADS, cmd.thread_id, "Thread")
    message_id = derived_id("msg", ctx.command_id)
    location = f"/agents/threads/{cmd.thread_id}/messages/{message_id}"
    done = await ctx.scope.store.get(MESSAGES, message_id)
    if done is not None:  # a redelivery after the effect: do not add the item twice
        return Outcome(result=present(Message, done), location=location)
    await ctx.scope.engine.add_message(
        str(thread.get("engine_ref") or cmd.thread_id), message_id, cmd.role, cmd.content
    )
    message = text_message(
        message_id=message_id,
        thread_id=cmd.thread_id,
        role=cmd.role,
        text=cmd.content,
        created_at=ctx.created_at,
        tenant_id=ctx.scope.tenant_id,
        metadata=dict(cmd.metadata),
    )
    stored, _ = await ctx.scope.store.create_if_absent(MESSAGES, message.model_dump(mode="json"))
    return Outcome(result=present(Message, stored), location=location)
