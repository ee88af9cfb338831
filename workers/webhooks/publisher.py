"""Publishing webhook events when a job ends, as pipeline middleware.

Each event goes to every enabled endpoint of the tenant that subscribes to it, as one message
on the `webhooks` queue per endpoint, on the endpoint's own session. Messages are sent before
the job's terminal record, and their ids are derived from the job, the event and the endpoint:
if the worker dies between the two, the redelivered command publishes the same ids again and
the bus drops them as duplicates, so nothing is lost and nothing is sent twice.
"""

from __future__ import annotations

from typing import Any

from shared.bootstrap import Services
from shared.contracts.resources import JobStatus, RunStatus
from shared.queues import WEBHOOKS
from shared.webhooks import endpoints
from shared.webhooks.deliveries import DeliveryMessage, delivery_id
from shared.webhooks.events import event_body
from workers.middleware import JobEnding, Middleware

JOB_EVENTS = {
    JobStatus.SUCCEEDED: "job.succeeded",
    JobStatus.FAILED: "job.failed",
    JobStatus.CANCELED: "job.canceled",
}
RUN_EVENTS = {RunStatus.COMPLETED: "run.completed", RunStatus.CANCELLED: "run.cancelled"}
"""A run that ended otherwise (failed, expired) is `run.failed`."""


def events_of(ending: JobEnding, base_url: str | None = None) -> list[tuple[str, dict[str, Any]]]:
    """The events a job's end makes: `job.succeeded`, `job.failed` or `job.canceled`, and for a
    run its own (`run.completed`, `run.failed` or `run.cancelled`).

    `resourceLocation` is absolute under `base_url` (`PUBLIC_BASE_URL`, the address clients
    call), as the API's own links are; without one it is the path.
    """
    outcome = ending.outcome
    job: dict[str, Any] = {"jobId": ending.job_id, "type": ending.job_type}
    job["status"] = outcome.status.value
    if outcome.location:
        base = (base_url or "").rstrip("/")
        job["resourceLocation"] = base + outcome.location
    if outcome.error_code is not None:
        job["error"] = {"code": outcome.error_code, "message": outcome.error_message or ""}
    made = [(JOB_EVENTS[outcome.status], job)]
    run = outcome.result or {}
    if run.get("object") == "thread.run" and RunStatus(run["status"]).terminal:
        made.append(
            (
                RUN_EVENTS.get(RunStatus(run["status"]), "run.failed"),
                {
                    "jobId": ending.job_id,
                    "threadId": run["thread_id"],
                    "runId": run["id"],
                    "status": run["status"],
                },
            )
        )
    return made


class WebhookEvents(Middleware):
    """Publishes the events of every job that ends to the tenant's subscribed endpoints."""

    def __init__(self, services: Services) -> None:
        self._services = services

    async def before_job_end(self, ending: JobEnding) -> None:
        store = self._services.scope(ending.tenant_id).store
        subscribers = await endpoints.enabled(store)
        if not subscribers:
            return
        messages = []
        base_url = self._services.settings.public_base_url
        for event_type, data in events_of(ending, base_url):
            body = event_body(event_type, ending.at, data)
            for endpoint in subscribers:
                if not endpoint.subscribes_to(event_type):
                    continue
                first = delivery_id(ending.job_id, event_type, endpoint.id)
                delivery = DeliveryMessage(
                    tenant_id=ending.tenant_id,
                    endpoint_id=endpoint.id,
                    delivery_id=first,
                    event_type=event_type,
                    job_id=ending.job_id,
                    body=body,
                    series=first,
                )
                messages.append(delivery.outgoing(first))
        if messages:
            await self._services.bus.send(WEBHOOKS, messages)
