"""The service's operations, each once and sans I/O: its request and how its answer reads.

Each function is named after the client method it becomes (`_api.py`) and carries that method's
parameters and docstring; the sync and async clients only send what it returns.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, TypeVar

from azure.core.rest import HttpRequest

from tenantry_client._calls import (
    Direct,
    LongRunning,
    Paged,
    as_bytes,
    as_json,
    as_model,
    as_nothing,
)
from tenantry_client._models import (
    Agent,
    FileObject,
    Job,
    Message,
    Model,
    Run,
    Thread,
    WebhookEndpoint,
)
from tenantry_client._requests import command, read, segment, without_none

M = TypeVar("M", bound=Model)

# agents


def begin_create_agent(
    name: str,
    *,
    model: str | None = None,
    instructions: str | None = None,
    tools: Sequence[dict[str, Any]] | None = None,
    metadata: dict[str, Any] | None = None,
    idempotency_key: str | None = None,
) -> LongRunning[Agent]:
    """Create an agent; the poller's result is the agent."""
    body = without_none(
        name=name,
        model=model,
        instructions=instructions,
        tools=list(tools) if tools is not None else None,
        metadata=metadata,
    )
    request = command("POST", "/agents/", idempotency_key=idempotency_key, json=body)
    return LongRunning(request, as_model(Agent))


def get_agent(agent_id: str) -> Direct[Agent]:
    """One agent of the caller's tenant (`NotFoundError` otherwise)."""
    return Direct(read(f"/agents/{segment(agent_id)}"), as_model(Agent))


def list_agents(*, page_size: int | None = None) -> Paged[Agent]:
    """The tenant's agents, newest first."""
    return Paged("/agents/", Agent, {"limit": page_size})


def begin_delete_agent(agent_id: str) -> LongRunning[None]:
    """Delete an agent."""
    return LongRunning(command("DELETE", f"/agents/{segment(agent_id)}"), as_nothing)


# threads, messages, runs


def _thread_path(thread_id: str, *below: str) -> str:
    """The path of a thread, or of what is `below` it (`"runs", run_id`), each segment escaped."""
    return "/".join(["/agents/threads", *(segment(part) for part in (thread_id, *below))])


def _create_in_thread(
    thread_id: str,
    collection: str,
    body: dict[str, Any],
    idempotency_key: str | None,
    model: type[M],
) -> LongRunning[M]:
    """The command that adds one of `model` to a thread's `collection` (messages, runs)."""
    path = _thread_path(thread_id, collection)
    request = command("POST", path, idempotency_key=idempotency_key, json=body)
    return LongRunning(request, as_model(model))


def begin_create_thread(
    *, metadata: dict[str, Any] | None = None, idempotency_key: str | None = None
) -> LongRunning[Thread]:
    """Create a thread; the poller's result is the thread."""
    body = without_none(metadata=metadata)
    request = command("POST", "/agents/threads", idempotency_key=idempotency_key, json=body)
    return LongRunning(request, as_model(Thread))


def get_thread(thread_id: str) -> Direct[Thread]:
    """One thread."""
    return Direct(read(_thread_path(thread_id)), as_model(Thread))


def begin_delete_thread(thread_id: str) -> LongRunning[None]:
    """Delete a thread."""
    return LongRunning(command("DELETE", _thread_path(thread_id)), as_nothing)


def begin_create_message(
    thread_id: str,
    content: str,
    *,
    role: str = "user",
    metadata: dict[str, Any] | None = None,
    idempotency_key: str | None = None,
) -> LongRunning[Message]:
    """Add a message to a thread; the poller's result is the message."""
    body = without_none(content=content, role=role, metadata=metadata)
    return _create_in_thread(thread_id, "messages", body, idempotency_key, Message)


def list_messages(thread_id: str, *, page_size: int | None = None) -> Paged[Message]:
    """A thread's messages, oldest first."""
    return Paged(_thread_path(thread_id, "messages"), Message, {"limit": page_size})


def begin_create_run(
    thread_id: str,
    agent_id: str,
    *,
    instructions: str | None = None,
    metadata: dict[str, Any] | None = None,
    idempotency_key: str | None = None,
) -> LongRunning[Run]:
    """Run an agent on a thread; the poller's result is the run once it has ended."""
    body = without_none(agent_id=agent_id, instructions=instructions, metadata=metadata)
    return _create_in_thread(thread_id, "runs", body, idempotency_key, Run)


def get_run(thread_id: str, run_id: str) -> Direct[Run]:
    """One run of a thread."""
    return Direct(read(_thread_path(thread_id, "runs", run_id)), as_model(Run))


def list_runs(thread_id: str, *, page_size: int | None = None) -> Paged[Run]:
    """A thread's runs, newest first."""
    return Paged(_thread_path(thread_id, "runs"), Run, {"limit": page_size})


# jobs


def get_job(job_id: str) -> Direct[Job]:
    """A job (the status monitor of a command)."""
    return Direct(read(f"/jobs/{segment(job_id)}"), as_model(Job))


def list_jobs(
    *, status: str | None = None, type: str | None = None, page_size: int | None = None
) -> Paged[Job]:
    """The tenant's jobs, newest first, optionally of one status or command type."""
    return Paged("/jobs", Job, {"status": status, "type": type, "limit": page_size})


def cancel_job(job_id: str) -> Direct[Job]:
    """Cancel a job that has not ended (`ConflictError` with code `AlreadyEnded` if it has)."""
    return Direct(HttpRequest("POST", f"/jobs/{segment(job_id)}/cancel"), as_model(Job))


# files


def begin_upload_file(
    data: bytes,
    filename: str,
    *,
    purpose: str = "assistants",
    content_type: str = "application/octet-stream",
    idempotency_key: str | None = None,
) -> LongRunning[FileObject]:
    """Upload a file (multipart); the poller's result is its metadata."""
    request = command(
        "POST",
        "/files",
        idempotency_key=idempotency_key,
        files={"file": (filename, data, content_type)},
        data={"purpose": purpose},
    )
    return LongRunning(request, as_model(FileObject))


def get_file(file_id: str) -> Direct[FileObject]:
    """A file's metadata."""
    return Direct(read(f"/files/{segment(file_id)}"), as_model(FileObject))


def download_file(file_id: str) -> Direct[bytes]:
    """A file's bytes."""
    return Direct(read(f"/files/{segment(file_id)}/content"), as_bytes)


def list_files(*, page_size: int | None = None) -> Paged[FileObject]:
    """The tenant's files, newest first."""
    return Paged("/files", FileObject, {"limit": page_size})


def begin_delete_file(file_id: str) -> LongRunning[None]:
    """Delete a file (and its passages in the search index)."""
    return LongRunning(command("DELETE", f"/files/{segment(file_id)}"), as_nothing)


# search


def begin_index_documents(
    documents: Sequence[dict[str, Any]], *, idempotency_key: str | None = None
) -> LongRunning[Job]:
    """Index documents (`{id, content, title?, ...}`); the poller's result is the ended job."""
    request = command(
        "POST", "/search/documents", idempotency_key=idempotency_key, json=list(documents)
    )
    return LongRunning(request, as_model(Job))


def search(
    query: str, *, top: int | None = None, mode: str | None = None
) -> Direct[list[dict[str, Any]]]:
    """The tenant's documents matching `query`, best first, each with `@search.score`."""
    params = {"query": query, "top": top, "mode": mode}
    return Direct(read("/search/documents", params), as_json)


# webhooks


def create_webhook(
    url: str, events: Sequence[str], *, description: str | None = None
) -> Direct[WebhookEndpoint]:
    """Register an endpoint; the answer carries its signing `secret`, shown this once."""
    body = without_none(url=url, events=list(events), description=description)
    return Direct(HttpRequest("POST", "/webhooks", json=body), as_model(WebhookEndpoint))


def delete_webhook(endpoint_id: str) -> Direct[None]:
    """Remove an endpoint."""
    return Direct(HttpRequest("DELETE", f"/webhooks/{segment(endpoint_id)}"), as_nothing)
