"""The handler pipeline every runtime calls (the local fleet and the Functions app alike).

Fixed stages: decode -> re-verify the tenant -> tenant scope -> idempotency ledger -> handler ->
job record. Around and after them, the middleware (`workers.middleware`): telemetry and the time
limit wrap each handler call, the retry policy decides what a failure leads to, webhook events
are published before a job's end is recorded. The pipeline decides how the message is settled
(`workers.settlement`); the runtime carries the decision out.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import timedelta
from typing import Any

from pydantic import ValidationError

from shared.bootstrap import Services
from shared.cancellation import Claim, claim
from shared.contracts.commands import COMMANDS, Command
from shared.contracts.envelope import Envelope
from shared.contracts.errors import CommandFailed, ErrorCode
from shared.contracts.resources import JobError, JobStatus
from shared.jobs import JOBS, is_final, job_of, transition
from shared.messages import job_id_of, to_message
from shared.ports.bus import MAX_DELIVERY_COUNT_EXCEEDED
from shared.queues import COMMANDS as COMMANDS_QUEUE
from shared.queues import is_command_session, session_for
from workers.context import HandlerContext, Outcome
from workers.dead_lettered_jobs import fail_job_named
from workers.delivery import Delivery
from workers.handlers import HANDLERS, Handler
from workers.middleware import Attempt, Failure, HandlerCall, JobEnding, Middleware, Retry
from workers.observe import HandlerTelemetry, observed
from workers.retries import Retries
from workers.settlement import (
    ABANDON,
    COMPLETE,
    Settlement,
    dead_letter,
)
from workers.time_limit import TimeLimit
from workers.webhooks.publisher import WebhookEvents

log = logging.getLogger("tenantry.worker")

Sleep = Callable[[float], Awaitable[None]]
INVALID_ENVELOPE = "InvalidEnvelope"
"""The dead-letter reason of a message that is not an envelope."""


def standard_middleware(services: Services) -> list[Middleware]:
    """The middleware every runtime runs commands with, outermost first."""
    settings = services.settings
    return [
        HandlerTelemetry(services),
        TimeLimit(settings.handler_timeout_seconds),
        Retries(settings),
        WebhookEvents(services),
    ]


@dataclass(frozen=True)
class _Job:
    """The job a command updates, as the ledger found it."""

    id: str
    type: str
    ended: bool
    """It already took effect: only a journal replay gets this far, and leaves the job alone."""
    doc: dict[str, Any] | None = None
    """Its document as this worker last read or wrote it (its next write starts from it)."""


def _summary(error: ValidationError) -> str:
    return "; ".join(
        f"{'.'.join(str(p) for p in e['loc']) or 'body'}: {e['msg']}" for e in error.errors()
    )


class Pipeline:
    """Runs one delivered command through the stages; safe to call concurrently.

    `middleware` defaults to `standard_middleware(services)`; `sleep` is what a retry waits
    with (a test passes a clock it moves).
    """

    def __init__(
        self,
        services: Services,
        handlers: Mapping[type[Command], Handler] | None = None,
        middleware: Sequence[Middleware] | None = None,
        *,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        self.services = services
        self.handlers = HANDLERS if handlers is None else handlers
        self.middleware = standard_middleware(services) if middleware is None else list(middleware)
        self.sleep = sleep

    async def process(self, delivery: Delivery) -> Settlement:
        """Handle the message and say how to settle it; raises nothing for a bad message."""
        try:
            envelope = Envelope.from_bytes(delivery.body)
        except ValueError as exc:  # the codec's refusal or the schema's
            summary = _summary(exc) if isinstance(exc, ValidationError) else str(exc)
            # nothing in it can be trusted: the message id names the job, the session the tenant
            await fail_job_named(
                self.services, delivery.session_id, delivery.message_id, INVALID_ENVELOPE, summary
            )
            return dead_letter(INVALID_ENVELOPE, summary)
        with observed(self.services.telemetry, envelope, delivery, self._job_id(envelope)) as obs:
            settlement = await self._process(envelope, delivery)
            obs.settled(settlement.action, settlement.reason)
        return settlement

    async def _process(self, envelope: Envelope, delivery: Delivery) -> Settlement:
        tenant = self.services.registry.get(envelope.tenant_id)
        if tenant is None:
            return dead_letter("UnknownTenant", f"tenant '{envelope.tenant_id}' is not registered")
        if not is_command_session(delivery.session_id, tenant.id):  # its own, or its lane
            return dead_letter(
                "TenantMismatch",
                f"session '{delivery.session_id}' is not one of tenant '{tenant.id}'s sessions",
            )
        model = COMMANDS.get(envelope.type)
        handler = None if model is None else self.handlers.get(model)
        if model is None or handler is None:
            return dead_letter("UnknownCommandType", f"no handler for '{envelope.type}'")
        scope = self.services.scope(tenant.id)
        job_id = self._job_id(envelope)
        stored = await scope.store.get(JOBS, job_id)
        current = None if stored is None else job_of(stored)
        ended = current is not None and is_final(current)
        job = _Job(job_id, current.type if current else envelope.type, ended, stored)
        if current is not None and current.status is JobStatus.CANCELED:
            return await self._canceled(envelope, job)  # never takes effect, not even replayed
        if ended and envelope.replay is None:
            return COMPLETE  # the ledger: this command already took effect
        try:
            command = model.model_validate(envelope.data)
        except ValidationError as exc:
            await self._record(
                envelope,
                job,
                Outcome(
                    status=JobStatus.FAILED,
                    error_code=ErrorCode.INVALID,
                    error_message=_summary(exc),
                ),
            )
            return dead_letter("InvalidCommand", _summary(exc))
        if job.id == envelope.command_id and not ended:  # its own job, not a poll's run job
            claimed, claimed_doc = await claim(
                scope.store, job.id, envelope, self.services.now(), known=stored
            )
            job = replace(job, doc=claimed_doc)
            if claimed is Claim.CANCELED:
                return await self._canceled(envelope, job)
        context = HandlerContext(
            envelope=envelope,
            scope=scope,
            settings=self.services.settings,
            follow_up=lambda *args: self._follow_up(envelope, delivery.session_id, *args),
            now=self.services.now,
        )
        outcome = await self._handle(envelope, job, delivery, handler, command, context)
        if isinstance(outcome, Settlement):
            return outcome
        if not outcome.pending:
            await self._record(envelope, replace(job, id=outcome.job_id or job.id), outcome)
        log.info(
            "command handled",
            extra={
                "tenant_id": tenant.id,
                "job_id": job_id,
                "command_type": envelope.type,
                "outcome": outcome.status.value,
            },
        )
        return COMPLETE

    async def _canceled(self, envelope: Envelope, job: _Job) -> Settlement:
        """A canceled job's command: announce the cancel (`job.canceled`) and do nothing else.

        The announcement's message ids are derived from the job, so a redelivery repeats them
        and the bus drops the repeats.
        """
        if job.id == envelope.command_id:
            ending = JobEnding(
                envelope, job.id, job.type, Outcome(status=JobStatus.CANCELED), self.services.now()
            )
            for middleware in self.middleware:
                await middleware.before_job_end(ending)
        return COMPLETE

    @staticmethod
    def _job_id(envelope: Envelope) -> str:
        return job_id_of(envelope)

    async def _handle(
        self,
        envelope: Envelope,
        job: _Job,
        delivery: Delivery,
        handler: Handler,
        command: Command,
        context: HandlerContext,
    ) -> Outcome | Settlement:
        """Call the handler through the middleware until it ends or a failure is settled."""
        number, waited = 1, 0.0
        while True:
            attempt = Attempt(envelope, job.id, delivery, number, waited)
            try:
                return await self._call(attempt, lambda: handler(command, context))
            except CommandFailed as failure:
                return Outcome(
                    status=JobStatus.FAILED, error_code=failure.code, error_message=failure.message
                )
            except Exception as exc:
                decision = await self._after_failure(Failure(attempt, exc))
            if isinstance(decision, Retry):
                await self.sleep(decision.delay_seconds)
                number, waited = number + 1, waited + decision.delay_seconds
                continue
            if decision.action == "dead_letter":
                await self._record(
                    envelope,
                    job,
                    Outcome(
                        status=JobStatus.FAILED,
                        error_code=MAX_DELIVERY_COUNT_EXCEEDED,
                        error_message=f"The command failed {delivery.delivery_count} times and "
                        f"was dead-lettered; an operator can replay it. Last error: "
                        f"{decision.description}",
                    ),
                )
            return decision

    async def _call(self, attempt: Attempt, call: HandlerCall) -> Outcome:
        """The handler call wrapped by every middleware, the first outermost."""
        for middleware in reversed(self.middleware):
            call = _wrapped(middleware, attempt, call)
        return await call()

    async def _after_failure(self, failure: Failure) -> Retry | Settlement:
        for middleware in self.middleware:
            decision = await middleware.after_failure(failure)
            if decision is not None:
                return decision
        return ABANDON

    async def _record(self, envelope: Envelope, job: _Job, outcome: Outcome) -> None:
        """Record the job's new state; an ending goes through the middleware first."""
        if job.ended:
            return
        if outcome.status.terminal:
            ending = JobEnding(envelope, job.id, job.type, outcome, self.services.now())
            for middleware in self.middleware:
                await middleware.before_job_end(ending)
        error = None
        if outcome.error_code is not None:
            error = JobError(code=outcome.error_code, message=outcome.error_message or "")
        await transition(
            self.services.scope(envelope.tenant_id).store,
            job.id,
            command_type=envelope.type,
            status=outcome.status,
            at=self.services.now(),
            created=envelope.time,
            result=outcome.result,
            location=outcome.location,
            error=error,
            envelope=envelope if job.id == envelope.command_id else None,
            known=job.doc,
        )

    async def _follow_up(
        self,
        parent: Envelope,
        session_id: str,
        command: Command,
        command_id: str,
        delay_seconds: float,
    ) -> None:
        tenant = self.services.registry.get(parent.tenant_id)
        model = COMMANDS.get(parent.type)
        key = command.order_key()
        if tenant is not None and model is not None and model(**parent.data).order_key() != key:
            # it changes something else (a run started by another's end): that thing's lane
            session_id = session_for(tenant.id, lanes=tenant.lanes, key=key)
        follow_up = Envelope(
            command_id=command_id,
            type=command.TYPE,
            tenant_id=parent.tenant_id,
            subject=parent.subject,
            data=command.model_dump(mode="json"),
            traceparent=parent.traceparent,
            session_id=session_id,
            replay=parent.replay,
        )
        message = to_message(
            follow_up,
            ttl_seconds=self.services.settings.command_ttl_seconds,
            scheduled=self.services.now() + timedelta(seconds=delay_seconds),
        )
        await self.services.bus.send(COMMANDS_QUEUE, [message])


def _wrapped(middleware: Middleware, attempt: Attempt, call: HandlerCall) -> HandlerCall:
    async def wrapped() -> Outcome:
        return await middleware.around_handler(attempt, call)

    return wrapped
