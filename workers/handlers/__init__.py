"""Handlers, one module per command family, registered by command type."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from workers.context import HandlerContext, Outcome
from workers.handlers import agents, documents, files, items, runs, threads

Handler = Callable[[Any, HandlerContext], Awaitable[Outcome]]

HANDLERS: dict[str, Handler] = {
    "agent.create": agents.create_agent,
    "agent.delete": agents.delete_agent,
    "thread.create": threads.create_thread,
    "thread.delete": threads.delete_thread,
    "message.create": threads.create_message,
    "run.create": runs.create_run,
    "run.poll": runs.poll_run,
    "item.create": items.create_item,
    "item.update": items.update_item,
    "item.delete": items.delete_item,
    "file.create": files.create_file,
    "file.delete": files.delete_file,
    "document.index": documents.index_documents,
    "document.delete": documents.delete_document,
}
"""Command type -> handler; every type of `shared.contracts.commands.COMMANDS` has one."""
