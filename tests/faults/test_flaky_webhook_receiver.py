"""A webhook receiver failing intermittently for a whole run (500s, 503s, dropped connections,
answers after the sender's timeout): every event reaches the deduplicating receiver under one
`webhook-id`, is acted on exactly once, and every delivery log ends `succeeded`."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import httpx
import pytest

from cli.deployment import LocalDeployment
from tests.faults.flaky_receiver import FlakyReceiver
from tests.integration.conftest import collect

pytestmark = pytest.mark.slow

SEED = 4_2026
TENANTS = ("contoso", "fabrikam", "northwind")
SUCCEEDING = 40
FAILING = 10
TIMEOUT_SECONDS = 1.0


def test_every_event_reaches_a_flaky_receiver_exactly_once(tmp_path: Path) -> None:
    env = {
        **os.environ,
        "WEBHOOK_ALLOW_HOSTS": "127.0.0.1",
        "WEBHOOK_REQUIRE_HTTPS": "false",
        "WEBHOOK_TIMEOUT_SECONDS": str(TIMEOUT_SECONDS),
        "WEBHOOK_RETRY_SCHEDULE_SECONDS": json.dumps([0, 0.1, 0.2, 0.4, 0.4, 0.4, 0.4, 0.4]),
        "LOG_LEVEL": "WARNING",
    }
    with (
        FlakyReceiver(seed=SEED, late_seconds=TIMEOUT_SECONDS + 0.5) as receiver,
        LocalDeployment(tmp_path, workers=2, env=env) as live,
        httpx.Client(base_url=live.url, timeout=60) as http,
    ):
        auths = {t: {"Authorization": f"Bearer {live.token(t)}"} for t in TENANTS}
        hooks = {}
        for tenant in TENANTS:
            hook = http.post(
                "/webhooks",
                headers=auths[tenant],
                json={"url": receiver.url_for(tenant), "events": ["job.succeeded", "job.failed"]},
            )
            assert hook.status_code == 201, hook.text
            hooks[tenant] = hook.json()["id"]
            receiver.secrets[tenant] = hook.json()["secret"]
        for n in range(SUCCEEDING + FAILING):
            for tenant in TENANTS:
                if n < SUCCEEDING:
                    response = http.post("/cosmos/notes", headers=auths[tenant], json={"n": n})
                else:  # a patch of an item that does not exist: the job fails NotFound
                    response = http.patch(
                        f"/cosmos/notes/missing-{n}", headers=auths[tenant], json={"n": n}
                    )
                assert response.status_code == 202, response.text

        expected = set()
        deadline = time.monotonic() + 90
        for tenant in TENANTS:
            while True:
                jobs = collect(http, "/jobs", auths[tenant])
                if all(j["status"] in ("Succeeded", "Failed") for j in jobs):
                    break
                assert time.monotonic() < deadline, "jobs did not end"
                time.sleep(0.2)
            expected |= {
                (tenant, "job.succeeded" if j["status"] == "Succeeded" else "job.failed", j["id"])
                for j in jobs
            }
        assert len(expected) == len(TENANTS) * (SUCCEEDING + FAILING)
        while {(p.tenant, p.type, p.job_id) for p in receiver.processed.values()} != expected:
            assert time.monotonic() < deadline, "some events never reached the receiver"
            time.sleep(0.2)
        for tenant in TENANTS:
            while True:
                log = collect(http, f"/webhooks/{hooks[tenant]}/deliveries", auths[tenant])
                if len(log) == SUCCEEDING + FAILING and all(
                    d["status"] == "succeeded" for d in log
                ):
                    break
                assert time.monotonic() < deadline, "delivery logs did not all end succeeded"
                time.sleep(0.2)

    processed = list(receiver.processed.values())
    assert len(processed) == len(expected), "an event arrived under two webhook-ids"
    assert receiver.forged == 0
    assert {"error", "unavailable", "drop", "late"} <= set(receiver.answers), receiver.answers
    assert sum(receiver.repeats.values()) >= 1, "no late answer was retried (and deduplicated)"
