"""The retry and dead-letter policy of failed handler calls, as pipeline middleware.

A transient failure (`shared.transient`: a throttle, a service's 5xx, a network error) is
tried again after an exponential, capped, jittered wait that honours the service's
`Retry-After`, inside the same delivery: the message keeps its session, so the tenant's later
commands stay behind it, and the wait is asynchronous, so every other session is served
meanwhile. A delivery waits at most `transient_wait_budget_seconds` (the session lock is
renewed meanwhile: by the session worker locally, by the Service Bus extension in Functions);
past it, or after `transient_attempts` calls, the message is given back like any other failure.

Any other failure gives the message back at once; on its last delivery (the bus's
max delivery count) it is dead-lettered and its job recorded as failed.
"""

from __future__ import annotations

import logging
import random
from collections.abc import Callable

from shared.ports.bus import MAX_DELIVERY_COUNT_EXCEEDED
from shared.settings import Settings
from shared.transient import backoff_delay, transience
from workers.middleware import Decision, Failure, Middleware, Retry
from workers.settlement import ABANDON, dead_letter

log = logging.getLogger("tenantry.worker")


class Retries(Middleware):
    """Wait out transient failures; give back or dead-letter the rest."""

    def __init__(self, settings: Settings, *, jitter: Callable[[], float] = random.random) -> None:
        self._settings = settings
        self._jitter = jitter

    def _backoff(self, failure: Failure) -> Retry | None:
        settings, attempt = self._settings, failure.attempt
        found = transience(failure.error)
        if found is None or attempt.number >= settings.transient_attempts:
            return None
        delay = backoff_delay(
            attempt.number,
            base_seconds=settings.transient_backoff_seconds,
            max_seconds=settings.transient_backoff_max_seconds,
            jitter=self._jitter(),
            retry_after=found.retry_after,
        )
        if attempt.waited_seconds + delay > settings.transient_wait_budget_seconds:
            return None
        return Retry(delay)

    async def after_failure(self, failure: Failure) -> Decision | None:
        attempt = failure.attempt
        retry = self._backoff(failure)
        log.warning(
            "handler failed, delivery %d, attempt %d%s: %s",
            attempt.delivery.delivery_count,
            attempt.number,
            f", trying again in {retry.delay_seconds:.2f}s" if retry else "",
            failure.description,
            extra={
                "tenant_id": attempt.envelope.tenant_id,
                "job_id": attempt.job_id,
                "command_type": attempt.envelope.type,
            },
        )
        if retry is not None:
            return retry
        if attempt.delivery.delivery_count < self._settings.bus_max_delivery_count:
            return ABANDON
        return dead_letter(MAX_DELIVERY_COUNT_EXCEEDED, failure.description)
