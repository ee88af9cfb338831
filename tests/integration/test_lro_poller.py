"""An unmodified azure-core `LROPoller` with `LROBasePolling` drives every command to its end
against the live deployment (API.md: "an unmodified azure-core LROPoller ... must drive any
command").

The poller follows `Operation-Location`, reads `status`, honours `Retry-After`, and once the job
has Succeeded makes its final GET on the job's `resourceLocation` (a creation), on the request's
own URL (a PATCH), or keeps the job (a deletion): each of those links must be an absolute URL that
it can call as is and that answers 200. The matrix holds one case per command route of the
OpenAPI document, and a test checks that no command route is missing from it.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from azure.core import PipelineClient
from azure.core.exceptions import HttpResponseError
from azure.core.pipeline import PipelineResponse
from azure.core.pipeline.policies import (
    HeadersPolicy,
    RequestIdPolicy,
    RetryPolicy,
    UserAgentPolicy,
)
from azure.core.polling import LROPoller
from azure.core.polling.base_polling import LROBasePolling
from azure.core.rest import HttpRequest

from ingress.app import create_app
from tests.harness import settings_for
from tests.integration.conftest import Api

Client = PipelineClient[HttpRequest, Any]
Resource = dict[str, Any]


def _client(api: Api, tenant: str) -> Client:
    token = api.deployment.token(tenant)
    # the policies every Azure SDK client's pipeline has (the poller re-sends the request id)
    policies = [
        HeadersPolicy({"Authorization": f"Bearer {token}"}),
        UserAgentPolicy("tenantry-tests"),
        RequestIdPolicy(),
        RetryPolicy(),
    ]
    return PipelineClient(base_url=api.deployment.url, policies=policies)


def _begin(client: Client, method: str, path: str, **body: Any) -> LROPoller[Resource]:
    """Start a command and hand its 202 to an unmodified poller, as generated clients do."""
    initial: PipelineResponse[HttpRequest, Any] = client.send_request(
        HttpRequest(method, f"{client._base_url}{path}", **body),
        _return_pipeline_response=True,
    )
    assert initial.http_response.status_code == 202, initial.http_response.text()

    def resource(response: PipelineResponse[HttpRequest, Any]) -> Resource:
        payload: Resource = response.http_response.json()
        return payload

    return LROPoller(client, initial, resource, LROBasePolling(timeout=0.05))


@dataclass
class World:
    """Resources the commands of the matrix act on, made through the poller too."""

    client: Client
    agent: Resource
    thread: Resource
    container: str

    def run(self, method: str, path: str, **body: Any) -> Resource:
        return _begin(self.client, method, path, **body).result(timeout=60)


@dataclass(frozen=True)
class Case:
    method: str
    route: str
    drive: Callable[[World], None]


def _agent_create(world: World) -> None:
    agent = world.run("POST", "/agents/", json={"name": "Polled", "model": "gpt-4o"})
    assert agent["id"].startswith("asst_")
    assert agent["name"] == "Polled"


def _agent_delete(world: World) -> None:
    doomed = world.run("POST", "/agents/", json={"name": "Doomed"})
    job = world.run("DELETE", f"/agents/{doomed['id']}")
    assert job["status"] == "Succeeded"


def _thread_create(world: World) -> None:
    thread = world.run("POST", "/agents/threads", json={"metadata": {"k": "v"}})
    assert thread["id"].startswith("thread_")


def _thread_delete(world: World) -> None:
    doomed = world.run("POST", "/agents/threads", json={})
    assert world.run("DELETE", f"/agents/threads/{doomed['id']}")["status"] == "Succeeded"


def _message_create(world: World) -> None:
    path = f"/agents/threads/{world.thread['id']}/messages"
    message = world.run("POST", path, json={"role": "user", "content": "Hello"})
    assert message["thread_id"] == world.thread["id"]


def _run_create(world: World) -> None:
    path = f"/agents/threads/{world.thread['id']}/runs"
    run = world.run("POST", path, json={"agent_id": world.agent["id"]})
    assert (run["thread_id"], run["assistant_id"]) == (world.thread["id"], world.agent["id"])
    assert run["status"] in {"queued", "in_progress", "completed"}


def _run_cancel(world: World) -> None:
    """A run that already completed: the poller drives the cancel to its (failed) end."""
    path = f"/agents/threads/{world.thread['id']}/runs"
    run = world.run("POST", path, json={"agent_id": world.agent["id"]})
    while run["status"] not in ("completed", "failed", "cancelled", "expired"):
        run = world.client.send_request(
            HttpRequest("GET", f"{world.client._base_url}{path}/{run['id']}")
        ).json()
    poller = _begin(world.client, "POST", f"{path}/{run['id']}/cancel")
    with pytest.raises(HttpResponseError) as raised:
        poller.result(timeout=60)
    assert poller.status() == "Failed"
    assert raised.value.response is not None
    assert raised.value.response.json()["error"]["code"] == "AlreadyEnded"


def _file_create(world: World) -> None:
    files = {"file": ("notes.txt", b"polled notes", "text/plain")}
    created = world.run("POST", "/files", files=files, data={"purpose": "assistants"})
    assert created["filename"] == "notes.txt"


def _file_delete(world: World) -> None:
    files = {"file": ("gone.txt", b"gone", "text/plain")}
    created = world.run("POST", "/files", files=files, data={"purpose": "assistants"})
    assert world.run("DELETE", f"/files/{created['id']}")["status"] == "Succeeded"


def _documents_index(world: World) -> None:
    job = world.run("POST", "/search/documents", json=[{"id": "polled", "content": "polled"}])
    assert job["result"]["value"] == [{"key": "polled", "status": True}]


def _document_delete(world: World) -> None:
    world.run("POST", "/search/documents", json=[{"id": "doomed", "content": "doomed"}])
    assert world.run("DELETE", "/search/documents/doomed")["status"] == "Succeeded"


def _item_create(world: World) -> None:
    item = world.run("POST", f"/cosmos/{world.container}", json={"n": 1})
    assert item["n"] == 1


def _item_update(world: World) -> None:
    item = world.run("POST", f"/cosmos/{world.container}", json={"n": 1})
    updated = world.run("PATCH", f"/cosmos/{world.container}/{item['id']}", json={"n": 2})
    assert (updated["id"], updated["n"]) == (item["id"], 2)


def _item_delete(world: World) -> None:
    item = world.run("POST", f"/cosmos/{world.container}", json={"n": 1})
    path = f"/cosmos/{world.container}/{item['id']}"
    assert world.run("DELETE", path)["status"] == "Succeeded"


CASES = [
    Case("POST", "/agents/", _agent_create),
    Case("DELETE", "/agents/{agent_id}", _agent_delete),
    Case("POST", "/agents/threads", _thread_create),
    Case("DELETE", "/agents/threads/{thread_id}", _thread_delete),
    Case("POST", "/agents/threads/{thread_id}/messages", _message_create),
    Case("POST", "/agents/threads/{thread_id}/runs", _run_create),
    Case("POST", "/agents/threads/{thread_id}/runs/{run_id}/cancel", _run_cancel),
    Case("POST", "/files", _file_create),
    Case("DELETE", "/files/{file_id}", _file_delete),
    Case("POST", "/search/documents", _documents_index),
    Case("DELETE", "/search/documents/{doc_id}", _document_delete),
    Case("POST", "/cosmos/{container}", _item_create),
    Case("PATCH", "/cosmos/{container}/{item_id}", _item_update),
    Case("DELETE", "/cosmos/{container}/{item_id}", _item_delete),
]


def test_the_matrix_holds_every_command_route(tmp_path: Path) -> None:
    document = create_app(settings_for(tmp_path)).openapi()
    commands = {
        (method.upper(), path)
        for path, operations in document["paths"].items()
        for method, operation in operations.items()
        if "Operation-Location" in operation["responses"].get("202", {}).get("headers", {})
    }
    assert commands == {(case.method, case.route) for case in CASES}


@pytest.fixture(scope="module")
def world(api: Api) -> Iterator[World]:
    with _client(api, "contoso") as client:
        agent = _begin(client, "POST", "/agents/", json={"name": "Runner"}).result(60)
        thread = _begin(client, "POST", "/agents/threads", json={}).result(60)
        yield World(client, agent, thread, f"polled{uuid.uuid4().hex[:6]}")


@pytest.mark.parametrize("case", CASES, ids=[f"{c.method} {c.route}" for c in CASES])
def test_an_lro_poller_drives_the_command_to_its_end(case: Case, world: World) -> None:
    case.drive(world)


def test_an_lro_poller_raises_the_failed_jobs_error(api: Api) -> None:
    with _client(api, "northwind") as client:
        thread = _begin(client, "POST", "/agents/threads", json={}).result(60)
        path = f"/agents/threads/{thread['id']}/runs"
        poller = _begin(client, "POST", path, json={"agent_id": "asst_missing"})
        with pytest.raises(HttpResponseError) as raised:
            poller.result(timeout=60)
        assert poller.status() == "Failed"
        assert raised.value.response is not None
        assert raised.value.response.json()["error"]["code"] == "NotFound"


def test_an_lro_poller_drives_a_repeat_of_an_ended_command_to_its_resource(api: Api) -> None:
    """The same Idempotency-Key again after the job ended: a 202 the poller still drives to
    the resource (a terminal status in that 202 would end the poller on the job itself)."""
    headers = {"Idempotency-Key": f"lro-{uuid.uuid4().hex}"}
    with _client(api, "contoso") as client:
        body = {"json": {"name": "Repeated"}, "headers": headers}
        first = _begin(client, "POST", "/agents/", **body).result(60)
        again = _begin(client, "POST", "/agents/", **body).result(60)
        assert again == first
        assert first["id"].startswith("asst_")
