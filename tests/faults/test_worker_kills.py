"""SIGKILL worker processes at random (seeded) moments while 2,000 commands from 20 tenants run.

Each tenant posts messages to its own thread and creates items, one command after another.
Worker processes die without warning (one at a time, and once the whole fleet with its
supervisor, which is then started again). Afterwards every accepted job has ended Succeeded, or
Failed with its dead letter's reason as the error code; no job is lost; no message or item
exists twice, in the store or in the engine; and each tenant's commands took effect in the
order they were accepted.
"""

from __future__ import annotations

import json
import os
import random
import sqlite3
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest

from cli.deployment import LocalDeployment
from tests.faults.fleet import WorkerFleet
from tests.integration.conftest import collect

pytestmark = pytest.mark.slow

SEED = 7_2026
TENANTS = [f"tenant{i:02d}" for i in range(20)]
PER_TENANT = 100
CONTAINER = "ledger"


@dataclass
class Accepted:
    """What one tenant submitted, in the order the ingress accepted it."""

    thread: str
    jobs: list[tuple[str, str, int]] = field(default_factory=list)
    """(job id, "message" or "item", index)"""


def _submit_all(http: httpx.Client, auth: dict[str, str], thread: str) -> Accepted:
    accepted = Accepted(thread)
    for n in range(PER_TENANT):
        if n % 2 == 0:
            kind, path, body = "message", f"/agents/threads/{thread}/messages", {"content": str(n)}
        else:
            kind, path, body = "item", f"/cosmos/{CONTAINER}", {"n": n}
        response = http.post(path, headers=auth, json=body)
        assert response.status_code == 202, response.text
        accepted.jobs.append((response.json()["id"], kind, n))
    return accepted


def _kill_at_random(fleet: WorkerFleet, stop: threading.Event, rng: random.Random) -> None:
    whole_fleet_at = rng.randint(3, 6)
    round_ = 0
    while not stop.wait(rng.uniform(0.2, 0.9)):
        round_ += 1
        if round_ == whole_fleet_at:
            fleet.kill_all()
            time.sleep(rng.uniform(0.1, 0.6))
            fleet.start()
            continue
        workers = fleet.workers()
        if workers:
            fleet.kill_worker(rng.choice(workers))


def _wait_until_ended(
    http: httpx.Client, auths: dict[str, dict[str, str]], timeout: float
) -> dict[str, dict[str, dict[str, object]]]:
    deadline = time.monotonic() + timeout
    while True:
        jobs = {t: {str(j["id"]): j for j in collect(http, "/jobs", auths[t])} for t in TENANTS}
        pending = sum(
            1
            for by_id in jobs.values()
            for j in by_id.values()
            if j["status"] in ("NotStarted", "Running")
        )
        if pending == 0:
            return jobs
        assert time.monotonic() < deadline, f"{pending} jobs never ended"
        time.sleep(0.5)


def test_killing_workers_at_random_loses_no_job_and_applies_no_effect_twice(
    tmp_path: Path,
) -> None:
    env = {
        **os.environ,
        "TENANTS": json.dumps([{"id": t, "lanes": 1} for t in TENANTS]),
        "BUS_LOCK_DURATION_SECONDS": "2",
        "SHUTDOWN_GRACE_SECONDS": "1",
        "LOG_LEVEL": "WARNING",
    }
    rng = random.Random(SEED)
    with (
        LocalDeployment(tmp_path, workers=0, env=env) as live,
        httpx.Client(base_url=live.url, timeout=60) as http,
        WorkerFleet(tmp_path, env) as fleet,
    ):
        auths = {t: {"Authorization": f"Bearer {live.token(t)}"} for t in TENANTS}
        admin = {"Authorization": f"Bearer {live.token(TENANTS[0], roles=('tenantry.admin',))}"}
        threads = {
            t: http.post("/agents/threads", headers=auths[t] | {"Prefer": "wait=30"}, json={})
            for t in TENANTS
        }
        assert all(r.status_code == 201 for r in threads.values())
        fleet.wait_for_workers()
        stop = threading.Event()
        killer = threading.Thread(target=_kill_at_random, args=(fleet, stop, rng))
        killer.start()
        try:
            with ThreadPoolExecutor(len(TENANTS)) as pool:
                futures = {
                    t: pool.submit(_submit_all, http, auths[t], threads[t].json()["id"])
                    for t in TENANTS
                }
                accepted = {t: f.result() for t, f in futures.items()}
            time.sleep(rng.uniform(1.0, 2.0))  # keep killing while the backlog drains
        finally:
            stop.set()
            killer.join()
        if fleet.process is None or fleet.exited():  # the supervisor, not its workers, which
            fleet.start()  # it restarts itself: a second start would orphan the first
        jobs = _wait_until_ended(http, auths, timeout=90)
        dead = http.get("/admin/deadletters", headers=admin, params={"queue": "commands"})
        assert dead.status_code == 200
        dead_letters = {d["messageId"]: d for d in dead.json()}
        assert fleet.kills >= 3

        for tenant in TENANTS:
            mine = accepted[tenant]
            by_id = jobs[tenant]
            ended = []
            for job_id, _, _ in mine.jobs:
                job = by_id.get(job_id)
                assert job is not None, f"{tenant}: job {job_id} was lost"
                if job["status"] == "Succeeded":
                    ended.append(str(job["lastUpdatedDateTime"]))
                    continue
                assert job["status"] == "Failed", job
                assert dead_letters[job_id]["reason"], dead_letters.get(job_id)
                assert job["error"]["code"] == dead_letters[job_id]["reason"], job  # type: ignore[index]
            assert ended == sorted(ended), f"{tenant}: commands took effect out of order"

            done = {n for job_id, _, n in mine.jobs if by_id[job_id]["status"] == "Succeeded"}
            messages = collect(http, f"/agents/threads/{mine.thread}/messages", auths[tenant])
            contents = [int(m["content"][0]["text"]["value"]) for m in messages]  # type: ignore[index]
            expected = [n for _, kind, n in mine.jobs if kind == "message" and n in done]
            assert contents == expected, f"{tenant}: messages duplicated, lost or reordered"
            items = collect(http, f"/cosmos/{CONTAINER}", auths[tenant])
            numbers = [int(str(i["n"])) for i in reversed(items)]
            expected = [n for _, kind, n in mine.jobs if kind == "item" and n in done]
            assert numbers == expected, f"{tenant}: items duplicated, lost or reordered"

    with sqlite3.connect(f"file:{tmp_path / 'engine.sqlite3'}?mode=ro", uri=True) as engine:
        counts = dict(
            engine.execute("SELECT tenant_id, COUNT(*) FROM messages GROUP BY tenant_id").fetchall()
        )
    for tenant in TENANTS:
        sent = sum(
            1
            for job_id, kind, _ in accepted[tenant].jobs
            if kind == "message" and jobs[tenant][job_id]["status"] == "Succeeded"
        )
        assert counts.get(tenant, 0) == sent, f"{tenant}: the engine holds a message twice"
