"""Pipeline middleware: cross-cutting work at fixed points of a command's life (dramatiq-style).

A middleware overrides the hooks it needs; the others do nothing. The pipeline calls them in
order and lets their errors propagate, so a failed hook leaves the message to be delivered again.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from shared.contracts.envelope import Envelope
from workers.context import Outcome


@dataclass(frozen=True)
class JobEnding:
    """A job about to be recorded as ended, and the command that ended it.

    A run's job is ended by one of its polls, so `envelope` may be a `run.poll` while `job_type`
    is `run.create`.
    """

    envelope: Envelope
    job_id: str
    job_type: str
    outcome: Outcome
    at: datetime

    @property
    def tenant_id(self) -> str:
        return self.envelope.tenant_id


class Middleware:
    """Hooks with nothing to do; subclasses override the ones they need."""

    async def before_job_end(self, ending: JobEnding) -> None:
        """Called before a job's terminal state is written (the job record is the ledger: work
        done here is done again if the pipeline dies before the record)."""
