"""`/webhooks`: registration with a secret shown once, the SSRF guard at the door, tenancy,
rotation, the delivery log and redelivery; and events of real jobs and runs, end to end."""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from shared.ports.secrets import SecretMissing
from shared.webhooks import endpoints
from shared.webhooks.signing import secret_name
from tests.harness import Harness, running
from tests.webhook_receiver import Received, Receiver
from tests.webhook_support import dispatching, webhook_settings

ALL_EVENTS = ["job.succeeded", "job.failed", "run.completed", "run.failed"]


@pytest.fixture
async def harness(tmp_path: Path) -> AsyncIterator[Harness]:
    async with (
        running(webhook_settings(tmp_path)) as running_harness,
        dispatching(running_harness.services),
    ):
        yield running_harness


async def register(
    harness: Harness, tenant: str, url: str, events: list[str] | None = None
) -> dict[str, Any]:
    response = await harness.client.post(
        "/webhooks", headers=harness.auth(tenant), json={"url": url, "events": events or ALL_EVENTS}
    )
    assert response.status_code == 201, response.text
    return response.json()  # type: ignore[no-any-return]


async def command(harness: Harness, tenant: str, path: str, body: Any) -> dict[str, Any]:
    headers = harness.auth(tenant) | {"Prefer": "wait=10"}
    response = await harness.client.post(path, headers=headers, json=body)
    assert response.status_code in (200, 201, 202, 404), response.text
    return response.json()  # type: ignore[no-any-return]


def event(received: Received, secret: str) -> dict[str, Any]:
    verified = received.verify(secret)  # the full Standard Webhooks check, timestamp included
    assert isinstance(verified, dict)
    return verified


async def test_registering_shows_the_secret_once_and_keeps_it_out_of_the_read_models(
    harness: Harness, tmp_path: Path
) -> None:
    created = await register(harness, "contoso", "http://127.0.0.1:9/hook")
    secret = created["secret"]
    assert secret.startswith("whsec_")
    assert created["metadata"] == {"tenantId": "contoso"} and created["status"] == "enabled"
    read = await harness.client.get(f"/webhooks/{created['id']}", headers=harness.auth("contoso"))
    listed = await harness.client.get("/webhooks", headers=harness.auth("contoso"))
    assert "secret" not in read.json() and [e["id"] for e in listed.json()] == [created["id"]]
    assert secret.encode() not in (tmp_path / "store.sqlite3").read_bytes()
    secrets_file = tmp_path / "secrets.sqlite3"
    assert os.stat(secrets_file).st_mode & 0o077 == 0
    wal = tmp_path / "secrets.sqlite3-wal"
    assert not wal.exists() or os.stat(wal).st_mode & 0o077 == 0


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("http://93.184.216.34/hook", "insecure"),
        ("https://10.0.0.1/hook", "private"),
        ("https://169.254.169.254/latest", "cloud metadata"),
        ("https://[::ffff:127.0.0.1]/", "IPv4-mapped IPv6"),
        ("not a url", "invalid"),
    ],
)
async def test_a_refused_url_is_a_422_at_registration(
    tmp_path: Path, url: str, reason: str
) -> None:
    async with running(webhook_settings(tmp_path, webhook_require_https=True)) as harness:
        response = await harness.client.post(
            "/webhooks", headers=harness.auth("contoso"), json={"url": url, "events": ALL_EVENTS}
        )
    assert response.status_code == 422
    assert response.json()["reason"] == reason


async def test_unknown_events_a_tenant_field_and_too_many_endpoints_are_refused(
    tmp_path: Path,
) -> None:
    async with running(webhook_settings(tmp_path, webhook_max_endpoints=1)) as harness:
        auth = harness.auth("contoso")
        post = harness.client.post
        unknown = await post(
            "/webhooks", headers=auth, json={"url": "http://127.0.0.1/", "events": ["job.nope"]}
        )
        tenant = await post(
            "/webhooks",
            headers=auth,
            json={"url": "http://127.0.0.1/", "events": ALL_EVENTS, "tenantId": "fabrikam"},
        )
        await register(harness, "contoso", "http://127.0.0.1/one")
        second = await post(
            "/webhooks", headers=auth, json={"url": "http://127.0.0.1/", "events": ALL_EVENTS}
        )
    assert unknown.status_code == 422
    assert (tenant.status_code, tenant.json()["code"]) == (400, "TenantOverride")
    assert second.status_code == 409


async def test_another_tenants_endpoint_is_not_found_for_every_route(harness: Harness) -> None:
    theirs = await register(harness, "contoso", "http://127.0.0.1:9/hook")
    base = f"/webhooks/{theirs['id']}"
    auth = harness.auth("fabrikam")
    answers = [
        await harness.client.get(base, headers=auth),
        await harness.client.delete(base, headers=auth),
        await harness.client.post(f"{base}/rotate-secret", headers=auth),
        await harness.client.get(f"{base}/deliveries", headers=auth),
        await harness.client.post(f"{base}/deliveries/msg_{'0' * 24}/redeliver", headers=auth),
    ]
    assert [a.status_code for a in answers] == [404] * 5
    assert (await harness.client.get("/webhooks", headers=auth)).json() == []
    still = await harness.client.get(base, headers=harness.auth("contoso"))
    assert still.status_code == 200


async def test_job_and_run_events_reach_the_subscribed_endpoint_signed(harness: Harness) -> None:
    with Receiver() as receiver:
        hook = await register(harness, "contoso", receiver.url)
        agent = await command(harness, "contoso", "/agents/", {"name": "a", "instructions": "hi"})
        thread = await command(harness, "contoso", "/agents/threads", {})
        path = f"/agents/threads/{thread['id']}"
        await command(harness, "contoso", f"{path}/messages", {"content": "hello"})
        run = (
            await harness.client.post(
                f"{path}/runs", headers=harness.auth("contoso"), json={"agent_id": agent["id"]}
            )
        ).json()
        missing = await command(
            harness, "contoso", "/agents/threads/thread_nope/messages", {"content": "x"}
        )
        await harness.wait_for_jobs("contoso", [run["id"]])
        received = await receiver.wait_for(6)
    events = [event(r, hook["secret"]) for r in received]
    by_type: dict[str, list[dict[str, Any]]] = {}
    for each in events:
        by_type.setdefault(each["type"], []).append(each["data"])
    assert [d["type"] for d in by_type["job.succeeded"]] == [
        "agent.create",
        "thread.create",
        "message.create",
        "run.create",
    ]
    [failed] = by_type["job.failed"]
    assert failed["error"]["code"] == "NotFound" and failed["jobId"] == missing["jobId"]
    [completed] = by_type["run.completed"]
    assert completed == {
        "jobId": run["id"],
        "threadId": thread["id"],
        "runId": completed["runId"],
        "status": "completed",
    }
    assert len({r.headers["webhook-id"] for r in received}) == 6


async def test_an_endpoint_receives_only_the_events_it_subscribed_to(harness: Harness) -> None:
    with Receiver() as receiver:
        await register(harness, "contoso", receiver.url, ["job.failed"])
        await command(harness, "contoso", "/cosmos/notes", {"n": 1})
        await command(harness, "contoso", "/agents/threads/thread_nope/messages", {"content": "x"})
        # had the succeeded event been sent, it would be first: one endpoint's events are FIFO
        [first, *_] = await receiver.wait_for(1)
    assert first.body.startswith(b'{"type":"job.failed"')


async def test_rotation_signs_with_both_secrets_until_the_overlap_ends(harness: Harness) -> None:
    with Receiver() as receiver:
        hook = await register(harness, "contoso", receiver.url)
        rotated = await harness.client.post(
            f"/webhooks/{hook['id']}/rotate-secret", headers=harness.auth("contoso")
        )
        assert rotated.status_code == 200
        assert rotated.json()["secret"] != hook["secret"]
        await command(harness, "contoso", "/cosmos/notes", {"n": 1})
        [received] = await receiver.wait_for(1)
    assert event(received, hook["secret"]) == event(received, rotated.json()["secret"])


async def test_the_delivery_log_shows_attempts_and_redelivery_keeps_the_webhook_id(
    harness: Harness,
) -> None:
    auth = harness.auth("contoso")
    with Receiver() as receiver:
        hook = await register(harness, "contoso", receiver.url, ["job.succeeded"])
        await command(harness, "contoso", "/cosmos/notes", {"n": 1})
        [first] = await receiver.wait_for(1)
        log = f"/webhooks/{hook['id']}/deliveries"
        async with asyncio.timeout(10):
            while not (entries := (await harness.client.get(log, headers=auth)).json()) or (
                entries[0]["status"] != "succeeded"
            ):
                await asyncio.sleep(0.01)
        [entry] = entries
        again = await harness.client.post(f"{log}/{entry['id']}/redeliver", headers=auth)
        assert again.status_code == 202 and again.json()["status"] == "pending"
        _, second = await receiver.wait_for(2)
    assert entry["id"] == first.headers["webhook-id"] == second.headers["webhook-id"]
    assert first.body == second.body
    assert entry["event"]["type"] == "job.succeeded" and entry["attempts"][0]["status_code"] == 204


async def test_deleting_an_endpoint_removes_its_secret(harness: Harness) -> None:
    hook = await register(harness, "contoso", "http://127.0.0.1:9/hook")
    scope = harness.services.scope("contoso")
    stored = await endpoints.get(scope.store, hook["id"])
    assert stored is not None
    name = secret_name(hook["id"], stored.key_id)
    assert (await scope.secrets.get(name)).startswith('{"keys"')

    deleted = await harness.client.delete(
        f"/webhooks/{hook['id']}", headers=harness.auth("contoso")
    )

    assert deleted.status_code == 204
    with pytest.raises(SecretMissing):
        await scope.secrets.get(name)


async def test_a_delivery_with_a_retry_scheduled_cannot_be_redelivered_meanwhile(
    harness: Harness,
) -> None:
    auth = harness.auth("contoso")
    with Receiver() as receiver:
        receiver.answer(503)
        hook = await register(harness, "contoso", receiver.url, ["job.succeeded"])
        await command(harness, "contoso", "/cosmos/notes", {"n": 1})
        await receiver.wait_for(1)
        log = f"/webhooks/{hook['id']}/deliveries"
        async with asyncio.timeout(10):
            while not (entries := (await harness.client.get(log, headers=auth)).json()):
                await asyncio.sleep(0.01)
        [entry] = entries
        refused = await harness.client.post(f"{log}/{entry['id']}/redeliver", headers=auth)
    assert entry["status"] == "pending" and entry["attempts"][0]["status_code"] == 503
    assert refused.status_code == 409
