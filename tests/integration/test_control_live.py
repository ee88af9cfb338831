"""Control against a live `tenantry up`: limits, job cancellation and live run events."""

from __future__ import annotations

import itertools
import json
import random
import time
from collections.abc import Iterator

import httpx
import pytest

from cli.deployment import LocalDeployment

TENANTS = [
    {"id": "contoso"},
    {"id": "fabrikam"},
    {"id": "limited", "limits": {"requests_per_second": 0.01, "burst": 3}},
    {"id": "shared", "limits": {"requests_per_second": 0.01, "burst": 5}},
    {"id": "small", "limits": {"max_queued": 2}},
    {"id": "serial", "limits": {"concurrent_runs": 1}},
]


def _env(**extra: str) -> dict[str, str]:
    return {"TENANTS": json.dumps(TENANTS), **extra}


@pytest.fixture(scope="module")
def idle(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalDeployment]:
    """No workers (commands stay NotStarted), two ingress processes on one port."""
    with LocalDeployment(
        tmp_path_factory.mktemp("idle"), workers=0, env=_env(), ingress_processes=2
    ) as live:
        yield live


@pytest.fixture(scope="module")
def busy(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalDeployment]:
    """Two workers and runs that take two seconds."""
    env = _env(LOCAL_ENGINE_LATENCY_SECONDS="2", RUN_POLL_INTERVAL_SECONDS="0.05")
    with LocalDeployment(tmp_path_factory.mktemp("busy"), workers=2, env=env) as live:
        yield live


def _client(live: LocalDeployment, tenant: str) -> httpx.Client:
    headers = {"Authorization": f"Bearer {live.token(tenant)}"}
    return httpx.Client(base_url=live.url, headers=headers, timeout=30)


def test_a_tenant_over_its_rate_gets_429_with_ratelimit_headers(idle: LocalDeployment) -> None:
    with _client(idle, "limited") as limited, _client(idle, "contoso") as other:
        answers = [limited.get("/jobs") for _ in range(5)]
        assert [a.status_code for a in answers] == [200, 200, 200, 429, 429]
        refused = answers[-1]
        assert refused.json()["code"] == "RateLimited"
        assert refused.headers["content-type"] == "application/problem+json"
        assert refused.headers["RateLimit-Limit"] == "3"
        assert refused.headers["RateLimit-Remaining"] == "0"
        assert int(refused.headers["Retry-After"]) >= 1
        assert int(refused.headers["RateLimit-Reset"]) >= 1
        assert other.get("/jobs").status_code == 200


def test_ingress_processes_grant_a_tenant_its_burst_exactly_between_them(
    idle: LocalDeployment,
) -> None:
    headers = {"Authorization": f"Bearer {idle.token('shared')}", "Connection": "close"}
    answers = []
    for _ in range(24):  # a connection each: the processes take turns accepting them
        answers.append(httpx.get(f"{idle.url}/jobs", headers=headers, timeout=30).status_code)
    assert answers.count(200) == 5
    assert answers.count(429) == 19


def test_a_command_over_max_queued_is_refused_before_it_is_enqueued(
    idle: LocalDeployment,
) -> None:
    with _client(idle, "small") as small:
        statuses = [small.post("/cosmos/notes", json={"n": n}).status_code for n in range(4)]
        assert statuses == [202, 202, 429, 429]
        assert len(small.get("/jobs").json()) == 2


def test_cancel_a_job_not_started_then_409_and_404_for_another_tenant(
    idle: LocalDeployment,
) -> None:
    with _client(idle, "contoso") as contoso, _client(idle, "fabrikam") as fabrikam:
        job = contoso.post("/cosmos/notes", json={"id": "kept-back"}).json()
        assert fabrikam.post(f"/jobs/{job['id']}/cancel").status_code == 404
        canceled = contoso.post(f"/jobs/{job['id']}/cancel")
        assert canceled.status_code == 200
        assert canceled.json()["status"] == "Canceled"
        again = contoso.post(f"/jobs/{job['id']}/cancel")
        assert (again.status_code, again.json()["code"]) == (409, "AlreadyEnded")


def test_a_cancel_racing_the_workers_ends_canceled_or_succeeded_never_both(
    busy: LocalDeployment,
) -> None:
    chooser = random.Random(1414)
    outcomes: dict[str, int] = {"Canceled": 0, "Succeeded": 0}
    with _client(busy, "contoso") as contoso:
        raced = []
        for n in range(100):
            job = contoso.post("/cosmos/race", json={"id": f"r{n}"}).json()
            time.sleep(chooser.uniform(0, 0.01))
            raced.append((n, job["id"], contoso.post(f"/jobs/{job['id']}/cancel").status_code))
        time.sleep(2)  # the workers take the canceled commands off the bus too
        for n, job_id, cancel_status in raced:
            deadline = time.monotonic() + 30
            while (status := contoso.get(f"/jobs/{job_id}").json()["status"]) not in outcomes:
                assert time.monotonic() < deadline
                time.sleep(0.05)
            item = contoso.get(f"/cosmos/race/r{n}").status_code
            expected = (200, 404) if status == "Canceled" else (409, 200)
            assert (cancel_status, item) == expected, (n, status)
            outcomes[status] += 1
    assert outcomes["Canceled"] and outcomes["Succeeded"], outcomes


def _events(response: httpx.Response) -> list[tuple[str, str, dict[str, object] | str]]:
    """(id, event, data) of every event until `done`."""
    seen: list[tuple[str, str, dict[str, object] | str]] = []
    fields: dict[str, str] = {}
    for line in response.iter_lines():
        if line.startswith(":"):
            continue
        if line:
            name, _, value = line.partition(": ")
            fields[name] = value
            continue
        data = fields.get("data", "")
        seen.append(
            (fields.get("id", ""), fields["event"], data if data == "[DONE]" else json.loads(data))
        )
        if fields["event"] == "done":
            return seen
        fields = {}
    return seen


def _start_run(client: httpx.Client) -> tuple[str, str]:
    thread_id, run_id, _ = _run_with_job(client)
    return thread_id, run_id


def _run_with_job(client: httpx.Client) -> tuple[str, str, str]:
    """A run of a new agent on a new thread: its thread, run and job ids."""
    wait = {"Prefer": "wait=30"}
    agent = client.post("/agents/", json={"name": "a", "instructions": "Be brief."}, headers=wait)
    thread = client.post("/agents/threads", json={}, headers=wait).json()
    said = client.post(
        f"/agents/threads/{thread['id']}/messages", json={"content": "Hi?"}, headers=wait
    )
    assert said.status_code == 201, said.text
    job = client.post(f"/agents/threads/{thread['id']}/runs", json={"agent_id": agent.json()["id"]})
    deadline = time.monotonic() + 30
    while "result" not in (found := client.get(f"/jobs/{job.json()['id']}").json()):
        assert time.monotonic() < deadline
        time.sleep(0.02)
    return thread["id"], str(found["result"]["id"]), str(found["id"])


def _until_status(client: httpx.Client, thread_id: str, run_id: str, status: str) -> None:
    deadline = time.monotonic() + 30
    while client.get(f"/agents/threads/{thread_id}/runs/{run_id}").json()["status"] != status:
        assert time.monotonic() < deadline, status
        time.sleep(0.02)


def test_a_run_cancelled_live_goes_cancelling_then_cancelled_and_its_job_canceled(
    busy: LocalDeployment,
) -> None:
    with _client(busy, "contoso") as contoso, _client(busy, "fabrikam") as fabrikam:
        thread_id, run_id, job_id = _run_with_job(contoso)
        _until_status(contoso, thread_id, run_id, "in_progress")
        cancel = f"/agents/threads/{thread_id}/runs/{run_id}/cancel"
        assert fabrikam.post(cancel).status_code == 404
        asked = contoso.post(cancel)
        assert asked.status_code == 202
        with contoso.stream("GET", f"/agents/threads/{thread_id}/runs/{run_id}/events") as live:
            events = [e for _, e, _ in _events(live)]
        assert events == [
            "thread.run.queued",
            "thread.run.in_progress",
            "thread.run.cancelling",
            "thread.run.cancelled",
            "done",
        ]
        deadline = time.monotonic() + 30
        while contoso.get(f"/jobs/{job_id}").json()["status"] != "Canceled":
            assert time.monotonic() < deadline
            time.sleep(0.05)
        again = contoso.post(f"/jobs/{job_id}/cancel")
        assert (again.status_code, again.json()["code"]) == (409, "AlreadyEnded")


def test_runs_over_concurrent_runs_wait_queued_and_all_complete_one_at_a_time(
    busy: LocalDeployment,
) -> None:
    with _client(busy, "serial") as serial:
        wait = {"Prefer": "wait=30"}
        agent = serial.post("/agents/", json={"name": "a"}, headers=wait).json()["id"]
        threads = [
            serial.post("/agents/threads", json={}, headers=wait).json()["id"] for _ in "abc"
        ]
        jobs = [  # back to back: the second and third arrive while the first runs
            serial.post(f"/agents/threads/{t}/runs", json={"agent_id": agent}).json()["id"]
            for t in threads
        ]
        runs = []
        for thread_id, job_id in zip(threads, jobs, strict=True):
            deadline = time.monotonic() + 30
            while "result" not in (found := serial.get(f"/jobs/{job_id}").json()):
                assert time.monotonic() < deadline
                time.sleep(0.02)
            runs.append((thread_id, found["result"]["id"], job_id))
        most_at_once, seen_waiting = 0, False
        deadline = time.monotonic() + 60
        while True:
            statuses = [
                serial.get(f"/agents/threads/{t}/runs/{r}").json()["status"] for t, r, _ in runs
            ]
            most_at_once = max(most_at_once, statuses.count("in_progress"))
            seen_waiting = seen_waiting or "queued" in statuses
            if statuses == ["completed"] * 3:
                break
            assert "failed" not in statuses and time.monotonic() < deadline, statuses
            time.sleep(0.05)
        assert (most_at_once, seen_waiting) == (1, True), (most_at_once, seen_waiting, runs)
        done = [serial.get(f"/agents/threads/{t}/runs/{r}").json() for t, r, _ in runs]
        for earlier, later in itertools.pairwise(done):
            assert later["started_at"] >= earlier["completed_at"]


def test_a_run_streams_its_events_live_and_resumes_after_the_last_event_id(
    busy: LocalDeployment,
) -> None:
    with _client(busy, "contoso") as contoso, _client(busy, "fabrikam") as fabrikam:
        thread_id, run_id = _start_run(contoso)
        path = f"/agents/threads/{thread_id}/runs/{run_id}/events"
        assert fabrikam.get(path).status_code == 404
        with contoso.stream("GET", path) as live:
            assert live.status_code == 200
            assert live.headers["content-type"].startswith("text/event-stream")
            events = _events(live)
        assert [(i, e) for i, e, _ in events] == [
            ("1", "thread.run.queued"),
            ("2", "thread.run.in_progress"),
            ("3", "thread.message.created"),
            ("4", "thread.message.completed"),
            ("5", "thread.run.completed"),
            ("", "done"),
        ]
        final = events[4][2]
        assert isinstance(final, dict) and final["status"] == "completed"
        with contoso.stream("GET", path, headers={"Last-Event-ID": "2"}) as resumed:
            again = _events(resumed)
        assert [i for i, _, _ in again] == ["3", "4", "5", ""]
