"""The service's metrics, per tenant and command type.

Names and attributes are what the KQL files in `infra/kql/` read from `customMetrics`:

| metric | kind | unit | attributes |
| --- | --- | --- | --- |
| `tenantry.jobs.accepted` | counter | job | tenant.id, command.type |
| `tenantry.queue.wait` | histogram | s | tenant.id, command.type |
| `tenantry.handler.duration` | histogram | s | tenant.id, command.type, outcome |
| `tenantry.messages.settled` | counter | message | tenant.id, command.type, settlement, reason |
| `tenantry.boundary.violations` | counter | attempt | tenant.id, violation |

`outcome` is `succeeded` (the handler returned), `failed` (the command failed for the client:
NotFound, Conflict, ...) or `error` (a fault: the message is retried or dead-lettered);
`settlement` is `complete`, `abandon` or `dead_letter`, with the dead-letter reason.
"""

from __future__ import annotations

from opentelemetry.metrics import Meter

JOBS_ACCEPTED = "tenantry.jobs.accepted"
QUEUE_WAIT = "tenantry.queue.wait"
HANDLER_DURATION = "tenantry.handler.duration"
MESSAGES_SETTLED = "tenantry.messages.settled"
BOUNDARY_VIOLATIONS = "tenantry.boundary.violations"


class Metrics:
    """The instruments, made once per meter."""

    def __init__(self, meter: Meter) -> None:
        self._accepted = meter.create_counter(
            JOBS_ACCEPTED, unit="{job}", description="Commands durably enqueued by the ingress."
        )
        self._wait = meter.create_histogram(
            QUEUE_WAIT, unit="s", description="From enqueue until a worker starts the command."
        )
        self._duration = meter.create_histogram(
            HANDLER_DURATION, unit="s", description="Time spent in a command's handler."
        )
        self._settled = meter.create_counter(
            MESSAGES_SETTLED, unit="{message}", description="Command messages settled by workers."
        )
        self._violations = meter.create_counter(
            BOUNDARY_VIOLATIONS,
            unit="{attempt}",
            description="Refused attempts to cross a tenant boundary.",
        )

    def job_accepted(self, tenant_id: str, command_type: str) -> None:
        """One command accepted for a tenant."""
        self._accepted.add(1, {"tenant.id": tenant_id, "command.type": command_type})

    def queue_wait(self, seconds: float, tenant_id: str, command_type: str) -> None:
        """How long a command waited on the bus."""
        self._wait.record(max(seconds, 0.0), {"tenant.id": tenant_id, "command.type": command_type})

    def handler_duration(
        self, seconds: float, tenant_id: str, command_type: str, outcome: str
    ) -> None:
        """How long a handler ran, and how it ended."""
        self._duration.record(
            seconds, {"tenant.id": tenant_id, "command.type": command_type, "outcome": outcome}
        )

    def settled(self, tenant_id: str, command_type: str, settlement: str, reason: str) -> None:
        """A command message settled by a worker."""
        self._settled.add(
            1,
            {
                "tenant.id": tenant_id,
                "command.type": command_type,
                "settlement": settlement,
                "reason": reason,
            },
        )

    def boundary_violation(self, tenant_id: str, violation: str) -> None:
        """A refused attempt to cross a tenant boundary."""
        self._violations.add(1, {"tenant.id": tenant_id, "violation": violation})
