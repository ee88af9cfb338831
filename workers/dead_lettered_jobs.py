"""Every dead letter ends its job: a dead-lettered command's job is marked `Failed`.

Whatever dead-lettered the message (the pipeline, the bus at its max delivery count or at its
time to live, a decode failure), the dead letter names its job (the `jobId` property, else the
message id, which is the command id and so the job id) and its tenant (the session). The tenant
is checked against the registry and the job looked up in that tenant's partition only, so a
dead letter can end no other tenant's job. The error code is the dead-letter reason; a replay
of the dead letter may still take the job forward (`shared.jobs.is_final`).
"""

from __future__ import annotations

import logging

from shared.bootstrap import Services
from shared.contracts.resources import JobStatus
from shared.jobs import fail_undecided, is_final
from shared.messages import JOB_ID
from shared.ports.bus import DeadLetter
from shared.queues import COMMANDS, tenant_of_session

log = logging.getLogger("tenantry.deadletters")

PAGE = 200
UNNAMED_REASON = "DeadLettered"


async def fail_job_of(services: Services, dead: DeadLetter) -> bool:
    """Mark the job of one dead-lettered command `Failed` unless it ended; whether it did now."""
    job_id = str(dead.application_properties.get(JOB_ID) or dead.message_id)
    return await fail_job_named(
        services, dead.session_id, job_id, dead.reason or UNNAMED_REASON, dead.description
    )


async def fail_job_named(
    services: Services, session_id: str, job_id: str, reason: str, description: str
) -> bool:
    """Mark job `job_id` of the tenant `session_id` names `Failed` with `reason`, unless it
    ended or the tenant is not registered; whether it failed now."""
    tenant = services.registry.get(tenant_of_session(session_id))
    if tenant is None:
        log.warning("dead letter of job %s names no registered tenant", job_id)
        return False
    job = await fail_undecided(
        services.scope(tenant.id).store,
        job_id,
        code=reason,
        message=f"The command was dead-lettered ({reason}): {description} "
        "An operator can replay it (`tenantry dlq replay`).",
        at=services.now(),
    )
    ended_now = job is not None and job.status is JobStatus.FAILED and not is_final(job)
    if ended_now:
        log.info("job of a dead letter failed", extra={"tenant_id": tenant.id, "job_id": job_id})
    return ended_now


class DeadLetterScan:
    """Visits the commands queue's dead letters, each once per process, and ends their jobs.

    A dead letter keeps no position a cursor could follow (one dead-lettered late may be older
    than those seen), so each scan peeks them all and acts on those it has not seen.
    """

    def __init__(self, services: Services) -> None:
        self._services = services
        self._seen: set[int] = set()

    async def scan(self) -> int:
        """Handle the dead letters that appeared since the last scan; how many jobs failed."""
        bus = self._services.bus
        failed = 0
        start = 0
        present: set[int] = set()
        while True:
            page = await bus.peek_dead_letters(COMMANDS, max_count=PAGE, from_sequence_number=start)
            for dead in page:
                present.add(dead.sequence_number)
                if dead.sequence_number in self._seen:
                    continue
                failed += await fail_job_of(self._services, dead)
                self._seen.add(dead.sequence_number)
            if len(page) < PAGE:
                break
            start = page[-1].sequence_number + 1
        self._seen &= present  # replayed and purged dead letters are forgotten
        return failed
