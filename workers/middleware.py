"""Pipeline middleware: cross-cutting policy at fixed points of a command's life (dramatiq's model).

A middleware overrides the hooks it needs; the others do nothing:

- `around_handler`: wraps each call of the handler (telemetry's span, the time limit);
- `after_failure`: a handler raised something other than `CommandFailed`; say what happens
  (wait and call again, give the message back, dead-letter it) or leave it to the next one;
- `before_job_end`: a job's terminal state is about to be written (webhook events).

The tenant re-check and the idempotency ledger are not middleware: they are fixed stages of the
pipeline, so no configuration can leave them out. The local fleet and the Functions app pass the
same middleware (`workers.pipeline.standard_middleware`).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime

from shared.contracts.envelope import Envelope
from workers.context import Outcome
from workers.delivery import Delivery
from workers.settlement import Settlement


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


@dataclass(frozen=True)
class Attempt:
    """One call of a command's handler within one delivery of its message."""

    envelope: Envelope
    job_id: str
    delivery: Delivery
    number: int
    """1 for the first call of this delivery, 2 after one failure, and so on."""
    waited_seconds: float
    """What this delivery has already waited between its attempts."""


@dataclass(frozen=True)
class Failure:
    """A handler call that raised: the attempt and what it raised."""

    attempt: Attempt
    error: Exception

    @property
    def description(self) -> str:
        return f"{type(self.error).__name__}: {self.error}"


@dataclass(frozen=True)
class Retry:
    """Call the handler again after `delay_seconds`, keeping the message (and its session)."""

    delay_seconds: float


Decision = Settlement | Retry
HandlerCall = Callable[[], Awaitable[Outcome]]


class Middleware:
    """Hooks with nothing to do; subclasses override the ones they need."""

    async def around_handler(self, attempt: Attempt, call: HandlerCall) -> Outcome:
        """Wrap one handler call (the first middleware is the outermost)."""
        return await call()

    async def after_failure(self, failure: Failure) -> Decision | None:
        """Decide what a failed handler call leads to; None leaves it to the next middleware
        (and, when none decides, the message is given back)."""
        return None

    async def before_job_end(self, ending: JobEnding) -> None:
        """Called before a job's terminal state is written (the job record is the ledger: work
        done here is done again if the pipeline dies before the record)."""
