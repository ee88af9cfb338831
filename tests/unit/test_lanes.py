"""Lanes: one tenant's commands on different threads run in parallel, each thread in order.

The real ingress and a real session worker on embedded adapters (`tests.harness`); the handlers
are the real ones, wrapped by a probe that records which ran, on which session, and how many
were in flight at once.
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from shared.contracts.commands import ItemCreate, ItemUpdate
from shared.contracts.envelope import Envelope
from shared.ordering import thread_key
from shared.queues import WEBHOOKS, endpoint_session, session_for
from shared.webhooks import endpoints
from tests.delivery import Delivery
from tests.harness import Harness, running, settings_for
from workers.context import HandlerContext, Outcome
from workers.handlers import HANDLERS, Handler
from workers.pipeline import Pipeline

LANES = 4
REGISTRY = json.dumps([{"id": "contoso", "lanes": LANES}, {"id": "fabrikam"}])


@dataclass
class Probe:
    """Wraps every handler; `gate` makes handlers of `gated` types wait for each other."""

    gated: frozenset[str] = frozenset()
    gate: asyncio.Barrier | None = None
    pause: float = 0.0
    in_flight: int = 0
    most_in_flight: int = 0
    ran: list[tuple[str, str, Any]] = field(default_factory=list)
    """(command type, session, command) in the order the effects happened."""

    def handlers(self) -> dict[str, Handler]:
        return {command_type: self._wrap(handler) for command_type, handler in HANDLERS.items()}

    def _wrap(self, handler: Handler) -> Handler:
        async def probed(command: Any, ctx: HandlerContext) -> Outcome:
            gated = ctx.envelope.type in self.gated
            if gated:
                self.in_flight += 1
                self.most_in_flight = max(self.most_in_flight, self.in_flight)
            try:
                if gated and self.gate is not None:
                    async with asyncio.timeout(5):  # a deadlock guard, not a measurement
                        await self.gate.wait()
                await asyncio.sleep(self.pause)  # room for any other session's handler
                outcome = await handler(command, ctx)
            finally:
                if gated:
                    self.in_flight -= 1
            self.ran.append((ctx.envelope.type, ctx.envelope.session_id, command))
            return outcome

        return probed

    def sessions_of(self, command_type: str) -> set[str]:
        return {session for kind, session, _ in self.ran if kind == command_type}


async def _created(harness: Harness, tenant: str, path: str, body: object) -> dict[str, Any]:
    response = await harness.client.post(
        path, json=body, headers=harness.auth(tenant) | {"Prefer": "wait=20"}
    )
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


async def _threads_in_every_lane(harness: Harness, tenant: str) -> list[str]:
    """One thread per lane of the tenant, in lane order (threads are made until each has one)."""
    by_lane: dict[str, str] = {}
    for _ in range(60):
        thread = await _created(harness, tenant, "/agents/threads", {})
        by_lane.setdefault(
            session_for(tenant, lanes=LANES, key=thread_key(thread["id"])), thread["id"]
        )
        if len(by_lane) == LANES:
            return [by_lane[lane] for lane in sorted(by_lane)]
    raise AssertionError(f"60 threads fell in only {sorted(by_lane)}")


async def _post(harness: Harness, tenant: str, path: str, body: object) -> str:
    response = await harness.client.post(path, json=body, headers=harness.auth(tenant))
    assert response.status_code == 202, response.text
    job_id: str = response.json()["id"]
    return job_id


async def _statuses(harness: Harness, tenant: str, job_ids: list[str]) -> set[str]:
    await harness.wait_for_jobs(tenant, job_ids)
    jobs = [await harness.client.get(f"/jobs/{j}", headers=harness.auth(tenant)) for j in job_ids]
    return {job.json()["status"] for job in jobs}


async def test_messages_on_threads_in_different_lanes_are_handled_at_the_same_time(
    tmp_path: Path,
) -> None:
    probe = Probe(gated=frozenset({"message.create"}), gate=asyncio.Barrier(LANES))
    settings = settings_for(tmp_path, tenants=REGISTRY)
    async with running(settings, handlers=probe.handlers()) as harness:
        threads = await _threads_in_every_lane(harness, "contoso")
        jobs = [
            await _post(harness, "contoso", f"/agents/threads/{t}/messages", {"content": "hi"})
            for t in threads
        ]
        assert await _statuses(harness, "contoso", jobs) == {"Succeeded"}
    assert probe.most_in_flight == LANES
    assert len(probe.sessions_of("message.create")) == LANES


async def test_with_one_lane_a_tenants_commands_are_handled_one_at_a_time(tmp_path: Path) -> None:
    probe = Probe(gated=frozenset({"message.create"}), pause=0.02)
    settings = settings_for(tmp_path, tenants=REGISTRY)
    async with running(settings, handlers=probe.handlers()) as harness:
        threads = [
            (await _created(harness, "fabrikam", "/agents/threads", {}))["id"] for _ in "abcd"
        ]
        jobs = [
            await _post(harness, "fabrikam", f"/agents/threads/{t}/messages", {"content": "hi"})
            for t in threads
            for _ in range(3)
        ]
        assert await _statuses(harness, "fabrikam", jobs) == {"Succeeded"}
    assert probe.most_in_flight == 1
    assert probe.sessions_of("message.create") == {"fabrikam"}


async def test_the_messages_of_one_thread_take_effect_in_order_across_lanes(
    tmp_path: Path,
) -> None:
    probe = Probe()
    settings = settings_for(tmp_path, tenants=REGISTRY)
    async with running(settings, handlers=probe.handlers()) as harness:
        threads = await _threads_in_every_lane(harness, "contoso")
        jobs = [
            await _post(
                harness, "contoso", f"/agents/threads/{t}/messages", {"content": f"{t} {n}"}
            )
            for n in range(8)
            for t in threads
        ]
        assert await _statuses(harness, "contoso", jobs) == {"Succeeded"}
        listed = {
            t: await harness.client.get(
                f"/agents/threads/{t}/messages", headers=harness.auth("contoso")
            )
            for t in threads
        }
    effects = [(s, c) for kind, s, c in probe.ran if kind == "message.create"]
    for thread in threads:
        lane = session_for("contoso", lanes=LANES, key=thread_key(thread))
        on_thread = [(s, c.content) for s, c in effects if c.thread_id == thread]
        assert on_thread == [(lane, f"{thread} {n}") for n in range(8)]
        shown = [m["content"][0]["text"]["value"] for m in listed[thread].json()]
        assert shown == [f"{thread} {n}" for n in range(8)]


async def test_a_runs_polls_stay_in_its_threads_lane_and_its_events_go_to_the_endpoint(
    tmp_path: Path,
) -> None:
    probe = Probe()
    settings = settings_for(tmp_path, tenants=REGISTRY)
    async with running(settings, handlers=probe.handlers()) as harness:
        scope = harness.services.scope("contoso")
        endpoint, _ = await endpoints.register(
            scope, "https://hooks.example.com/", ["run.completed"], "", 0
        )
        agent = await _created(harness, "contoso", "/agents/", {"name": "a", "instructions": "x"})
        thread = (await _threads_in_every_lane(harness, "contoso"))[2]
        job = await _post(
            harness, "contoso", f"/agents/threads/{thread}/runs", {"agent_id": agent["id"]}
        )
        assert await _statuses(harness, "contoso", [job]) == {"Succeeded"}
        hooks = await harness.services.bus.accept_session(
            WEBHOOKS, endpoint_session("contoso", endpoint.id)
        )
        events = [json.loads(m.body) for m in await hooks.receive(10)]
        await hooks.close()
    lane = session_for("contoso", lanes=LANES, key=thread_key(thread))
    assert probe.sessions_of("run.create") == probe.sessions_of("run.poll") == {lane}
    assert len(events) == 1


async def test_an_items_commands_keep_their_order_and_new_items_spread_over_lanes(
    tmp_path: Path,
) -> None:
    probe = Probe(pause=0.001)
    settings = settings_for(tmp_path, tenants=REGISTRY)
    async with running(settings, handlers=probe.handlers()) as harness:
        jobs = [await _post(harness, "contoso", "/cosmos/notes", {"id": "n1", "v": 0})]
        for v in range(1, 9):
            response = await harness.client.patch(
                "/cosmos/notes/n1", json={"v": v}, headers=harness.auth("contoso")
            )
            assert response.status_code == 202
            jobs.append(response.json()["id"])
        jobs += [await _post(harness, "contoso", "/cosmos/notes", {"v": -1}) for _ in range(16)]
        assert await _statuses(harness, "contoso", jobs) == {"Succeeded"}
        item = await harness.client.get("/cosmos/notes/n1", headers=harness.auth("contoso"))
    assert item.json()["v"] == 8
    n1 = {s for kind, s, c in probe.ran if kind.startswith("item.") and _item_id(c) == "n1"}
    assert len(n1) == 1
    assert len(probe.sessions_of("item.create") - n1) > 1


def _item_id(command: ItemCreate | ItemUpdate) -> object:
    return command.item.get("id") if isinstance(command, ItemCreate) else command.item_id


async def test_a_command_on_its_tenants_lane_is_handled_and_on_another_tenants_is_not(
    tmp_path: Path,
) -> None:
    async with running(settings_for(tmp_path, tenants=REGISTRY), workers=False) as harness:
        pipeline = Pipeline(harness.services)
        for session, expected in (("contoso:3", "complete"), ("fabrikam:3", "dead_letter")):
            envelope = Envelope(
                type="item.create",
                tenant_id="contoso",
                subject="u",
                data={"container": "notes", "item": {"v": session}},
                session_id=session,
            )
            settled = await pipeline.process(Delivery(envelope.to_bytes(), session))
            assert settled.action == expected
        assert settled.reason == "TenantMismatch"
        items = await harness.services.store.for_tenant("contoso").list("items.notes")
    assert [i["v"] for i in items.items] == ["contoso:3"]
