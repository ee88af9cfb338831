"""Accepting a command: stamp it with the caller's tenant, enqueue it durably, record its job.

The order matters: the job is recorded only after the bus has the command, so no job is ever
left NotStarted for a command that was never enqueued; a worker that runs first records the
job itself, and the ingress then leaves it alone.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi import Request
from fastapi.responses import JSONResponse, Response

from ingress import idempotency, links
from ingress.limits import admit_command
from ingress.prefer import requested_wait, wait_for_end
from ingress.problems import Problem
from shared.bootstrap import Services
from shared.contracts.commands import Command
from shared.contracts.envelope import Envelope
from shared.contracts.errors import STATUS_OF, ErrorCode
from shared.contracts.resources import Job, JobStatus
from shared.ids import new_id
from shared.jobs import as_accepted, load, new_job, record_accepted
from shared.messages import to_message
from shared.ports.bus import BusError, MessageTooLarge
from shared.queues import COMMANDS, session_for
from shared.tenancy import TenantScope
from shared.tracing import producing

TRACEPARENT = re.compile(r"^[0-9a-f]{2}-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$")
RETRY_AFTER_SECONDS = "1"


def job_response(request: Request, job: Job) -> JSONResponse:
    """202: the job as the body, with where to poll it (an absolute URL) and when.

    A job that already ended (a worker faster than this answer, or an idempotent repeat) is
    shown as it was accepted: azure-core's `LROPoller` takes a terminal status in the first
    answer as the operation's final state and never polls, so it would hand the caller the job
    instead of the resource and never raise the job's error.
    """
    shown = as_accepted(job) if job.status.terminal else job
    return JSONResponse(
        links.job_body(request, shown),
        status_code=202,
        headers={
            "Operation-Location": links.absolute(request, f"/jobs/{job.id}"),
            "Retry-After": RETRY_AFTER_SECONDS,
        },
    )


def finished_response(request: Request, job: Job, waited: int) -> Response:
    """A job that ended within `Prefer: wait`, answered as a synchronous API would."""
    applied = {"Preference-Applied": f"wait={waited}"}
    if job.status is JobStatus.SUCCEEDED:
        created = job.type.endswith(".create")
        headers = dict(applied)
        if created and job.resource_location:
            headers["Location"] = links.absolute(request, job.resource_location)
        return JSONResponse(job.result or {}, status_code=201 if created else 200, headers=headers)
    error = job.error
    code = error.code if error else ErrorCode.INTERNAL.value
    try:
        status = STATUS_OF[ErrorCode(code)]
    except ValueError:
        status = 500
    raise Problem(
        status,
        code,
        error.message if error else "The command failed.",
        headers=applied,
        extra={"jobId": job.id},
    )


class Submitter:
    """Turns a validated request into an enqueued command and a job."""

    def __init__(self, services: Services) -> None:
        self._services = services

    def _now(self) -> datetime:
        return datetime.fromtimestamp(self._services.clock(), UTC)

    async def submit(
        self,
        request: Request,
        scope: TenantScope,
        subject: str,
        command: Command,
        *,
        fingerprint: dict[str, Any] | None = None,
    ) -> Response:
        """Enqueue `command` for `scope`'s tenant, sent by `subject`: 202 with the job, or the
        result if waited.

        The command's order key (the resource it changes) picks its lane, so a resource's
        commands stay in order (`shared.ordering`).
        `fingerprint` replaces the command as what an `Idempotency-Key` is compared on, for a
        command holding ids the ingress generated (an upload's file id): the same bytes and name
        sent again are the same request.
        """
        settings = self._services.settings
        command_type = command.TYPE
        data: dict[str, Any] = command.model_dump(mode="json")
        now = self._now()
        key = request.headers.get("idempotency-key")
        reservation = None
        job_id = new_id("job")
        if key is not None:
            reservation = await idempotency.reserve(
                scope.store,
                idempotency.check_key(key),
                idempotency.request_hash(
                    command_type, data if fingerprint is None else fingerprint
                ),
                job_id,
                now,
                timedelta(hours=settings.idempotency_retention_hours),
            )
            job_id = reservation.job_id
        job: Job | None = None
        if reservation is not None and reservation.replay:
            found = await load(scope.store, job_id)
            job = found[0] if found else None
        if job is None:
            try:
                await admit_command(request, self._services, scope.tenant)
            except Problem:
                if reservation is not None:
                    await idempotency.release(scope.store, reservation)
                raise
            job = await self._enqueue(
                request,
                scope,
                subject,
                command_type,
                data,
                job_id,
                key,
                command.order_key(),
                reservation,
            )
        if reservation is not None:
            await idempotency.confirm(scope.store, reservation, self._now())
        wait = requested_wait(request.headers.get("prefer"), settings.prefer_wait_max_seconds)
        if wait:
            job = await wait_for_end(scope.store, job, wait)
            if job.status.terminal:
                return finished_response(request, job, wait)
        return job_response(request, job)

    async def _enqueue(
        self,
        request: Request,
        scope: TenantScope,
        subject: str,
        command_type: str,
        data: dict[str, Any],
        job_id: str,
        key: str | None,
        order_key: str,
        reservation: idempotency.Reservation | None,
    ) -> Job:
        settings = self._services.settings
        given = request.headers.get("traceparent")
        try:
            with producing(
                self._services.telemetry,
                COMMANDS,
                tenant_id=scope.tenant_id,
                job_id=job_id,
                command_type=command_type,
                traceparent=given if given and TRACEPARENT.match(given) else None,
            ) as traceparent:
                envelope = Envelope(
                    command_id=job_id,
                    type=command_type,
                    tenant_id=scope.tenant_id,
                    subject=subject,
                    data=data,
                    traceparent=traceparent,
                    idempotency_key=key,
                    session_id=session_for(
                        scope.tenant_id, lanes=scope.tenant.lanes, key=order_key
                    ),
                )
                message = to_message(envelope, ttl_seconds=settings.command_ttl_seconds)
                await self._services.bus.send(COMMANDS, [message])
        except BaseException as exc:  # nothing was enqueued: free the key for the retry
            if reservation is not None:
                await idempotency.release(scope.store, reservation)
            if isinstance(exc, MessageTooLarge):
                raise Problem.of(
                    ErrorCode.TOO_LARGE, "The command is over the bus's message size limit."
                ) from exc
            if isinstance(exc, BusError):
                raise Problem.of(
                    ErrorCode.UNAVAILABLE,
                    "The service cannot accept commands right now; try again shortly.",
                    headers={"Retry-After": "5"},
                ) from exc
            raise
        job = new_job(job_id, command_type, envelope.time)
        accepted = await record_accepted(scope.store, job, envelope)
        if self._services.telemetry.enabled:
            self._services.telemetry.metrics.job_accepted(scope.tenant_id, command_type)
        return accepted
