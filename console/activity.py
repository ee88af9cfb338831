"""A tenant's jobs over the last hour, by status and five-minute bucket: what its chart draws.

Read from the job ledger (the tenant's `jobs` collection), which every store adapter keeps, so
the chart is the same locally and on Azure.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from shared.contracts.resources import JobStatus
from shared.jobs import JOBS
from shared.ports.store import TenantStore

WINDOW = timedelta(hours=1)
BUCKETS = 12
PAGE = 200
MAX_SCANNED = 5_000
"""A tenant busier than this in an hour is drawn from its newest jobs (and says so)."""

STATUSES = [status.value for status in JobStatus]


@dataclass
class Activity:
    """Counts of jobs created in each bucket of the window, by status."""

    start: datetime
    buckets: list[dict[str, int]] = field(
        default_factory=lambda: [dict.fromkeys(STATUSES, 0) for _ in range(BUCKETS)]
    )
    truncated: bool = False

    @property
    def bucket_seconds(self) -> int:
        return int(WINDOW.total_seconds()) // BUCKETS

    def add(self, created: datetime, status: str) -> None:
        """Count one job created at `created` (inside the window) with `status`."""
        index = int((created - self.start).total_seconds()) // self.bucket_seconds
        bucket = self.buckets[min(max(index, 0), BUCKETS - 1)]
        bucket[status] = bucket.get(status, 0) + 1

    def totals(self) -> dict[str, int]:
        """Jobs of the whole window, by status."""
        return {s: sum(bucket.get(s, 0) for bucket in self.buckets) for s in STATUSES}

    def to_json(self) -> dict[str, Any]:
        """The activity as the page reads it."""
        return {
            "start": self.start.isoformat(),
            "bucketSeconds": self.bucket_seconds,
            "statuses": STATUSES,
            "buckets": [[bucket.get(s, 0) for s in STATUSES] for bucket in self.buckets],
            "totals": self.totals(),
            "truncated": self.truncated,
        }


async def last_hour(store: TenantStore, now: datetime) -> Activity:
    """The tenant's jobs created in the hour before `now`, newest first until the window ends."""
    activity = Activity(start=now - WINDOW)
    after: str | None = None
    scanned = 0
    while True:
        page = await store.list(JOBS, newest_first=True, limit=PAGE, after=after)
        for doc in page.items:
            created = datetime.fromisoformat(str(doc["createdDateTime"]))
            if created < activity.start:
                return activity
            activity.add(created, str(doc["status"]))
        scanned += len(page.items)
        if page.next_cursor is None:
            return activity
        if scanned >= MAX_SCANNED:
            activity.truncated = True
            return activity
        after = page.next_cursor
