"""Agents, threads, messages, runs and items over HTTP against the live deployment."""

from __future__ import annotations

import time
import uuid

from tests.integration.conftest import Api


def _wait_job(api: Api, tenant: str, job_id: str, timeout: float = 30) -> dict[str, object]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        job = api.job(tenant, job_id)
        if job["status"] in ("Succeeded", "Failed", "Canceled"):
            return job
        time.sleep(0.05)
    raise AssertionError(f"job {job_id} did not end")


def test_a_command_is_accepted_as_a_job_that_ends_with_its_result(api: Api) -> None:
    accepted = api.as_("contoso", "POST", "/agents/", json={"name": "Async", "model": "gpt-4o"})
    assert accepted.status_code == 202
    job = accepted.json()
    assert accepted.headers["Operation-Location"] == f"{api.deployment.url}/jobs/{job['id']}"
    assert accepted.headers["Retry-After"].isdigit()
    assert job["status"] in ("NotStarted", "Running", "Succeeded")
    done = _wait_job(api, "contoso", job["id"])
    assert done["status"] == "Succeeded"
    assert done["resourceLocation"] == f"{api.deployment.url}/agents/{done['result']['id']}"  # type: ignore[index]
    agent = api.as_("contoso", "GET", done["resourceLocation"]).json()  # type: ignore[arg-type]
    assert agent == done["result"]


def test_a_thread_conversation_runs_and_the_answer_joins_the_thread(api: Api) -> None:
    agent = api.create(
        "northwind",
        "/agents/",
        {"name": "Support", "instructions": "Answer shipping questions.", "model": "gpt-4o"},
    )
    thread = api.create("northwind", "/agents/threads", {"metadata": {"topic": "shipping"}})
    assert thread["metadata"] == {"topic": "shipping", "tenantId": "northwind"}
    api.create(
        "northwind", f"/agents/threads/{thread['id']}/messages", {"content": "Where is order 42?"}
    )
    run = api.create("northwind", f"/agents/threads/{thread['id']}/runs", {"agent_id": agent["id"]})
    assert run["status"] == "completed"
    assert run["usage"]["total_tokens"] > 0  # type: ignore[index]
    fetched = api.as_("northwind", "GET", f"/agents/threads/{thread['id']}/runs/{run['id']}")
    assert fetched.json()["status"] == "completed"
    messages = api.as_("northwind", "GET", f"/agents/threads/{thread['id']}/messages").json()
    assert [m["role"] for m in messages] == ["user", "assistant"]
    answer = messages[1]
    assert "Where is order 42?" in answer["content"][0]["text"]["value"]
    assert answer["run_id"] == run["id"] and answer["assistant_id"] == agent["id"]
    assert answer["metadata"]["engine"] == "tenantry-local-engine"


def test_messages_keep_their_submission_order(api: Api) -> None:
    thread = api.create("contoso", "/agents/threads", {})
    jobs = [
        api.as_(
            "contoso", "POST", f"/agents/threads/{thread['id']}/messages", json={"content": f"m{i}"}
        ).json()["id"]
        for i in range(12)
    ]
    for job_id in jobs:
        assert _wait_job(api, "contoso", job_id)["status"] == "Succeeded"
    listed = api.as_(
        "contoso", "GET", f"/agents/threads/{thread['id']}/messages", params={"limit": 100}
    ).json()
    assert [m["content"][0]["text"]["value"] for m in listed] == [f"m{i}" for i in range(12)]


def test_lists_page_with_a_next_link(api: Api) -> None:
    container = f"page{uuid.uuid4().hex[:6]}"
    for i in range(5):
        api.create("fabrikam", f"/cosmos/{container}", {"n": i})
    first = api.as_("fabrikam", "GET", f"/cosmos/{container}", params={"limit": 2})
    assert [i["n"] for i in first.json()] == [4, 3]
    link = first.headers["Link"]
    assert link.endswith('rel="next"')
    next_url = link[1 : link.index(">")]
    second = api.as_("fabrikam", "GET", next_url)
    assert [i["n"] for i in second.json()] == [2, 1]
    assert (
        api.as_("fabrikam", "GET", f"/cosmos/{container}", params={"after": "!!"}).status_code
        == 422
    )


def test_an_item_updates_with_its_etag_and_refuses_a_stale_one(api: Api) -> None:
    item = api.create("contoso", "/cosmos/orders", {"status": "new", "lines": 2})
    path = f"/cosmos/orders/{item['id']}"
    etag = api.as_("contoso", "GET", path).headers["ETag"]
    updated = api.as_(
        "contoso", "PATCH", path, wait=30, headers={"If-Match": etag}, json={"status": "paid"}
    )
    assert updated.status_code == 200, updated.text
    assert updated.json()["status"] == "paid" and updated.json()["lines"] == 2
    stale = api.as_(
        "contoso", "PATCH", path, wait=30, headers={"If-Match": etag}, json={"status": "refunded"}
    )
    assert stale.status_code == 412
    assert api.as_("contoso", "GET", path).json()["status"] == "paid"
    deleted = api.as_("contoso", "DELETE", path, wait=30)
    assert deleted.status_code == 200
    assert api.as_("contoso", "GET", path).status_code == 404


def test_deleting_an_agent_removes_it_and_a_second_delete_is_not_found(api: Api) -> None:
    agent = api.create("fabrikam", "/agents/", {"name": "Temp", "model": "m"})
    assert api.as_("fabrikam", "DELETE", f"/agents/{agent['id']}", wait=30).status_code == 200
    assert api.as_("fabrikam", "GET", f"/agents/{agent['id']}").status_code == 404
    assert api.as_("fabrikam", "DELETE", f"/agents/{agent['id']}", wait=30).status_code == 404


def test_the_same_idempotency_key_returns_the_original_job(api: Api) -> None:
    key = {"Idempotency-Key": f"k-{uuid.uuid4()}"}
    first = api.as_("contoso", "POST", "/cosmos/payments", headers=key, json={"amount": 5})
    again = api.as_("contoso", "POST", "/cosmos/payments", headers=key, json={"amount": 5})
    assert first.status_code == again.status_code == 202
    assert first.json()["id"] == again.json()["id"]
    changed = api.as_("contoso", "POST", "/cosmos/payments", headers=key, json={"amount": 6})
    assert changed.status_code == 422
    other = api.as_("fabrikam", "POST", "/cosmos/payments", headers=key, json={"amount": 5})
    assert other.status_code == 202 and other.json()["id"] != first.json()["id"]
    _wait_job(api, "contoso", first.json()["id"])
    listed = api.as_("contoso", "GET", "/cosmos/payments", params={"limit": 100}).json()
    assert sum(1 for i in listed if i["amount"] == 5) == 1


def test_jobs_list_newest_first_with_filters(api: Api) -> None:
    api.create("northwind", "/cosmos/jobs-test", {"x": 1})
    jobs = api.as_("northwind", "GET", "/jobs", params={"type": "item.create"}).json()
    assert jobs and all(j["type"] == "item.create" for j in jobs)
    stamps = [j["createdDateTime"] for j in jobs]
    assert stamps == sorted(stamps, reverse=True)
    failed = api.as_("northwind", "GET", "/jobs", params={"status": "Failed"}).json()
    assert all(j["status"] == "Failed" for j in failed)


def test_bad_input_is_answered_with_problem_details(api: Api) -> None:
    broken = api.as_(
        "contoso",
        "POST",
        "/agents/",
        content=b"{not json",
        headers={"Content-Type": "application/json"},
    )
    assert broken.status_code == 422
    problem = broken.json()
    assert problem["code"] == "Invalid" and problem["status"] == 422
    assert problem["requestId"] == broken.headers["X-Request-ID"]
    missing = api.as_("contoso", "POST", "/agents/", json={"model": "m"})
    assert missing.status_code == 422
    too_big = api.as_("contoso", "POST", "/cosmos/blobs", json={"x": "a" * 2_000_000})
    assert too_big.status_code == 413
    assert too_big.headers["content-type"] == "application/problem+json"


def test_every_response_has_a_request_id_and_security_headers(api: Api) -> None:
    response = api.http.get("/health", headers={"X-Request-ID": "trace-me-1"})
    assert response.headers["X-Request-ID"] == "trace-me-1"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert api.http.get("/health/ready").json()["status"] == "ready"
    assert api.http.get("/openapi.json").status_code == 200
