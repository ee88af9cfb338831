"""The OpenAPI document as client developers use it: openapi-python-client generates a client
from a live deployment's `/openapi.json`, and that client drives the tour, typed, with no
workaround: 202 and the job, `Prefer: wait` answered 201 with the resource, an upload, a
download, a 404 and a 412 as problem details with their code."""

from __future__ import annotations

import contextlib
import importlib
import subprocess
import sys
import time
from collections.abc import Iterator
from io import BytesIO
from types import ModuleType
from typing import Any

import httpx
import pytest

from cli.deployment import LocalDeployment

pytestmark = pytest.mark.slow

PACKAGE = "tenantry_generated"
GENERATOR = [sys.executable, "-m", "openapi_python_client"]


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalDeployment]:
    with LocalDeployment(tmp_path_factory.mktemp("generated"), workers=1) as deployment:
        yield deployment


@pytest.fixture(scope="module")
def generated(live: LocalDeployment, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    where = tmp_path_factory.mktemp("client")
    spec = where / "openapi.json"
    spec.write_bytes(httpx.get(f"{live.url}/openapi.json").content)
    config = where / "config.yaml"
    config.write_text(
        f"post_hooks: []\nproject_name_override: {PACKAGE}\npackage_name_override: {PACKAGE}\n"
    )
    arguments = ["--path", str(spec), "--config", str(config), "--meta", "none"]
    done = subprocess.run(  # the generator, as a client developer runs it
        [*GENERATOR, "generate", *arguments, "--output-path", str(where / PACKAGE)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Warning" not in done.stdout + done.stderr, done.stdout + done.stderr
    sys.path.insert(0, str(where))
    try:
        yield PACKAGE
    finally:
        sys.path.remove(str(where))
        for name in [m for m in sys.modules if m == PACKAGE or m.startswith(PACKAGE + ".")]:
            del sys.modules[name]


def _module(name: str) -> ModuleType:
    return importlib.import_module(f"{PACKAGE}.{name}")


@contextlib.contextmanager
def _client(live: LocalDeployment, tenant: str) -> Iterator[Any]:
    client_module = _module("client")
    with client_module.AuthenticatedClient(base_url=live.url, token=live.token(tenant)) as client:
        yield client


def test_the_generated_client_drives_the_tour_typed(live: LocalDeployment, generated: str) -> None:
    models = _module("models")
    agents, jobs, threads = _module("api.agents"), _module("api.jobs"), _module("api.threads")
    for name in ("create_agent", "get_agent"):
        importlib.import_module(f"{PACKAGE}.api.agents.{name}")
    create_agent = importlib.import_module(f"{PACKAGE}.api.agents.create_agent")
    get_agent = importlib.import_module(f"{PACKAGE}.api.agents.get_agent")
    get_job = importlib.import_module(f"{PACKAGE}.api.jobs.get_job")
    create_thread = importlib.import_module(f"{PACKAGE}.api.threads.create_thread")
    create_message = importlib.import_module(f"{PACKAGE}.api.threads.create_message")
    create_run = importlib.import_module(f"{PACKAGE}.api.threads.create_run")
    get_run = importlib.import_module(f"{PACKAGE}.api.threads.get_run")
    list_messages = importlib.import_module(f"{PACKAGE}.api.threads.list_messages")
    assert agents and jobs and threads
    with _client(live, "contoso") as client:
        accepted = create_agent.sync_detailed(
            client=client,
            body=models.AgentCreate(name="Helper", model="gpt-4o", instructions="Answer briefly."),
        )
        assert accepted.status_code == 202
        job = accepted.parsed
        assert isinstance(job, models.Job)
        assert accepted.headers["Operation-Location"] == f"{live.url}/jobs/{job.id}"
        while job.status not in (models.JobStatus.SUCCEEDED, models.JobStatus.FAILED):
            time.sleep(0.05)
            job = get_job.sync(client=client, job_id=job.id)
            assert isinstance(job, models.Job)
        assert job.status == models.JobStatus.SUCCEEDED
        agent = get_agent.sync(client=client, agent_id=job.result["id"])
        assert isinstance(agent, models.Agent) and agent.name == "Helper"

        waited = create_thread.sync_detailed(
            client=client, body=models.NewThread(), prefer="wait=10"
        )
        assert waited.status_code == 201 and isinstance(waited.parsed, models.Thread)
        assert waited.headers["Preference-Applied"] == "wait=10"
        thread = waited.parsed
        message = create_message.sync(
            thread_id=thread.id,
            client=client,
            body=models.NewMessage(content="What is the refund policy?"),
            prefer="wait=10",
        )
        assert isinstance(message, models.Message) and message.thread_id == thread.id
        run = create_run.sync(
            thread_id=thread.id,
            client=client,
            body=models.NewRun(agent_id=agent.id),
            prefer="wait=10",
        )
        assert isinstance(run, models.Run)
        while run.status not in (models.RunStatus.COMPLETED, models.RunStatus.FAILED):
            time.sleep(0.05)
            run = get_run.sync(thread_id=thread.id, run_id=run.id, client=client)
            assert isinstance(run, models.Run)
        messages = list_messages.sync(thread_id=thread.id, client=client)
        assert isinstance(messages, list) and isinstance(messages[-1], models.Message)
        assert "refund policy" in messages[-1].content[0].text.value


def test_uploads_downloads_and_problems_are_typed(live: LocalDeployment, generated: str) -> None:
    models = _module("models")
    types = _module("types")
    upload_file = importlib.import_module(f"{PACKAGE}.api.files.upload_file")
    get_file_content = importlib.import_module(f"{PACKAGE}.api.files.get_file_content")
    get_agent = importlib.import_module(f"{PACKAGE}.api.agents.get_agent")
    create_item = importlib.import_module(f"{PACKAGE}.api.items.create_item")
    update_item = importlib.import_module(f"{PACKAGE}.api.items.update_item")
    with _client(live, "fabrikam") as client:
        data = b"# Handbook\n\nRefunds are paid within 45 days.\n"
        body = models.UploadFileBody(
            file=types.File(
                payload=BytesIO(data), file_name="handbook.md", mime_type="text/markdown"
            ),
            purpose="assistants",
        )
        uploaded = upload_file.sync_detailed(client=client, body=body, prefer="wait=20")
        assert uploaded.status_code == 201, uploaded.content
        record = uploaded.parsed
        assert isinstance(record, models.File) and record.bytes_ == len(data)
        downloaded = get_file_content.sync_detailed(file_id=record.id, client=client)
        assert downloaded.status_code == 200 and downloaded.content == data

        missing = get_agent.sync_detailed(agent_id="asst_missing", client=client)
        assert missing.status_code == 404
        assert isinstance(missing.parsed, models.ProblemDetails)
        assert missing.parsed.code == models.ProblemDetailsCode.NOTFOUND

        item = create_item.sync(
            container="notes",
            client=client,
            body=models.CreateItemItem.from_dict({"n": 1}),
            prefer="wait=10",
        )
        assert isinstance(item, models.Item)
        stale = update_item.sync_detailed(
            container="notes",
            item_id=item.id,
            client=client,
            body=models.UpdateItemPatch.from_dict({"n": 2}),
            if_match='"not-the-etag"',
            prefer="wait=10",
        )
        assert stale.status_code == 412, stale.content
        assert isinstance(stale.parsed, models.ProblemDetails)
        assert stale.parsed.code == models.ProblemDetailsCode.PRECONDITIONFAILED
        assert stale.parsed.job_id
