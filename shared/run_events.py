"""A run's events, as the workers record them: what live streams and webhooks tell clients.

Each event is a document of the tenant's `run_events` collection, named by its run and kind, so
recording it again (a redelivered command) changes nothing. Its `seq` counts the run's events:
the commands of one run share a session, so they are recorded one after another, and `seq` is
the `id:` of the event on the stream, which `Last-Event-ID` resumes after.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from shared.ports.store import Document, TenantStore

RUN_EVENTS = "run_events"

RUN_EVENT_OF_STATUS = {
    "queued": "thread.run.queued",
    "in_progress": "thread.run.in_progress",
    "cancelling": "thread.run.cancelling",
    "completed": "thread.run.completed",
    "failed": "thread.run.failed",
    "cancelled": "thread.run.cancelled",
    "expired": "thread.run.expired",
}
"""The event a run's new status makes (the Agents API's streamed event names)."""

TERMINAL_EVENTS = frozenset(
    {"thread.run.completed", "thread.run.failed", "thread.run.cancelled", "thread.run.expired"}
)

MAX_EVENTS_PER_RUN = 32
"""More than any run makes (queued, in progress, cancelling, two per message, its end)."""


@dataclass(frozen=True)
class RunEvent:
    """One event of one run."""

    run_id: str
    seq: int
    event: str
    data: dict[str, Any]

    @property
    def terminal(self) -> bool:
        return self.event in TERMINAL_EVENTS

    @classmethod
    def of(cls, doc: Document) -> RunEvent:
        return cls(doc["run_id"], int(doc["seq"]), str(doc["event"]), dict(doc["data"]))


async def events_of(store: TenantStore, run_id: str, after: int = 0) -> list[RunEvent]:
    """The run's events after `seq` `after`, in order."""
    page = await store.list(
        RUN_EVENTS, where={"run_id": run_id}, newest_first=False, limit=MAX_EVENTS_PER_RUN
    )
    return [event for event in map(RunEvent.of, page.items) if event.seq > after]


async def record(
    store: TenantStore, run_id: str, event: str, data: dict[str, Any], at: int
) -> RunEvent:
    """Record that `event` happened to the run, once however often this is called."""
    doc_id = f"{run_id}.{event}"
    found = await store.get(RUN_EVENTS, doc_id)
    if found is not None:
        return RunEvent.of(found)
    earlier = await events_of(store, run_id)
    doc = {
        "id": doc_id,
        "run_id": run_id,
        "seq": len(earlier) + 1,
        "event": event,
        "data": data,
        "created_at": at,
    }
    stored, _ = await store.create_if_absent(RUN_EVENTS, doc)
    return RunEvent.of(stored)


async def record_status(store: TenantStore, run: dict[str, Any], at: int) -> RunEvent:
    """Record the event of the run's status now (`run` as a client sees it)."""
    return await record(store, str(run["id"]), RUN_EVENT_OF_STATUS[str(run["status"])], run, at)
