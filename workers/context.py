"""What a handler is given and what it gives back."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, TypedDict

from shared.contracts.commands import Command
from shared.contracts.envelope import Envelope
from shared.contracts.metadata import MetadataValue, stamped
from shared.contracts.resources import JobStatus
from shared.ids import derived_id
from shared.settings import Settings
from shared.tenancy import TenantBound


class NewResource(TypedDict):
    """The fields of `shared.contracts.resources.Resource` the service sets on a new one."""

    id: str
    created_at: int
    metadata: dict[str, MetadataValue]


FollowUp = Callable[[Command, str, float], Awaitable[None]]
"""Send a follow-up command on the same session: (command, command id, delay seconds)."""


@dataclass(frozen=True)
class HandlerContext(TenantBound):
    """The command being handled, the tenant-bound clients, and a way to schedule follow-ups."""

    envelope: Envelope
    settings: Settings
    follow_up: FollowUp
    now: Callable[[], datetime]

    @property
    def command_id(self) -> str:
        return self.envelope.command_id

    @property
    def created_at(self) -> int:
        """The resource time of this command's effects: the command's own, so retries agree."""
        return int(self.envelope.time.timestamp())

    def new_resource(self, prefix: str, metadata: dict[str, MetadataValue]) -> NewResource:
        """What the service sets on a resource this command creates: an id derived from the
        command (a redelivery names the same resource), the command's time, and the client's
        metadata stamped with the tenant."""
        return NewResource(
            id=derived_id(prefix, self.command_id),
            created_at=self.created_at,
            metadata=stamped(metadata, self.tenant_id),
        )


@dataclass(frozen=True)
class Outcome:
    """What a handler did, for the job record.

    `status` Running means the command goes on in follow-ups (a run being polled); `job_id`
    names the job to update when it is not the command's own (a poll updates its run's job);
    `pending` means there is nothing to record yet.
    """

    status: JobStatus = JobStatus.SUCCEEDED
    result: dict[str, Any] | None = None
    location: str | None = None
    job_id: str | None = None
    error_code: str | None = None
    error_message: str | None = None
    pending: bool = False
    events: list[dict[str, Any]] = field(default_factory=list)
