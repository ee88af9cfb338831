"""The webhook dispatcher: signatures, the retry schedule, Retry-After, 410, dead letters,
secret rotation, and endpoints that never hold each other up.

A receiver in the test verifies every signature with the `standardwebhooks` library. The
schedule runs on a clock the test moves, so hours of retries take a second.
"""

from __future__ import annotations

import asyncio
import dataclasses
import threading
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import pytest

from shared.bootstrap import Services, bootstrap
from shared.ports.secrets import TenantSecrets
from shared.queues import WEBHOOKS, endpoint_session
from shared.webhooks import deliveries, endpoints
from shared.webhooks.deliveries import DeliveryRecord
from tests.delivery import Delivery
from tests.webhook_receiver import Answer, Receiver, signature_matches
from tests.webhook_support import (
    JumpingClock,
    dispatching,
    message_for,
    register,
    webhook_settings,
)
from workers.webhooks.dispatcher import EXHAUSTED, Dispatcher

STANDARD_DELAYS = [5.0, 300.0, 1800.0]


@pytest.fixture
def clock() -> JumpingClock:
    return JumpingClock()


@pytest.fixture
async def services(tmp_path: Path, clock: JumpingClock) -> AsyncIterator[Services]:
    built = bootstrap(webhook_settings(tmp_path), clock=clock)
    yield built
    await built.close()


async def logged_when(
    services: Services, tenant: str, delivery_id: str, ready: object, timeout: float = 20
) -> DeliveryRecord:
    """The delivery's log entry once `ready(entry)` holds (or fail the test)."""
    store = services.store.for_tenant(tenant)
    async with asyncio.timeout(timeout):
        while True:
            entry = await deliveries.get(store, delivery_id)
            if entry is not None and ready(entry):  # type: ignore[operator]
                return entry
            await asyncio.sleep(0.01)


async def settled(services: Services, session_id: str, timeout: float = 20) -> None:
    """Until the session holds one message, the scheduled retry: the attempt is logged before
    its own message is completed, and moving the clock past that message's lock would expire
    it, so the bus would deliver the same attempt again."""
    async with asyncio.timeout(timeout):
        while True:
            counts = {c.session_id: c for c in await services.bus.session_counts(WEBHOOKS)}
            held = counts.get(session_id)
            if held is not None and (held.active or 0) + (held.scheduled or 0) == 1:
                return
            await asyncio.sleep(0.01)


async def test_a_delivery_is_signed_so_a_standard_webhooks_receiver_verifies_it(
    services: Services,
) -> None:
    with Receiver() as receiver:
        endpoint, secret = await register(services, "contoso", receiver.url)
        message = message_for("contoso", endpoint)
        settlement = await Dispatcher(services).process(Delivery.of(message))
    [received] = receiver.requests
    assert received.verify(secret) == {
        "type": "job.succeeded",
        "timestamp": received.verify(secret)["timestamp"],  # type: ignore[index]
        "data": {"jobId": "job_1", "type": "x.y"},
    }
    assert received.body == message.body.encode()
    assert received.headers["webhook-id"] == message.delivery_id
    assert received.headers["content-type"] == "application/json"
    assert settlement.action == "complete"
    logged = await deliveries.get(services.store.for_tenant("contoso"), message.delivery_id)
    assert logged is not None and logged.status == "succeeded"
    assert logged.attempts[0].status_code == 204


async def test_a_receiver_down_for_the_first_attempts_gets_the_event_once_back_with_the_same_id(
    services: Services, clock: JumpingClock
) -> None:
    with Receiver() as receiver:
        receiver.answer(503, 503, 503)
        endpoint, secret = await register(services, "contoso", receiver.url)
        message = message_for("contoso", endpoint)
        async with dispatching(services):
            await services.bus.send(WEBHOOKS, [message.outgoing(message.series)])
            for failures, delay in enumerate(STANDARD_DELAYS, start=1):
                entry = await logged_when(
                    services,
                    "contoso",
                    message.delivery_id,
                    lambda e, n=failures: len(e.attempts) == n and e.next_attempt_at,
                )
                assert entry.next_attempt_at is not None
                waited = (entry.next_attempt_at - entry.attempts[-1].at).total_seconds()
                assert delay * 0.9 <= waited <= delay * 1.1  # the schedule, with its jitter
                assert len(receiver.requests) == failures  # nothing before its time
                await settled(services, endpoint_session("contoso", endpoint.id))
                clock.advance_to(entry.next_attempt_at)
            done = await logged_when(
                services, "contoso", message.delivery_id, lambda e: e.status == "succeeded"
            )
    assert [a.status_code for a in done.attempts] == [503, 503, 503, 204]
    assert done.next_attempt_at is None
    assert len(receiver.requests) == 4
    assert {r.headers["webhook-id"] for r in receiver.requests} == {message.delivery_id}
    assert {r.body for r in receiver.requests} == {message.body.encode()}
    assert all(signature_matches(r, secret) for r in receiver.requests)


async def test_a_longer_retry_after_than_the_schedule_is_honoured(services: Services) -> None:
    with Receiver() as receiver:
        receiver.answer(Answer(429, {"Retry-After": "120"}))
        endpoint, _ = await register(services, "contoso", receiver.url)
        message = message_for("contoso", endpoint)
        await Dispatcher(services).process(Delivery.of(message))
    entry = await deliveries.get(services.store.for_tenant("contoso"), message.delivery_id)
    assert entry is not None and entry.next_attempt_at is not None
    assert entry.next_attempt_at - entry.attempts[-1].at >= timedelta(seconds=120)


async def test_a_410_disables_the_endpoint_and_nothing_more_is_sent_to_it(
    services: Services,
) -> None:
    store = services.store.for_tenant("contoso")
    with Receiver() as receiver:
        receiver.answer(410)
        endpoint, _ = await register(services, "contoso", receiver.url)
        first = message_for("contoso", endpoint, job_id="job_1")
        second = message_for("contoso", endpoint, job_id="job_2")
        await Dispatcher(services).process(Delivery.of(first))
        await Dispatcher(services).process(Delivery.of(second))
    assert len(receiver.requests) == 1
    disabled = await endpoints.get(store, endpoint.id)
    assert disabled is not None and disabled.status == "disabled"
    gone = await deliveries.get(store, first.delivery_id)
    assert gone is not None and gone.status == "failed" and gone.next_attempt_at is None
    skipped = await deliveries.get(store, second.delivery_id)
    assert skipped is not None and skipped.status == "skipped"


async def test_an_exhausted_delivery_is_dead_lettered_and_the_log_says_so(
    tmp_path: Path,
) -> None:
    services = bootstrap(webhook_settings(tmp_path, webhook_retry_schedule_seconds=[0, 0]))
    with Receiver() as receiver:
        receiver.answer(500, 500)
        endpoint, _ = await register(services, "contoso", receiver.url)
        message = message_for("contoso", endpoint)
        async with dispatching(services):
            await services.bus.send(WEBHOOKS, [message.outgoing(message.series)])
            entry = await logged_when(
                services, "contoso", message.delivery_id, lambda e: e.status == "dead_lettered"
            )
    assert [a.status_code for a in entry.attempts] == [500, 500]
    [dead] = await services.bus.peek_dead_letters(WEBHOOKS)
    assert dead.reason == EXHAUSTED and "HTTP 500" in dead.description
    assert dead.application_properties["deliveryId"] == message.delivery_id
    await services.close()


async def test_during_a_rotation_both_secrets_verify_and_after_the_overlap_only_the_new(
    services: Services, clock: JumpingClock
) -> None:
    scope = services.scope("contoso")
    with Receiver() as receiver:
        endpoint, old = await register(services, "contoso", receiver.url)
        new = await endpoints.rotate(scope, endpoint.id, int(clock()), overlap_seconds=3600)
        await Dispatcher(services).process(Delivery.of(message_for("contoso", endpoint, "job_1")))
        clock.advance_to(clock.later(3601))
        await Dispatcher(services).process(Delivery.of(message_for("contoso", endpoint, "job_2")))
    during, after = receiver.requests
    during.verify(old)
    during.verify(new)
    assert len(during.headers["webhook-signature"].split(" ")) == 2
    assert signature_matches(after, new) and not signature_matches(after, old)


async def test_a_hanging_endpoint_of_one_tenant_does_not_hold_up_another_tenants_delivery(
    services: Services,
) -> None:
    with Receiver() as slow, Receiver() as fast:
        slow.hold = threading.Event()
        slow_endpoint, _ = await register(services, "contoso", slow.url)
        fast_endpoint, _ = await register(services, "fabrikam", fast.url)
        async with dispatching(services, concurrency=2):
            held = message_for("contoso", slow_endpoint)
            await services.bus.send(WEBHOOKS, [held.outgoing(held.series)])
            async with asyncio.timeout(10):
                while not slow.holding.is_set():
                    await asyncio.sleep(0.01)
            other = message_for("fabrikam", fast_endpoint)
            await services.bus.send(WEBHOOKS, [other.outgoing(other.series)])
            await fast.wait_for(1)
            assert not slow.hold.is_set()  # fabrikam was served while contoso's call hung
            slow.hold.set()
            await logged_when(
                services, "contoso", held.delivery_id, lambda e: e.status == "succeeded"
            )


async def test_a_delivery_the_log_says_succeeded_is_not_sent_again(services: Services) -> None:
    with Receiver() as receiver:
        endpoint, _ = await register(services, "contoso", receiver.url)
        message = message_for("contoso", endpoint)
        await Dispatcher(services).process(Delivery.of(message))
        again = await Dispatcher(services).process(Delivery.of(message))
    assert again.action == "complete"
    assert len(receiver.requests) == 1


async def test_a_delivery_on_another_tenants_session_is_dead_lettered_unsent(
    services: Services,
) -> None:
    with Receiver() as receiver:
        endpoint, _ = await register(services, "contoso", receiver.url)
        message = message_for("contoso", endpoint)
        forged = Delivery(message.to_bytes(), f"fabrikam:{endpoint.id}", "m")
        settlement = await Dispatcher(services).process(forged)
    assert settlement.reason == "TenantMismatch"
    assert receiver.requests == []


class ForeverCache:
    """A tenant's secrets behind a cache that never expires (the worst a cache can do)."""

    def __init__(self, inner: TenantSecrets) -> None:
        self._inner = inner
        self._seen: dict[str, str] = {}

    async def get(self, name: str) -> str:
        if name not in self._seen:
            self._seen[name] = await self._inner.get(name)
        return self._seen[name]

    async def set(self, name: str, value: str) -> None:
        await self._inner.set(name, value)

    async def delete(self, name: str) -> None:
        await self._inner.delete(name)


async def test_a_worker_with_a_cached_keyring_signs_with_the_new_secret_after_a_rotation(
    services: Services,
) -> None:
    cached = ForeverCache(services.secrets.for_tenant("contoso"))
    worker_side = dataclasses.replace(services)
    worker_side.scope = lambda tenant: dataclasses.replace(  # type: ignore[method-assign]
        services.scope(tenant), secrets=cached
    )
    with Receiver() as receiver:
        endpoint, _ = await register(services, "contoso", receiver.url)
        await Dispatcher(worker_side).process(Delivery.of(message_for("contoso", endpoint, "j1")))
        new = await endpoints.rotate(services.scope("contoso"), endpoint.id, 0, overlap_seconds=0)
        await Dispatcher(worker_side).process(Delivery.of(message_for("contoso", endpoint, "j2")))
    _, after = receiver.requests
    after.verify(new)
