"""The webhook dispatcher: one attempt per message of the `webhooks` queue.

For each message it re-verifies the tenant, finds the endpoint, checks its URL with the SSRF
guard, signs the event with every live key of the endpoint's keyring (Standard Webhooks), and
posts the exact signed bytes to the checked address. Then:

- 2xx: the delivery succeeded;
- 410: the endpoint is disabled and no retry follows;
- anything else (or no answer): the next attempt is sent as a scheduled message, after the
  schedule's delay or the endpoint's `Retry-After` if longer, with the same `webhook-id`; after
  the last attempt the message is dead-lettered (`WebhookDeliveryExhausted`).

Every outcome is written to the tenant's delivery log. Retries of one series have ids derived
from the series and the attempt, so a retry sent twice (a crash between the send and the
completion) is dropped by duplicate detection; a delivery the log says succeeded is not sent again.
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass
from datetime import datetime, timedelta

import httpcore
import httpx
from pydantic import ValidationError

from shared.bootstrap import Services
from shared.queues import WEBHOOKS, endpoint_session
from shared.ssrf import TargetPolicy, TargetRefused, check_target
from shared.tenancy import TenantScope
from shared.webhooks import deliveries, endpoints
from shared.webhooks.deliveries import Attempt, DeliveryMessage
from shared.webhooks.endpoints import Endpoint
from shared.webhooks.signing import load_keyring, signed_headers
from workers.delivery import Delivery
from workers.settlement import COMPLETE, Settlement, dead_letter
from workers.webhooks.schedule import RetrySchedule, retry_after_seconds
from workers.webhooks.transport import PinnedTransport

log = logging.getLogger("tenantry.webhooks")

USER_AGENT = "tenantry-webhooks/0.1"
EXHAUSTED = "WebhookDeliveryExhausted"


@dataclass(frozen=True)
class Answer:
    """What came of one POST: the status code, or the error that stopped it."""

    status_code: int | None = None
    retry_after: str | None = None
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


class Dispatcher:
    """Delivers webhook messages; safe to call concurrently (one session per endpoint)."""

    def __init__(
        self,
        services: Services,
        *,
        schedule: RetrySchedule | None = None,
        network_backend: httpcore.AsyncNetworkBackend | None = None,
    ) -> None:
        settings = services.settings
        self.services = services
        self.schedule = schedule or RetrySchedule.from_settings(settings)
        self.policy = TargetPolicy.from_settings(settings)
        self._timeout = settings.webhook_timeout_seconds
        self._ssl = httpx.create_ssl_context()
        self._network = network_backend

    async def process(self, delivery: Delivery) -> Settlement:
        """Make the attempt the message asks for and say how to settle the message."""
        try:
            message = DeliveryMessage.from_bytes(delivery.body)
        except ValidationError as exc:
            return dead_letter("InvalidDelivery", str(exc))
        if message.tenant_id not in self.services.registry:
            return dead_letter("UnknownTenant", f"tenant '{message.tenant_id}' is not registered")
        if delivery.session_id != endpoint_session(message.tenant_id, message.endpoint_id):
            return dead_letter(
                "TenantMismatch", f"session '{delivery.session_id}' is not the endpoint's"
            )
        scope = self.services.scope(message.tenant_id)
        logged = await deliveries.get(scope.store, message.delivery_id)
        if logged is not None and logged.status == "succeeded":
            return COMPLETE  # delivered already; this is a duplicate or a late retry
        endpoint = await endpoints.get(scope.store, message.endpoint_id)
        if endpoint is None or endpoint.status == "disabled":
            why = "the endpoint was deleted" if endpoint is None else "the endpoint is disabled"
            await self._log(scope, message, "skipped", error=why)
            return COMPLETE
        return await self._attempt(scope, message, endpoint)

    async def _attempt(
        self, scope: TenantScope, message: DeliveryMessage, endpoint: Endpoint
    ) -> Settlement:
        now = self.services.now()
        ring = await load_keyring(scope.secrets, endpoint.id, endpoint.key_id)
        keys = ring.signing(self.services.clock()) if ring else []
        started = time.monotonic()
        if keys:
            headers = signed_headers(message.delivery_id, now, message.body, keys)
            answer = await self._post(endpoint.url, message.body.encode(), headers)
        else:
            answer = Answer(error="the endpoint has no signing secret")
        attempt = Attempt(
            number=message.attempt + 1,
            at=now,
            status_code=answer.status_code,
            error=answer.error,
            duration_ms=round((time.monotonic() - started) * 1000),
        )
        if answer.ok:
            await self._log(scope, message, "succeeded", attempt=attempt)
            return COMPLETE
        if answer.status_code == 410:
            await endpoints.disable(scope.store, message.endpoint_id, "The endpoint answered 410.")
            await self._log(scope, message, "failed", attempt=attempt)
            return COMPLETE
        wait = self.schedule.delay_after(
            message.attempt, retry_after_seconds(answer.retry_after, now)
        )
        if wait is None:
            await self._log(scope, message, "dead_lettered", attempt=attempt)
            last = answer.error or f"HTTP {answer.status_code}"
            return dead_letter(EXHAUSTED, f"{attempt.number} attempts failed; the last: {last}")
        following = message.model_copy(update={"attempt": message.attempt + 1})
        when = now + timedelta(seconds=wait)
        retry = following.outgoing(f"{message.series}.{following.attempt}", scheduled=when)
        await self.services.bus.send(WEBHOOKS, [retry])
        await self._log(scope, message, "pending", attempt=attempt, next_attempt_at=when)
        return COMPLETE

    async def _post(self, url: str, body: bytes, headers: dict[str, str]) -> Answer:
        """POST once to the checked address of `url`; never raises for the endpoint's faults."""
        try:
            target = await check_target(url, self.policy, self.services.resolver)
        except TargetRefused as refused:
            return Answer(error=f"refused: {refused.detail}")
        transport = PinnedTransport(target, self._ssl, self._network)
        sent = headers | {"content-type": "application/json", "user-agent": USER_AGENT}
        try:
            async with (
                asyncio.timeout(self._timeout),
                httpx.AsyncClient(
                    transport=transport,
                    timeout=self._timeout,
                    follow_redirects=False,
                    trust_env=False,
                ) as client,
            ):
                response = await client.post(target.url, content=body, headers=sent)
        except TimeoutError:
            return Answer(error=f"no answer within {self._timeout:g} s")
        except httpx.HTTPError as exc:
            return Answer(error=f"{type(exc).__name__}: {exc}")
        error = None
        if response.is_redirect:
            error = f"redirect to {response.headers.get('location', '?')} not followed"
        elif not response.is_success:
            error = f"HTTP {response.status_code}"
        return Answer(response.status_code, response.headers.get("retry-after"), error)

    async def _log(
        self,
        scope: TenantScope,
        message: DeliveryMessage,
        status: deliveries.DeliveryStatus,
        *,
        attempt: Attempt | None = None,
        error: str | None = None,
        next_attempt_at: datetime | None = None,
    ) -> None:
        if attempt is None and error is not None:
            attempt = Attempt(number=message.attempt + 1, at=self.services.now(), error=error)
        await deliveries.record(
            scope.store,
            message,
            status,
            now=self.services.now(),
            attempt=attempt,
            next_attempt_at=next_attempt_at,
        )
        log.info(
            "webhook %s %s: %s",
            message.delivery_id,
            status,
            (attempt.error or attempt.status_code) if attempt else "-",
            extra={"tenant_id": message.tenant_id, "job_id": message.job_id},
        )
