"""Live run events when the Functions app runs the commands: the ingress reads what it records."""

from __future__ import annotations

import asyncio
from pathlib import Path

import httpx
import pytest

import functions.runtime as runtime
from functions.runtime import Runtime
from ingress.app import create_app
from ingress.event_hub import RunEventHub
from ingress.routers.run_events import DONE, frame
from shared.bootstrap import bootstrap
from shared.ports.bus import Bus, NoSessionAvailable
from shared.tokens import issue_dev_token
from tests.functions.test_function_app import RecordingActions, indexed, sb_message
from tests.harness import settings_for


async def _drive(bus: Bus, until: asyncio.Event) -> None:
    """Hand every command on the tenant's session to the Functions trigger, as the host would."""
    _, trigger = indexed()["commands"]
    while not until.is_set():
        try:
            receiver = await bus.accept_session("commands", "contoso")
        except NoSessionAvailable:
            await asyncio.sleep(0.01)
            continue
        try:
            for message in await receiver.receive(10):
                delivered = sb_message(
                    message.body, message_id=message.message_id, session_id="contoso"
                )
                await trigger(message=delivered, actions=RecordingActions())
                await receiver.complete(message)
        finally:
            await receiver.close()
        await asyncio.sleep(0.01)


async def test_a_stream_on_the_ingress_gets_the_events_the_functions_app_records(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = settings_for(tmp_path)
    functions_app = Runtime(lambda: settings)
    monkeypatch.setattr(runtime, "RUNTIME", functions_app)
    ingress_services = bootstrap(settings)  # the ingress's own adapters, as in its own process
    app = create_app(settings, ingress_services)
    hub = RunEventHub(ingress_services.store, tick_seconds=0.02)
    host = bootstrap(settings)  # the Functions host's view of the bus
    done = asyncio.Event()
    driver = asyncio.create_task(_drive(host.bus, done))
    token = issue_dev_token(settings, tenant_id="contoso", roles=("user",))
    headers = {"Authorization": f"Bearer {token}"}
    wait = headers | {"Prefer": "wait=30"}
    try:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            agent = (await client.post("/agents/", headers=wait, json={"name": "a"})).json()
            thread = (await client.post("/agents/threads", headers=wait, json={})).json()
            said = await client.post(
                f"/agents/threads/{thread['id']}/messages", headers=wait, json={"content": "Hi"}
            )
            assert said.status_code == 201, said.text
            job = await client.post(
                f"/agents/threads/{thread['id']}/runs",
                headers=headers,
                json={"agent_id": agent["id"]},
            )
            async with asyncio.timeout(30):
                while "result" not in (
                    found := (await client.get(f"/jobs/{job.json()['id']}", headers=headers)).json()
                ):
                    await asyncio.sleep(0.01)
                run_id = found["result"]["id"]
                stream = hub.subscribe("contoso", run_id, 0)
                live = [await stream.inbox.get()]
                while not live[-1].terminal:
                    live.append(await stream.inbox.get())
            assert [e.event for e in live] == [
                "thread.run.queued",
                "thread.run.in_progress",
                "thread.message.created",
                "thread.message.completed",
                "thread.run.completed",
            ]
            path = f"/agents/threads/{thread['id']}/runs/{run_id}/events"
            replayed = await client.get(path, headers=headers)
            assert replayed.headers["content-type"].startswith("text/event-stream")
            assert replayed.text == "".join(map(frame, live)) + DONE
    finally:
        done.set()
        await driver
        await hub.close()
        await host.close()
        await ingress_services.close()
        await functions_app.close()
