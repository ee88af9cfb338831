"""Tenant A's resources on a live deployment, and a snapshot of everything A can see.

The tenant-boundary suites build one `World` for tenant A (an agent, a thread with a message and
a completed run, an item, a file, a search document, a webhook with deliveries, jobs), let
tenant B attack it with A's ids, and compare A's snapshot before and after.
"""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass
from typing import Any

from tests.integration.conftest import Api, collect

CONTAINER = "ledger"


@dataclass(frozen=True)
class World:
    """Ids of tenant A's resources (and B's own thread, for mixed attacks)."""

    agent: str
    thread: str
    message: str
    run: str
    item: str
    file: str
    document: str
    word: str
    webhook: str
    delivery: str
    job: str
    b_thread: str

    def ids(self) -> dict[str, str]:
        return {k: v for k, v in self.__dict__.items() if k not in ("word", "b_thread")}


def build(api: Api, a: str, b: str, webhook_url: str) -> World:
    """Create tenant A's resources through the API and wait until A's deliveries are done."""
    word = f"secret{uuid.uuid4().hex[:10]}"
    earlier = {str(j["id"]) for j in collect(api.http, "/jobs", api.auth(a))}
    hook = api.as_(a, "POST", "/webhooks", json={"url": webhook_url, "events": ["job.succeeded"]})
    assert hook.status_code == 201, hook.text
    agent = api.create(a, "/agents/", {"name": f"A {word}", "model": "gpt-4", "instructions": word})
    thread = api.create(a, "/agents/threads", {"metadata": {"owner": "a"}})
    message = api.create(a, f"/agents/threads/{thread['id']}/messages", {"content": word})
    run = api.create(a, f"/agents/threads/{thread['id']}/runs", {"agent_id": agent["id"]})
    item = api.create(
        a, f"/cosmos/{CONTAINER}", {"id": f"item-{uuid.uuid4().hex[:12]}", "text": word}
    )
    upload = api.as_(
        a,
        "POST",
        "/files",
        wait=30,
        files={"file": ("a.txt", f"the file of A: {word}".encode(), "text/plain")},
        data={"purpose": "assistants"},
    )
    assert upload.status_code == 201, upload.text
    document = f"doc-{uuid.uuid4().hex[:12]}"
    indexed = api.as_(
        a, "POST", "/search/documents", wait=30, json=[{"id": document, "content": word}]
    )
    assert indexed.status_code == 200, indexed.text
    job = api.as_(a, "POST", f"/cosmos/{CONTAINER}", wait=30, json={"note": word})
    assert job.status_code == 201, job.text
    jobs = api.as_(a, "GET", "/jobs", params={"limit": 1}).json()
    b_thread = api.create(b, "/agents/threads", {})
    deliveries = _settled_deliveries(api, a, hook.json()["id"], earlier)
    return World(
        agent=agent["id"],
        thread=thread["id"],
        message=message["id"],
        run=run["id"],
        item=item["id"],
        file=upload.json()["id"],
        document=document,
        word=word,
        webhook=hook.json()["id"],
        delivery=deliveries[0]["id"],
        job=jobs[0]["id"],
        b_thread=b_thread["id"],
    )


def _settled_deliveries(
    api: Api, tenant: str, hook: str, earlier: set[str]
) -> list[dict[str, Any]]:
    """The endpoint's deliveries, once every job since `earlier` has a succeeded delivery."""
    auth = api.auth(tenant)
    jobs = collect(api.http, "/jobs", auth)
    succeeded = [j for j in jobs if j["status"] == "Succeeded" and j["id"] not in earlier]
    deadline = time.monotonic() + 30
    while True:
        found = collect(api.http, f"/webhooks/{hook}/deliveries", auth)
        if len(found) >= len(succeeded) and all(d["status"] == "succeeded" for d in found):
            return found
        assert time.monotonic() < deadline, f"deliveries did not settle: {found}"
        time.sleep(0.1)


def snapshot(api: Api, tenant: str, world: World) -> dict[str, Any]:
    """Everything `tenant` can read of its resources, as JSON (and the file's bytes)."""
    auth = api.auth(tenant)
    thread = f"/agents/threads/{world.thread}"
    reads = [
        f"/agents/{world.agent}",
        thread,
        f"{thread}/runs/{world.run}",
        f"/cosmos/{CONTAINER}/{world.item}",
        f"/files/{world.file}",
        f"/webhooks/{world.webhook}",
    ]
    lists = [
        "/agents/",
        f"{thread}/messages",
        f"{thread}/runs",
        f"/cosmos/{CONTAINER}",
        "/files",
        "/jobs",
        "/webhooks",
        f"/webhooks/{world.webhook}/deliveries",
    ]
    seen: dict[str, Any] = {}
    for path in reads:
        response = api.http.get(path, headers=auth)
        assert response.status_code == 200, (path, response.text)
        seen[path] = (response.json(), response.headers.get("ETag"))
    for path in lists:
        seen[path] = collect(api.http, path, auth)
    content = api.http.get(f"/files/{world.file}/content", headers=auth)
    assert content.status_code == 200
    seen["content"] = content.content
    hits = api.http.get("/search/documents", params={"query": world.word}, headers=auth)
    seen["search"] = [(h["id"], h["content"]) for h in hits.json()]
    assert seen["search"], "tenant A's document is not searchable"
    return seen
