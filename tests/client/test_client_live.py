"""The client library (`clients/python`, import `tenantry_client`) against a live `tenantry up`:
the README's tour with it, sync and async; lists following `Link`; errors carrying the problem's
code; a failed job raised with its code; webhooks verified with `verify_webhook`."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from azure.core.credentials import AccessToken
from azure.core.exceptions import HttpResponseError, ResourceNotFoundError
from azure.core.paging import ItemPaged
from azure.core.polling import LROPoller
from tenantry_client import (
    Agent,
    AuthenticationError,
    NotFoundError,
    TenantryClient,
    TenantryError,
    verify_webhook,
)
from tenantry_client.aio import AsyncTenantryClient

from cli.child import REPO
from cli.deployment import LocalDeployment
from tests.webhook_receiver import Receiver

pytestmark = pytest.mark.slow

ENV = {"WEBHOOK_ALLOW_HOSTS": "127.0.0.1", "WEBHOOK_REQUIRE_HTTPS": "false"}


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalDeployment]:
    with LocalDeployment(tmp_path_factory.mktemp("client"), workers=1, env=ENV) as deployment:
        yield deployment


@pytest.fixture
def client(live: LocalDeployment) -> Iterator[TenantryClient]:
    with TenantryClient(live.url, live.token("contoso"), polling_interval=0.05) as tenantry:
        yield tenantry


class Credential:
    """A TokenCredential as azure-identity's are: it records the scopes it was asked for."""

    def __init__(self, token: str) -> None:
        self.token = token
        self.scopes: list[tuple[str, ...]] = []

    def get_token(self, *scopes: str, **kwargs: object) -> AccessToken:
        self.scopes.append(scopes)
        return AccessToken(self.token, 4_102_444_800)


def test_the_tour_with_the_client(client: TenantryClient) -> None:
    poller = client.begin_create_agent("Helper", model="gpt-4o", instructions="Answer briefly.")
    assert isinstance(poller, LROPoller)
    agent = poller.result()
    assert isinstance(agent, Agent) and agent.id.startswith("asst_") and agent.name == "Helper"
    thread = client.begin_create_thread().result()
    message = client.begin_create_message(thread.id, "What is the refund policy?").result()
    assert (message.thread_id, message.role) == (thread.id, "user")
    run = client.begin_create_run(thread.id, agent.id).result()
    assert run.agent_id == agent.id and run.thread_id == thread.id
    while not run.done:
        run = client.get_run(thread.id, run.id)
    assert run.status == "completed"
    messages = list(client.list_messages(thread.id))
    assert [m.role for m in messages] == ["user", "assistant"]
    assert "refund policy" in messages[-1].text
    assert client.get_agent(agent.id) == agent


def test_a_token_credential_is_asked_for_the_services_scope(live: LocalDeployment) -> None:
    credential = Credential(live.token("fabrikam"))
    with TenantryClient(live.url, credential, scope="api://tenantry/.default") as tenantry:
        thread = tenantry.begin_create_thread(metadata={"k": "v"}).result()
        assert thread.metadata["k"] == "v"
    assert credential.scopes[0] == ("api://tenantry/.default",)


def test_lists_are_item_paged_following_link(client: TenantryClient) -> None:
    for n in range(5):
        client.begin_create_agent(f"paged-{n}").result()
    agents = client.list_agents(page_size=2)
    assert isinstance(agents, ItemPaged)
    pages = [list(page) for page in agents.by_page()]
    assert len(pages) >= 3 and all(len(page) <= 2 for page in pages)
    names = [a.name for page in pages for a in page]
    assert names[:5] == [f"paged-{n}" for n in reversed(range(5))]
    jobs = list(client.list_jobs(type="agent.create", status="Succeeded", page_size=3))
    assert len(jobs) >= 5 and all(j.type == "agent.create" and j.done for j in jobs)
    assert client.get_job(jobs[0].id) == jobs[0]


def test_errors_carry_the_problems_code(client: TenantryClient, live: LocalDeployment) -> None:
    with pytest.raises(NotFoundError) as missing:
        client.get_agent("asst_missing")
    assert isinstance(missing.value, ResourceNotFoundError)
    assert isinstance(missing.value, HttpResponseError)
    assert missing.value.code == "NotFound" and missing.value.status_code == 404
    with TenantryClient(live.url, "not-a-token") as stranger, pytest.raises(AuthenticationError):
        stranger.get_agent("asst_missing")


def test_a_failed_job_is_raised_with_its_code(client: TenantryClient) -> None:
    thread = client.begin_create_thread().result()
    with pytest.raises(TenantryError) as failed:
        client.begin_create_run(thread.id, "asst_missing").result()
    assert failed.value.code == "NotFound"
    assert isinstance(failed.value, NotFoundError)
    assert failed.value.job_id is not None
    assert client.get_job(failed.value.job_id).status == "Failed"


def test_files_upload_download_and_delete(client: TenantryClient) -> None:
    uploaded = client.begin_upload_file(b"twelve steps", "steps.txt", content_type="text/plain")
    record = uploaded.result()
    assert (record.filename, record.bytes) == ("steps.txt", 12)
    assert client.download_file(record.id) == b"twelve steps"
    assert client.begin_delete_file(record.id).result() is None
    with pytest.raises(NotFoundError):
        client.get_file(record.id)


def test_a_webhook_delivery_verifies_with_verify_webhook(client: TenantryClient) -> None:
    with Receiver() as receiver:
        endpoint = client.create_webhook(receiver.url, ["job.succeeded"])
        assert endpoint.secret is not None and endpoint.secret.startswith("whsec_")
        thread = client.begin_create_thread().result()
        arrived = receiver.wait_sync(1)
        delivery = arrived[0]
        event = verify_webhook(delivery.body, delivery.headers, endpoint.secret)
        assert event.type == "job.succeeded"
        assert event.id == delivery.headers["webhook-id"]
        assert thread.id in str(event.data)
        client.delete_webhook(endpoint.id)


async def test_the_async_twin_runs_the_tour(live: LocalDeployment) -> None:
    async with AsyncTenantryClient(
        live.url, live.token("northwind"), polling_interval=0.05
    ) as tenantry:
        agent = await (await tenantry.begin_create_agent("Async helper")).result()
        thread = await (await tenantry.begin_create_thread()).result()
        await (await tenantry.begin_create_message(thread.id, "Hello")).result()
        run = await (await tenantry.begin_create_run(thread.id, agent.id)).result()
        while not run.done:
            run = await tenantry.get_run(thread.id, run.id)
        messages = [m async for m in tenantry.list_messages(thread.id)]
        assert [m.role for m in messages] == ["user", "assistant"]
        with pytest.raises(NotFoundError):
            await tenantry.get_thread("thread_missing")


def test_the_client_never_imports_the_service() -> None:
    package = Path(__import__("tenantry_client").__file__).parent
    service = ("shared", "ingress", "workers", "functions", "cli", "console")
    for source in package.rglob("*.py"):
        text = source.read_text()
        for name in service:
            assert f"from {name}" not in text and f"import {name}" not in text, source


def test_the_example_tour_runs(live: LocalDeployment) -> None:
    done = subprocess.run(
        [
            sys.executable,
            "examples/tour.py",
            "--endpoint",
            live.url,
            "--token",
            live.token("contoso"),
        ],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert "run_" in done.stdout and "completed" in done.stdout
    assert "refund policy" in done.stdout.splitlines()[-1]
