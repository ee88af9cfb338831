"""A tenant's run slots: at most `concurrent_runs` runs in progress, the others wait in order.

One document per tenant holds the runs holding a slot and the runs waiting for one, changed only
on its etag, so workers on different lanes or machines never hand out more slots than there
are. A run that ends gives its slot to the first waiting run and says which, so the caller can
start it; the hand-over is remembered, so a redelivered ending wakes the same run again.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from shared.optimistic import replace_if_unchanged
from shared.ports.store import ETAG, TenantStore

RUN_SLOTS = "run_slots"
SLOTS_ID = "runs"
ATTEMPTS = 50
HANDOVERS_KEPT = 256


@dataclass(frozen=True)
class Waiter:
    """A run waiting for a slot, and what it takes to start it."""

    run_id: str
    thread_id: str
    job_id: str

    def as_doc(self) -> dict[str, str]:
        return {"run_id": self.run_id, "thread_id": self.thread_id, "job_id": self.job_id}

    @classmethod
    def of(cls, doc: dict[str, Any]) -> Waiter:
        return cls(str(doc["run_id"]), str(doc["thread_id"]), str(doc["job_id"]))


def _empty() -> dict[str, Any]:
    return {"id": SLOTS_ID, "active": [], "waiting": [], "handovers": {}}


async def _change(store: TenantStore, change: Any) -> Any:
    """Apply `change(doc) -> (result, changed)` to the slots document on its etag."""
    for _ in range(ATTEMPTS):
        stored = await store.get(RUN_SLOTS, SLOTS_ID)
        doc = _empty() if stored is None else {k: v for k, v in stored.items() if k != ETAG}
        result, changed = change(doc)
        if not changed:
            return result
        if stored is None:
            _, written = await store.create_if_absent(RUN_SLOTS, doc)
        else:
            written = await replace_if_unchanged(store, RUN_SLOTS, doc, stored) is not None
        if written:
            return result
    raise RuntimeError("the run slots kept changing")


async def acquire(store: TenantStore, waiter: Waiter, limit: int) -> bool:
    """Take a slot for the run (True), or queue it behind the runs already waiting (False).

    A run that holds a slot already keeps it; a run is never queued twice.
    """

    def change(doc: dict[str, Any]) -> tuple[bool, bool]:
        active: list[str] = doc["active"]
        waiting = [Waiter.of(w) for w in doc["waiting"]]
        if waiter.run_id in active:
            return True, False
        first = not waiting or waiting[0].run_id == waiter.run_id
        if len(active) < limit and first:
            active.append(waiter.run_id)
            doc["waiting"] = [w.as_doc() for w in waiting if w.run_id != waiter.run_id]
            return True, True
        if any(w.run_id == waiter.run_id for w in waiting):
            return False, False
        doc["waiting"].append(waiter.as_doc())
        return False, True

    granted: bool = await _change(store, change)
    return granted


async def release(store: TenantStore, run_id: str, limit: int) -> list[Waiter]:
    """Give up the run's slot (or its place in the queue); the waiting runs that got a slot."""

    def change(doc: dict[str, Any]) -> tuple[list[Waiter], bool]:
        active: list[str] = doc["active"]
        waiting = [Waiter.of(w) for w in doc["waiting"]]
        handovers: dict[str, list[dict[str, str]]] = doc["handovers"]
        if run_id not in active and all(w.run_id != run_id for w in waiting):
            return [Waiter.of(w) for w in handovers.get(run_id, [])], False
        doc["active"] = active = [r for r in active if r != run_id]
        waiting = [w for w in waiting if w.run_id != run_id]
        handed: list[Waiter] = []
        while waiting and (limit <= 0 or len(active) < limit):
            handed.append(waiting.pop(0))
            active.append(handed[-1].run_id)
        doc["waiting"] = [w.as_doc() for w in waiting]
        if handed:
            handovers[run_id] = [w.as_doc() for w in handed]
            for old in list(handovers)[:-HANDOVERS_KEPT]:
                del handovers[old]
        return handed, True

    handed: list[Waiter] = await _change(store, change)
    return handed


async def waiting(store: TenantStore) -> list[Waiter]:
    """The runs waiting for a slot, first first."""
    doc = await store.get(RUN_SLOTS, SLOTS_ID)
    return [] if doc is None else [Waiter.of(w) for w in doc["waiting"]]
