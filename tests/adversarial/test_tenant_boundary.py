"""Every route of API.md, called by tenant B with tenant A's ids: 404 or nothing, and A unchanged.

Reads and synchronous writes answer 404 `NotFound` (never 403); commands are accepted and their
job fails `NotFound`; lists, searches and forged cursors show B none of A's resources. After all
of it, everything A can see is exactly as it was.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.adversarial.conftest import TENANT_A, TENANT_B
from tests.adversarial.tenant_world import CONTAINER, World, build, snapshot
from tests.integration.conftest import Api, collect
from tests.webhook_receiver import Receiver


@pytest.fixture(scope="module")
def world(api: Api) -> Iterator[tuple[World, dict[str, Any]]]:
    with Receiver() as receiver:
        built = build(api, TENANT_A, TENANT_B, receiver.url)
        yield built, snapshot(api, TENANT_A, built)


READS = {
    "an agent": "/agents/{agent}",
    "a thread": "/agents/threads/{thread}",
    "a thread's messages": "/agents/threads/{thread}/messages",
    "a thread's runs": "/agents/threads/{thread}/runs",
    "a run": "/agents/threads/{thread}/runs/{run}",
    "a run through B's own thread": "/agents/threads/{b_thread}/runs/{run}",
    "an item": f"/cosmos/{CONTAINER}/{{item}}",
    "a file's metadata": "/files/{file}",
    "a file's content": "/files/{file}/content",
    "a job": "/jobs/{job}",
    "a webhook": "/webhooks/{webhook}",
    "a webhook's deliveries": "/webhooks/{webhook}/deliveries",
}

SYNCHRONOUS_WRITES = {
    "delete a webhook": ("DELETE", "/webhooks/{webhook}"),
    "rotate a webhook's secret": ("POST", "/webhooks/{webhook}/rotate-secret"),
    "redeliver a delivery": ("POST", "/webhooks/{webhook}/deliveries/{delivery}/redeliver"),
}

COMMANDS: dict[str, tuple[str, str, object]] = {
    "delete an agent": ("DELETE", "/agents/{agent}", None),
    "delete a thread": ("DELETE", "/agents/threads/{thread}", None),
    "post a message to a thread": ("POST", "/agents/threads/{thread}/messages", {"content": "x"}),
    "start a run on a thread": ("POST", "/agents/threads/{thread}/runs", {"agent_id": "{agent}"}),
    "run A's agent on B's thread": (
        "POST",
        "/agents/threads/{b_thread}/runs",
        {"agent_id": "{agent}"},
    ),
    "patch an item": ("PATCH", f"/cosmos/{CONTAINER}/{{item}}", {"text": "pwned"}),
    "delete an item": ("DELETE", f"/cosmos/{CONTAINER}/{{item}}", None),
    "delete a file": ("DELETE", "/files/{file}", None),
    "delete a search document": ("DELETE", "/search/documents/{document}", None),
}

LISTS = {
    "agents": "/agents/",
    "items": f"/cosmos/{CONTAINER}",
    "files": "/files",
    "jobs": "/jobs",
    "webhooks": "/webhooks",
}


def _fill(template: Any, world: World) -> Any:
    if isinstance(template, str):
        return template.format(**world.__dict__)
    if isinstance(template, dict):
        return {k: _fill(v, world) for k, v in template.items()}
    return template


def _reveals_nothing_of_a(text: str, world: World) -> None:
    assert world.word not in text
    assert TENANT_A not in text


@pytest.mark.parametrize("what", READS)
def test_reading_another_tenants_resource_is_not_found(
    what: str, api: Api, world: tuple[World, dict[str, Any]]
) -> None:
    a = world[0]
    response = api.as_(TENANT_B, "GET", _fill(READS[what], a))
    assert response.status_code == 404, response.text
    assert response.json()["code"] == "NotFound"
    _reveals_nothing_of_a(response.text, a)


@pytest.mark.parametrize("what", SYNCHRONOUS_WRITES)
def test_changing_another_tenants_webhook_is_not_found(
    what: str, api: Api, world: tuple[World, dict[str, Any]]
) -> None:
    a = world[0]
    method, path = SYNCHRONOUS_WRITES[what]
    response = api.as_(TENANT_B, method, _fill(path, a))
    assert response.status_code == 404, response.text
    _reveals_nothing_of_a(response.text, a)


@pytest.mark.parametrize("what", COMMANDS)
def test_a_command_naming_another_tenants_resource_fails_not_found(
    what: str, api: Api, world: tuple[World, dict[str, Any]]
) -> None:
    a = world[0]
    method, path, body = COMMANDS[what]
    kwargs = {} if body is None else {"json": _fill(body, a)}
    response = api.as_(TENANT_B, method, _fill(path, a), wait=30, **kwargs)
    assert response.status_code == 404, response.text
    problem = response.json()
    assert problem["code"] == "NotFound"
    _reveals_nothing_of_a(response.text, a)
    job = api.job(TENANT_B, problem["jobId"])
    assert job["status"] == "Failed"
    assert job["error"]["code"] == "NotFound"  # type: ignore[index]


@pytest.mark.parametrize("what", LISTS)
def test_a_list_shows_none_of_another_tenants_resources(
    what: str, api: Api, world: tuple[World, dict[str, Any]]
) -> None:
    a = world[0]
    listed = collect(api.http, LISTS[what], api.auth(TENANT_B))
    ids = {str(entry["id"]) for entry in listed}
    assert not ids & set(a.ids().values())
    assert all(entry.get("metadata", {}).get("tenantId", TENANT_B) == TENANT_B for entry in listed)


def _cursors_of(api: Api, tenant: str) -> list[str]:
    """`after` cursors pointing into `tenant`'s data (from its jobs and items lists)."""
    cursors = []
    for path in ("/jobs", f"/cosmos/{CONTAINER}"):
        link = api.as_(tenant, "GET", path, params={"limit": 1}).headers.get("Link")
        assert link is not None, f"tenant {tenant} has more than one of {path}"
        cursors.append(link[link.index("after=") + len("after=") : link.index(">")].split("&")[0])
    return cursors


@pytest.mark.parametrize("what", LISTS)
def test_a_cursor_taken_from_another_tenants_list_shows_only_ones_own(
    what: str, api: Api, world: tuple[World, dict[str, Any]]
) -> None:
    a = world[0]
    for cursor in _cursors_of(api, TENANT_A):
        forged = api.as_(TENANT_B, "GET", LISTS[what], params={"limit": 100, "after": cursor})
        assert forged.status_code == 200, forged.text
        assert not {str(entry["id"]) for entry in forged.json()} & set(a.ids().values())
        _reveals_nothing_of_a(forged.text, a)


def test_searching_for_another_tenants_words_finds_nothing(
    api: Api, world: tuple[World, dict[str, Any]]
) -> None:
    a = world[0]
    for mode_query in ({"query": a.word}, {"query": "*"}, {"query": f"{a.word}*"}):
        hits = api.as_(TENANT_B, "GET", "/search/documents", params=mode_query | {"top": 100})
        assert hits.status_code == 200
        _reveals_nothing_of_a(hits.text, a)


def test_another_tenants_thread_messages_are_not_reachable_by_their_own_ids(
    api: Api, world: tuple[World, dict[str, Any]]
) -> None:
    a = world[0]
    for path in (f"/agents/{a.message}", f"/agents/threads/{a.message}", f"/jobs/{a.message}"):
        response = api.as_(TENANT_B, "GET", path)
        assert response.status_code == 404
        _reveals_nothing_of_a(response.text, a)


def test_after_every_attack_tenant_a_sees_exactly_what_it_saw_before(
    api: Api, world: tuple[World, dict[str, Any]]
) -> None:
    a, before = world
    after = snapshot(api, TENANT_A, a)
    assert after == before
