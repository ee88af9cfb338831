"""A transient failure is waited out, not bounced: the message keeps its session, the tenant's
order holds, and other tenants are served meanwhile (issue 10, item 6)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from azure.core.exceptions import HttpResponseError, ServiceRequestError
from azure.cosmos.exceptions import CosmosHttpResponseError

from functions.runtime import Runtime
from shared.contracts.commands import ItemCreate
from shared.contracts.envelope import Envelope
from shared.contracts.resources import JobStatus
from shared.jobs import load
from shared.queues import COMMANDS
from shared.transient import TransientFailure
from tests.functions.test_function_app import RecordingActions, sb_message
from tests.harness import Harness, running, settings_for
from workers.context import HandlerContext, Outcome
from workers.handlers import HANDLERS
from workers.pipeline import standard_middleware
from workers.process import command_pipeline


class MovedClock:
    """What retries wait on: time passes only when the test moves it."""

    def __init__(self) -> None:
        self.now = 0.0
        self.waits: list[float] = []
        self._sleepers: list[tuple[float, asyncio.Future[None]]] = []

    async def sleep(self, seconds: float) -> None:
        self.waits.append(seconds)
        woken: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._sleepers.append((self.now + seconds, woken))
        await woken

    @property
    def sleeping(self) -> int:
        return sum(1 for _, woken in self._sleepers if not woken.done())

    async def until_sleeping(self, timeout: float = 30) -> None:
        await until(lambda: self.sleeping > 0, timeout)

    def advance(self, seconds: float) -> None:
        self.now += seconds
        for due, woken in self._sleepers:
            if due <= self.now and not woken.done():
                woken.set_result(None)


async def until(condition: Callable[[], bool], timeout: float = 30) -> None:
    async with asyncio.timeout(timeout):
        while not condition():
            await asyncio.sleep(0.005)


async def wait_out(clock: MovedClock, done: Callable[[], bool]) -> None:
    """Move the clock past each wait the retries ask for, until `done`."""
    while True:
        await until(lambda: clock.sleeping > 0 or done())
        if not clock.sleeping:
            return
        clock.advance(clock.waits[-1])


def _response(status: int, headers: dict[str, str] | None = None) -> SimpleNamespace:
    return SimpleNamespace(status_code=status, reason="", headers=headers or {}, request=None)


FAILURES: list[Exception] = [
    CosmosHttpResponseError(
        status_code=429,
        message="Request rate is large",
        response=_response(429, {"x-ms-retry-after-ms": "7000"}),
    ),
    HttpResponseError(message="Service Unavailable", response=_response(503)),
    ServiceRequestError("connection reset by peer"),
    ConnectionResetError("reset"),
    TransientFailure("the model is overloaded"),
]
"""Five transient failures in a row: a Cosmos DB throttle asking for 7 s, a 503, a network
error from azure-core, a reset connection, and one of our own."""


@pytest.fixture(autouse=True)
def _failures_forget_where_they_were_raised() -> Iterator[None]:
    """The failures are raised again by each test: each keeps the frames of its last raise
    (its loop, its services) alive until the interpreter tears the module down, too late for
    their finalizers to run cleanly; drop them after each test."""
    yield
    for failure in FAILURES:
        failure.__traceback__ = failure.__context__ = failure.__cause__ = None


def failing_for_contoso(
    real: Callable[[ItemCreate, HandlerContext], Awaitable[Outcome]], calls: list[str]
) -> Callable[[ItemCreate, HandlerContext], Awaitable[Outcome]]:
    """`real`, failing contoso's first `len(FAILURES)` calls in turn (each noted in `calls`)."""

    async def flaky(command: ItemCreate, context: HandlerContext) -> Outcome:
        if context.scope.tenant_id == "contoso":
            calls.append(command.item["id"])
            if len(calls) <= len(FAILURES):
                raise FAILURES[len(calls) - 1]
        return await real(command, context)

    return flaky


async def _status(harness: Harness, tenant: str, job_id: str) -> str:
    job = await harness.client.get(f"/jobs/{job_id}", headers=harness.auth(tenant))
    status: str = job.json()["status"]
    return status


async def _submit(harness: Harness, tenant: str, method: str, path: str, body: Any) -> str:
    response = await harness.client.request(method, path, json=body, headers=harness.auth(tenant))
    assert response.status_code == 202, response.text
    job_id: str = response.json()["id"]
    return job_id


async def test_a_handler_failing_transiently_five_times_succeeds_on_the_sixth_attempt(
    tmp_path: Path,
) -> None:
    clock = MovedClock()
    calls: list[str] = []
    flaky = failing_for_contoso(HANDLERS[ItemCreate], calls)

    settings = settings_for(tmp_path, bus_max_delivery_count=2)
    handlers = {**HANDLERS, ItemCreate: flaky}
    async with running(settings, handlers=handlers, sleep=clock.sleep) as harness:
        created = await _submit(harness, "contoso", "POST", "/cosmos/notes", {"id": "n1"})
        patched = await _submit(harness, "contoso", "PATCH", "/cosmos/notes/n1", {"done": True})
        await clock.until_sleeping()

        others = [
            await _submit(harness, "fabrikam", "POST", "/cosmos/notes", {"id": f"f{i}"})
            for i in range(3)
        ]
        await harness.wait_for_jobs("fabrikam", others)
        assert [await _status(harness, "fabrikam", j) for j in others] == ["Succeeded"] * 3
        assert await _status(harness, "contoso", created) in ("NotStarted", "Running")
        assert await _status(harness, "contoso", patched) == "NotStarted"  # kept behind it

        await wait_out(clock, lambda: len(calls) > len(FAILURES))
        await harness.wait_for_jobs("contoso", [created, patched])

        assert calls == ["n1"] * 6
        assert await _status(harness, "contoso", created) == "Succeeded"
        assert await _status(harness, "contoso", patched) == "Succeeded"
        item = await harness.client.get("/cosmos/notes/n1", headers=harness.auth("contoso"))
        assert item.json()["done"] is True
        dead = await harness.services.bus.peek_dead_letters(
            COMMANDS, max_count=10, from_sequence_number=0
        )
        assert dead == []

    first, *rest = clock.waits
    assert len(clock.waits) == 5
    assert first >= 7.0  # the throttle's own x-ms-retry-after-ms
    for failures, wait in enumerate(rest, start=2):
        ceiling = min(settings.transient_backoff_max_seconds, 2 ** (failures - 1))
        assert ceiling / 2 <= wait <= ceiling


async def test_the_functions_app_waits_out_transient_failures_the_same_way(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    clock = MovedClock()
    settings = settings_for(tmp_path, bus_max_delivery_count=2)
    local = Runtime(lambda: settings, sleep=clock.sleep)
    calls: list[str] = []
    monkeypatch.setitem(HANDLERS, ItemCreate, failing_for_contoso(HANDLERS[ItemCreate], calls))

    def message(tenant: str) -> tuple[Envelope, Any]:
        data = {"container": "notes", "item": {"id": "n1"}}
        envelope = Envelope(type="item.create", tenant_id=tenant, subject="u", data=data)
        body = envelope.to_bytes()
        return envelope, sb_message(body, message_id=envelope.command_id, session_id=tenant)

    actions = RecordingActions()
    contoso, contoso_message = message("contoso")
    fabrikam, fabrikam_message = message("fabrikam")
    try:
        waiting = asyncio.create_task(local.handle(contoso_message, actions))
        await clock.until_sleeping()
        await local.handle(fabrikam_message, actions)
        assert actions.calls == [("complete", fabrikam.command_id)]
        await wait_out(clock, lambda: len(calls) > len(FAILURES))
        await waiting
        assert actions.calls == [
            ("complete", fabrikam.command_id),
            ("complete", contoso.command_id),
        ]
        services = await local.services()
        found = await load(services.scope("contoso").store, contoso.command_id)
        assert found is not None
        assert found[0].status is JobStatus.SUCCEEDED
        assert calls == ["n1"] * 6
    finally:
        await local.close()


async def test_the_fleet_and_the_functions_app_run_commands_with_the_same_middleware(
    tmp_path: Path,
) -> None:
    settings = settings_for(tmp_path)
    local = Runtime(lambda: settings)
    try:
        services = await local.services()
        functions_side = [type(m) for m in (await local.pipeline()).middleware]
        fleet_side = [type(m) for m in command_pipeline(services).middleware]
    finally:
        await local.close()
    assert functions_side == fleet_side == [type(m) for m in standard_middleware(services)]
    assert [kind.__name__ for kind in fleet_side] == [
        "HandlerTelemetry",
        "TimeLimit",
        "Retries",
        "WebhookEvents",
    ]
