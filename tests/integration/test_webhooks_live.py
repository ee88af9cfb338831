"""Webhooks from a live `tenantry up`: the fleet's processes deliver signed events, and an
exhausted delivery lands in the dead letters, from where `tenantry dlq replay` sends it again
with the same `webhook-id`."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from cli.deployment import LocalDeployment
from tests.webhook_receiver import Receiver

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalDeployment]:
    env = {
        "WEBHOOK_ALLOW_HOSTS": "127.0.0.1",
        "WEBHOOK_REQUIRE_HTTPS": "false",
        "WEBHOOK_RETRY_SCHEDULE_SECONDS": "[0, 0.2]",
    }
    with LocalDeployment(tmp_path_factory.mktemp("webhooks"), workers=1, env=env) as deployment:
        yield deployment


def tenantry(live: LocalDeployment, *args: str) -> Any:
    """The `tenantry` command in its own process, on the deployment's data, as JSON."""
    done = subprocess.run(
        [sys.executable, "-m", "cli.main", *args, "--json", "--data-dir", str(live.data_dir)],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return json.loads(done.stdout)


def client(live: LocalDeployment, tenant: str) -> httpx.Client:
    headers = {"Authorization": f"Bearer {live.token(tenant)}"}
    return httpx.Client(base_url=live.url, headers=headers, timeout=30)


def test_the_fleet_delivers_a_signed_event_when_a_job_ends(live: LocalDeployment) -> None:
    with Receiver() as receiver, client(live, "contoso") as api:
        hook = api.post("/webhooks", json={"url": receiver.url, "events": ["job.succeeded"]})
        assert hook.status_code == 201, hook.text
        item = api.post("/cosmos/notes", json={"n": 1}, headers={"Prefer": "wait=20"})
        assert item.status_code == 201
        [received] = receiver.wait_sync(1)
    event = received.verify(hook.json()["secret"])
    assert isinstance(event, dict) and event["type"] == "job.succeeded"
    assert event["data"]["type"] == "item.create"


def test_an_events_resource_location_is_the_absolute_link_the_api_gives(
    live: LocalDeployment,
) -> None:
    with Receiver() as receiver, client(live, "northwind") as api:
        hook = api.post("/webhooks", json={"url": receiver.url, "events": ["job.succeeded"]})
        item = api.post("/cosmos/notes", json={"n": 2}, headers={"Prefer": "wait=20"})
        assert item.status_code == 201
        [received] = receiver.wait_sync(1)
        event = received.verify(hook.json()["secret"])
        assert isinstance(event, dict)
        assert event["data"]["resourceLocation"] == item.headers["Location"]
        assert api.get(event["data"]["resourceLocation"]).json()["n"] == 2


def test_an_exhausted_delivery_is_dead_lettered_and_the_cli_replays_it(
    live: LocalDeployment,
) -> None:
    with Receiver() as receiver, client(live, "fabrikam") as api:
        receiver.answer(500, 500)
        hook = api.post("/webhooks", json={"url": receiver.url, "events": ["job.succeeded"]})
        api.post("/cosmos/notes", json={"n": 1}, headers={"Prefer": "wait=20"})
        first, second = receiver.wait_sync(2)
        deadline = time.monotonic() + 30
        while not (dead := tenantry(live, "dlq", "list", "--queue", "webhooks")):
            assert time.monotonic() < deadline, "the delivery never reached the dead letters"
            time.sleep(0.1)
        [letter] = dead
        assert (letter["tenantId"], letter["reason"]) == ("fabrikam", "WebhookDeliveryExhausted")
        log = api.get(f"/webhooks/{hook.json()['id']}/deliveries").json()
        assert log[0]["status"] == "dead_lettered" and len(log[0]["attempts"]) == 2

        replayed = tenantry(live, "dlq", "replay", "--queue", "webhooks", "--tenant", "fabrikam")
        assert replayed["count"] == 1
        *_, third = receiver.wait_sync(3)
    assert (
        first.headers["webhook-id"] == second.headers["webhook-id"] == third.headers["webhook-id"]
    )
    third.verify(hook.json()["secret"])
    assert tenantry(live, "dlq", "list", "--queue", "webhooks") == []
