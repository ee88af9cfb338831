"""Handlers, one module per command family, keyed by the command model they handle.

`handles(Model, handler)` ties a handler to its model; a handler whose first parameter is
another model is a type error (mypy) and a failing import (checked here), and so is a command
model with no handler.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, TypeVar, get_type_hints

from shared.contracts.commands import (
    COMMANDS,
    AgentCreate,
    AgentDelete,
    Command,
    DocumentDelete,
    DocumentsIndex,
    FileCreate,
    FileDelete,
    ItemCreate,
    ItemDelete,
    ItemUpdate,
    MessageCreate,
    RunCancel,
    RunCreate,
    RunPoll,
    RunStart,
    ThreadCreate,
    ThreadDelete,
)
from workers.context import HandlerContext, Outcome
from workers.handlers import agents, documents, files, items, run_control, runs, threads

C = TypeVar("C", bound=Command)

Handler = Callable[[Any, HandlerContext], Awaitable[Outcome]]
"""A handler as the pipeline calls it: the command model it is keyed by, and its context."""


def handles(
    model: type[C], handler: Callable[[C, HandlerContext], Awaitable[Outcome]]
) -> tuple[type[Command], Handler]:
    """The table entry of `handler` for `model`; refused unless the handler takes that model."""
    first = next(iter(get_type_hints(handler).values()), None)
    if first is not model:
        raise TypeError(
            f"{handler.__qualname__} takes {getattr(first, '__name__', first)}, "
            f"not {model.__name__} ({model.TYPE})"
        )
    return model, handler


def handler_table(*entries: tuple[type[Command], Handler]) -> dict[type[Command], Handler]:
    """The handlers by model; refused unless every command of `COMMANDS` has exactly one."""
    table = dict(entries)
    if len(table) != len(entries):
        raise TypeError("a command model has two handlers")
    missing = sorted(t for t, model in COMMANDS.items() if model not in table)
    if missing:
        raise TypeError(f"no handler for {', '.join(missing)}")
    return table


HANDLERS: dict[type[Command], Handler] = handler_table(
    handles(AgentCreate, agents.create_agent),
    handles(AgentDelete, agents.delete_agent),
    handles(ThreadCreate, threads.create_thread),
    handles(ThreadDelete, threads.delete_thread),
    handles(MessageCreate, threads.create_message),
    handles(RunCreate, runs.create_run),
    handles(RunPoll, runs.poll_run),
    handles(RunStart, run_control.start_waiting_run),
    handles(RunCancel, run_control.cancel_run),
    handles(ItemCreate, items.create_item),
    handles(ItemUpdate, items.update_item),
    handles(ItemDelete, items.delete_item),
    handles(FileCreate, files.create_file),
    handles(FileDelete, files.delete_file),
    handles(DocumentsIndex, documents.index_documents),
    handles(DocumentDelete, documents.delete_document),
)
"""Command model -> handler; every model of `shared.contracts.commands.COMMANDS` has one."""
