"""`tenantry demo` as a new user runs it: every step once, the asynchronous model (202, then
polling), a webhook received and verified, a dead letter replayed, and what to try next."""

from __future__ import annotations

import re
import subprocess
import sys

import pytest

from cli.child import REPO

pytestmark = pytest.mark.slow


def test_the_demo_shows_each_step_once_and_ends_with_what_to_try_next() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "cli.main", "demo", "--workers", "1"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=300,
        env={"COLUMNS": "200", "PATH": "/usr/bin:/bin"},
    )
    assert done.returncode == 0, done.stdout + done.stderr
    out = done.stdout
    titles = re.findall(r"^(\d+)\. (.+)$", out, flags=re.MULTILINE)
    assert [int(n) for n, _ in titles] == list(range(1, len(titles) + 1))
    assert len({t for _, t in titles}) == len(titles) >= 6
    assert re.search(r"POST /agents/ -> 202 job job_\w+ NotStarted", out)
    assert re.search(r"Operation-Location: http://127\.0\.0\.1:\d+/jobs/job_\w+", out)
    assert re.search(r"-> (NotStarted|Running)( -> Running)? -> Succeeded", out)
    assert "signature verified" in out
    assert re.search(r"dead letter webhooks:\d+: WebhookDeliveryExhausted", out)
    assert "-> 1 replayed" in out and "delivered and verified" in out
    assert out.rstrip().splitlines()[-7].startswith("Try next")
