"""The README's local-webhook recipe: each refusal names the setting that allows the target, and
the sample receiver (examples/webhook_receiver.py) verifies what it is sent."""

from __future__ import annotations

import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from standardwebhooks import Webhook

from cli.child import REPO
from cli.deployment import free_port
from tests.harness import running, settings_for

HOOK = {"url": "http://127.0.0.1:9/hook", "events": ["job.succeeded"]}


@pytest.mark.parametrize(
    ("overrides", "status", "named"),
    [
        ({}, 422, "WEBHOOK_REQUIRE_HTTPS=false"),
        ({"webhook_require_https": False}, 422, "WEBHOOK_ALLOW_HOSTS"),
        ({"webhook_require_https": False, "webhook_allow_hosts": "127.0.0.1"}, 201, None),
    ],
)
async def test_a_local_target_is_refused_naming_the_setting_that_allows_it(
    tmp_path: Path, overrides: dict[str, object], status: int, named: str | None
) -> None:
    async with running(settings_for(tmp_path, **overrides), workers=False) as harness:
        answer = await harness.client.post("/webhooks", headers=harness.auth("contoso"), json=HOOK)
    assert answer.status_code == status, answer.text
    if named is not None:
        assert named in answer.json()["detail"]


def test_the_sample_receiver_verifies_a_signed_delivery_and_refuses_a_forged_one() -> None:
    secret = "whsec_" + "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
    port = free_port()
    receiver = subprocess.Popen(
        [sys.executable, "examples/webhook_receiver.py", "--port", str(port), "--secret", secret],
        cwd=REPO,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert receiver.stdout is not None
        assert receiver.stdout.readline().startswith("listening on")
        body = '{"type": "job.succeeded", "timestamp": "2026-01-01T00:00:00Z", "data": {}}'
        now = datetime.now(UTC)
        signature = Webhook(secret).sign("msg_1", now, body)
        headers = {
            "webhook-id": "msg_1",
            "webhook-timestamp": str(int(now.timestamp())),
            "webhook-signature": signature,
        }
        url = f"http://127.0.0.1:{port}/hook"
        deadline = time.monotonic() + 10
        while True:
            try:
                good = httpx.post(url, content=body, headers=headers)
                break
            except httpx.TransportError:
                assert time.monotonic() < deadline
                time.sleep(0.1)
        forged = httpx.post(url, content=body.replace("{}", '{"x": 1}'), headers=headers)
        assert (good.status_code, forged.status_code) == (204, 400)
        assert receiver.stdout.readline().startswith("verified msg_1: ")
        assert receiver.stdout.readline().startswith("REFUSED msg_1")
    finally:
        receiver.terminate()
        receiver.wait(timeout=10)
        if receiver.stdout is not None:
            receiver.stdout.close()
