"""The pipeline's telemetry hooks: a span per delivered command, one around its handler.

Kept out of the pipeline's stages: `observed` wraps the whole processing of a message (queue
wait, settlement, boundary violations), the `HandlerTelemetry` middleware wraps each handler call
(its span, duration and outcome). Both do nothing but bind the log context when telemetry is off.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from datetime import UTC, datetime

from shared import boundary
from shared.bootstrap import Services
from shared.boundary import Violation
from shared.contracts.commands import INTERNAL_COMMANDS
from shared.contracts.envelope import Envelope
from shared.queues import COMMANDS, tenant_of_session
from shared.telemetry import Telemetry
from shared.tracing import Consumption, consuming, handling
from workers.context import Outcome
from workers.delivery import Delivery
from workers.middleware import Attempt, HandlerCall, Middleware

VIOLATIONS = {
    "UnknownTenant": Violation.UNKNOWN_TENANT_MESSAGE,
    "TenantMismatch": Violation.TENANT_MISMATCH,
}
"""Dead-letter reasons that mean a message tried to cross a tenant boundary."""


class Observation:
    """One message being processed; told how it was settled."""

    def __init__(
        self, telemetry: Telemetry, consumption: Consumption, envelope: Envelope, session: str
    ) -> None:
        self._telemetry = telemetry
        self._consumption = consumption
        self._envelope = envelope
        self._session = session

    def settled(self, action: str, reason: str) -> None:
        """Record the settlement; a dead letter for crossing a boundary is reported as such."""
        self._consumption.settled(action, reason)
        violation = VIOLATIONS.get(reason) if action == "dead_letter" else None
        if violation is not None:
            boundary.report(
                self._telemetry,
                violation,
                tenant_id=tenant_of_session(self._session),
                target_tenant_id=self._envelope.tenant_id,
                message_id=self._envelope.command_id,
            )


def _enqueued(envelope: Envelope, delivery: Delivery) -> datetime | None:
    if envelope.type in INTERNAL_COMMANDS:
        return None  # a scheduled follow-up: its delay is by design, not a wait
    enqueued = getattr(delivery, "enqueued_time", None)
    return enqueued if isinstance(enqueued, datetime) else envelope.time


@contextlib.contextmanager
def observed(
    telemetry: Telemetry, envelope: Envelope, delivery: Delivery, job_id: str
) -> Iterator[Observation]:
    """Around the processing of one decoded command."""
    with consuming(
        telemetry,
        COMMANDS,
        tenant_id=envelope.tenant_id,
        job_id=job_id,
        command_type=envelope.type,
        message_id=delivery.message_id,
        delivery_count=delivery.delivery_count,
        traceparent=envelope.traceparent,
        enqueued=_enqueued(envelope, delivery),
        now=datetime.now(UTC),
    ) as consumption:
        yield Observation(telemetry, consumption, envelope, delivery.session_id)


class HandlerTelemetry(Middleware):
    """A span, a duration and an outcome for each handler call (pipeline middleware).

    It records with the services' telemetry as it is at each call: a process configures its
    telemetry after its services are built.
    """

    def __init__(self, services: Services) -> None:
        self._services = services

    async def around_handler(self, attempt: Attempt, call: HandlerCall) -> Outcome:
        envelope = attempt.envelope
        with handling(
            self._services.telemetry,
            tenant_id=envelope.tenant_id,
            job_id=attempt.job_id,
            command_type=envelope.type,
        ):
            return await call()
