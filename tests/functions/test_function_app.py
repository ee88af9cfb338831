"""The Azure Functions app: its indexed bindings, and its triggers run on the local adapters.

The triggers are called as the worker calls them, with the SDK-typed message the Service Bus
extension decodes from what the host sends (`tests.functions.received_messages`); settlement
goes to a recording stand-in for the extension's `ServiceBusMessageActions`, which takes the
same calls (`tests/functions/test_language_worker.py` answers them over the host's gRPC).
"""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

import functions.runtime as runtime
from functions.delivery import FunctionsDelivery
from functions.runtime import Runtime
from shared.contracts.envelope import Envelope
from shared.jobs import load, new_job, record_accepted
from shared.messages import to_message
from shared.queues import COMMANDS
from shared.settings import Settings
from tests.functions.indexed import indexed
from tests.functions.received_messages import sdk_message
from tests.harness import settings_for

REPO_ROOT = Path(__file__).resolve().parents[2]


@dataclass
class RecordingActions:
    """Records the settlement calls the trigger makes."""

    calls: list[tuple[Any, ...]] = field(default_factory=list)

    def complete(self, message: Any) -> None:
        self.calls.append(("complete", message.message_id))

    def abandon(self, message: Any) -> None:
        self.calls.append(("abandon", message.message_id))

    def deadletter(
        self,
        message: Any,
        deadletter_reason: str | None = None,
        deadletter_error_description: str | None = None,
    ) -> None:
        self.calls.append(
            ("deadletter", message.message_id, deadletter_reason, deadletter_error_description)
        )


def sb_message(
    body: bytes,
    *,
    message_id: str,
    session_id: str | None,
    delivery_count: int = 1,
) -> Any:
    return sdk_message(body, message_id=message_id, session_id=session_id, delivery=delivery_count)


@pytest.fixture
async def settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[Settings]:
    configured = settings_for(tmp_path, bus_max_delivery_count=3)
    local = Runtime(lambda: configured)
    monkeypatch.setattr(runtime, "RUNTIME", local)
    yield configured
    await local.close()


@pytest.mark.parametrize("queue", ["commands", "webhooks"])
def test_each_queue_has_a_session_enabled_trigger_on_the_service_bus_connection(
    queue: str,
) -> None:
    binding_json, _ = indexed()[queue]
    (binding,) = binding_json["bindings"]
    assert binding == {
        "direction": "IN",
        "type": "serviceBusTrigger",
        "name": "message",
        "connection": "SERVICEBUS",
        "queueName": queue,
        "isSessionsEnabled": True,
        "cardinality": "ONE",
        "autoCompleteMessages": False,
    }
    assert binding_json["scriptFile"] == "function_app.py"


def test_the_app_has_the_two_queue_triggers_the_sweep_timer_and_the_readiness_route() -> None:
    assert sorted(indexed()) == ["commands", "ready", "sweep", "webhooks"]
    binding_json, _ = indexed()["ready"]
    trigger = next(b for b in binding_json["bindings"] if b["type"] == "httpTrigger")
    assert (trigger["route"], trigger["authLevel"], trigger["methods"]) == (
        "health/ready",
        "ANONYMOUS",
        ["GET"],
    )


def _ready_request() -> Any:
    import azure.functions as func

    return func.HttpRequest("GET", "http://localhost/api/health/ready", body=b"")


async def test_a_configured_app_is_ready(settings: Settings) -> None:
    _, ready = indexed()["ready"]
    response = await ready(req=_ready_request())
    assert response.status_code == 200
    assert json.loads(response.get_body())["status"] == "ready"


@pytest.mark.parametrize(
    ("adapter", "missing"),
    [("engine_adapter", "FOUNDRY_PROJECT_ENDPOINT"), ("store_adapter", "COSMOS_ENDPOINT")],
)
async def test_a_misconfigured_app_says_what_to_fix_on_readiness_instead_of_failing_messages(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, adapter: str, missing: str
) -> None:
    broken = settings_for(tmp_path).model_copy(update={adapter: "azure"})
    monkeypatch.setattr(runtime, "RUNTIME", Runtime(lambda: broken))
    _, ready = indexed()["ready"]
    for _ in range(2):  # the error is reported each time, not only on the first call
        response = await ready(req=_ready_request())
        assert response.status_code == 503
        assert response.headers["Retry-After"]
        body = json.loads(response.get_body())
        assert body["status"] == "misconfigured"
        assert missing in body["checks"]["configuration"]


def _duration(text: str) -> timedelta:
    hours, minutes, seconds = text.split(":")
    return timedelta(hours=int(hours), minutes=int(minutes), seconds=float(seconds))


def test_host_json_is_tuned_for_many_small_tenant_sessions() -> None:
    host = json.loads((REPO_ROOT / "host.json").read_text())
    service_bus = host["extensions"]["serviceBus"]
    assert service_bus["maxConcurrentSessions"] > 8
    # a drained session is held this long: it bounds single-command tenants per slot (README)
    assert _duration(service_bus["sessionIdleTimeout"]) <= timedelta(seconds=0.5)
    longest_handler = timedelta(seconds=Settings().handler_timeout_seconds)
    assert _duration(service_bus["maxAutoLockRenewalDuration"]) > longest_handler
    assert _duration(host["functionTimeout"]) > longest_handler
    assert service_bus["autoCompleteMessages"] is False
    assert re.fullmatch(r"\[4\.\*, 5\.0\.0\)", host["extensionBundle"]["version"])


async def test_a_command_runs_end_to_end_and_is_completed(settings: Settings) -> None:
    _, trigger = indexed()["commands"]
    envelope = Envelope(
        type="item.create",
        tenant_id="contoso",
        subject="user@contoso",
        data={"container": "notes", "item": {"id": "n1", "text": "from Functions"}},
    )
    actions = RecordingActions()
    message = sb_message(envelope.to_bytes(), message_id=envelope.command_id, session_id="contoso")
    await trigger(message=message, actions=actions)
    assert actions.calls == [("complete", envelope.command_id)]
    pipeline = await runtime.RUNTIME.pipeline()
    store = pipeline.services.store.for_tenant("contoso")
    job = await load(store, envelope.command_id)
    assert job is not None and job[0].status == "Succeeded"
    item = await store.get("items.notes", "n1")
    assert item is not None and item["text"] == "from Functions"
    assert await pipeline.services.store.for_tenant("fabrikam").get("items.notes", "n1") is None


async def test_the_session_and_delivery_come_from_the_amqp_message_the_host_sent(
    settings: Settings,
) -> None:
    _, trigger = indexed()["commands"]
    envelope = Envelope(
        type="item.create",
        tenant_id="fabrikam",
        subject="u",
        data={"container": "notes", "item": {"id": "n2"}},
    )
    message = sb_message(envelope.to_bytes(), message_id=envelope.command_id, session_id="fabrikam")
    delivery = FunctionsDelivery(message)
    assert (delivery.session_id, delivery.message_id, delivery.delivery_count) == (
        "fabrikam",
        envelope.command_id,
        1,
    )
    assert delivery.body == envelope.to_bytes()
    actions = RecordingActions()
    await trigger(message=message, actions=actions)
    assert actions.calls == [("complete", envelope.command_id)]


async def test_a_poison_message_is_dead_lettered_with_its_reason_at_once(
    settings: Settings,
) -> None:
    _, trigger = indexed()["commands"]
    actions = RecordingActions()
    await trigger(
        message=sb_message(b"{not json", message_id="m1", session_id="contoso"), actions=actions
    )
    ((action, message_id, reason, description),) = actions.calls
    assert (action, message_id, reason) == ("deadletter", "m1", "InvalidEnvelope")
    assert description


async def test_an_invalid_command_is_dead_lettered_and_its_job_fails(settings: Settings) -> None:
    _, trigger = indexed()["commands"]
    envelope = Envelope(
        type="agent.create", tenant_id="contoso", subject="u", data={"name": "", "bogus": 1}
    )
    actions = RecordingActions()
    message = sb_message(envelope.to_bytes(), message_id=envelope.command_id, session_id="contoso")
    await trigger(message=message, actions=actions)
    assert actions.calls[0][:3] == ("deadletter", envelope.command_id, "InvalidCommand")
    store = (await runtime.RUNTIME.pipeline()).services.store.for_tenant("contoso")
    job = await load(store, envelope.command_id)
    assert job is not None and job[0].status == "Failed" and job[0].error is not None
    assert job[0].error.code == "Invalid"


async def test_a_run_on_a_tenants_lane_runs_and_its_poll_is_scheduled_on_the_same_lane(
    settings: Settings,
) -> None:
    _, trigger = indexed()["commands"]
    actions = RecordingActions()

    async def on_lane(command_type: str, data: dict[str, Any]) -> Envelope:
        envelope = Envelope(
            type=command_type, tenant_id="contoso", subject="u", data=data, session_id="contoso:2"
        )
        message = sb_message(
            envelope.to_bytes(), message_id=envelope.command_id, session_id="contoso:2"
        )
        await trigger(message=message, actions=actions)
        return envelope

    agent = await on_lane("agent.create", {"name": "helper"})
    thread = await on_lane("thread.create", {})
    pipeline = await runtime.RUNTIME.pipeline()
    store = pipeline.services.store.for_tenant("contoso")
    agent_job, thread_job = (
        await load(store, agent.command_id),
        await load(store, thread.command_id),
    )
    assert agent_job is not None and agent_job[0].result is not None
    assert thread_job is not None and thread_job[0].result is not None
    run = await on_lane(
        "run.create",
        {"thread_id": thread_job[0].result["id"], "agent_id": agent_job[0].result["id"]},
    )
    assert [call[0] for call in actions.calls] == ["complete"] * 3
    lane = await pipeline.services.bus.accept_session("commands", "contoso:2")
    async with asyncio.timeout(10):
        while not (polls := await lane.receive(1)):
            await asyncio.sleep(0.01)
    await lane.close()
    poll = Envelope.from_bytes(polls[0].body)
    assert (poll.type, poll.session_id, polls[0].session_id) == (
        "run.poll",
        "contoso:2",
        "contoso:2",
    )
    assert poll.data["job_id"] == run.command_id


async def test_a_command_in_another_tenants_session_is_dead_lettered(settings: Settings) -> None:
    _, trigger = indexed()["commands"]
    envelope = Envelope(type="item.create", tenant_id="contoso", subject="u", data={})
    actions = RecordingActions()
    message = sb_message(envelope.to_bytes(), message_id=envelope.command_id, session_id="fabrikam")
    await trigger(message=message, actions=actions)
    assert actions.calls[0][2] == "TenantMismatch"


async def test_a_failing_handler_is_abandoned_then_dead_lettered_on_the_last_delivery(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    from shared.contracts.commands import ItemCreate
    from workers import handlers

    async def broken(command: Any, context: Any) -> Any:
        raise RuntimeError("the engine is down")

    monkeypatch.setitem(handlers.HANDLERS, ItemCreate, broken)
    _, trigger = indexed()["commands"]
    envelope = Envelope(
        type="item.create", tenant_id="contoso", subject="u", data={"container": "c", "item": {}}
    )
    actions = RecordingActions()
    for delivery in (1, 2, 3):
        message = sb_message(
            envelope.to_bytes(),
            message_id=envelope.command_id,
            session_id="contoso",
            delivery_count=delivery,
        )
        await trigger(message=message, actions=actions)
    assert [call[0] for call in actions.calls] == ["abandon", "abandon", "deadletter"]
    assert actions.calls[-1][2:] == (
        "MaxDeliveryCountExceeded",
        "RuntimeError: the engine is down",
    )


async def test_an_undecodable_webhook_delivery_is_dead_lettered_with_its_reason(
    settings: Settings,
) -> None:
    _, trigger = indexed()["webhooks"]
    actions = RecordingActions()
    message = sb_message(b"[]", message_id="w1", session_id="contoso:wh_1")
    await trigger(message=message, actions=actions)
    assert actions.calls[0][:3] == ("deadletter", "w1", "InvalidDelivery")


def test_the_sweep_runs_every_minute_on_a_timer() -> None:
    binding_json, _ = indexed()["sweep"]
    (timer,) = binding_json["bindings"]
    assert timer["type"] == "timerTrigger" and timer["schedule"] == "0 */1 * * * *"
    assert timer["runOnStartup"] is False and timer["useMonitor"] is True


async def test_the_sweep_ends_the_jobs_the_bus_dead_lettered_and_those_never_started(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """On Azure no fleet runs the sweeper: the timer trigger is what ends a job whose message
    expired on the bus, and one whose message never arrived at all."""
    configured = settings_for(tmp_path, command_ttl_seconds=0.2)
    local = Runtime(lambda: configured)
    monkeypatch.setattr(runtime, "RUNTIME", local)
    try:
        services = await local.services()
        store = services.store.for_tenant("contoso")
        expired = Envelope(type="item.create", tenant_id="contoso", subject="u", data={})
        lost = Envelope(type="item.create", tenant_id="contoso", subject="u", data={})
        for envelope in (expired, lost):
            job = new_job(envelope.command_id, envelope.type, envelope.time)
            await record_accepted(store, job, envelope)
        await services.bus.send(COMMANDS, [to_message(expired, ttl_seconds=0.2)])
        await asyncio.sleep(0.4)
        _, sweep = indexed()["sweep"]
        await sweep(timer=None)
        ended = {}
        for envelope in (expired, lost):
            found = await load(store, envelope.command_id)
            assert found is not None and found[0].error is not None
            ended[envelope.command_id] = (found[0].status, found[0].error.code)
        assert ended == {
            expired.command_id: ("Failed", "TTLExpiredException"),
            lost.command_id: ("Failed", "Expired"),
        }
    finally:
        await local.close()
