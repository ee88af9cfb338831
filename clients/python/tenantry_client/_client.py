"""`TenantryClient`: the service's operations on an azure-core pipeline, as Azure's SDKs are built.

Commands return an `LROPoller` whose result is the resource; lists return an `ItemPaged` that
follows `Link: rel="next"`; errors are `TenantryError`s carrying the problem's `code`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from types import TracebackType
from typing import Any, Self, TypeVar

from azure.core import PipelineClient
from azure.core.credentials import TokenCredential
from azure.core.paging import ItemPaged
from azure.core.pipeline import PipelineResponse
from azure.core.pipeline.policies import (
    BearerTokenCredentialPolicy,
    HeadersPolicy,
    HttpLoggingPolicy,
    NetworkTraceLoggingPolicy,
    RequestIdPolicy,
    RetryPolicy,
    UserAgentPolicy,
)
from azure.core.polling import LROPoller
from azure.core.rest import HttpRequest

from tenantry_client._auth import DEFAULT_SCOPE, LoopbackHttpPolicy, as_credential
from tenantry_client._errors import error_from_response
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
from tenantry_client._paging import next_link
from tenantry_client._polling import JobPolling
from tenantry_client._requests import VERSION, command, read, segment, without_none

M = TypeVar("M", bound=Model)
Response = PipelineResponse[HttpRequest, Any]


class TenantryClient:
    """A client of a tenantry deployment at `endpoint`, as the tenant of `credential`'s tokens.

    `credential`: an azure-core `TokenCredential` (`DefaultAzureCredential()`, ...), whose tokens
    are asked for `scope` (default `api://tenantry/.default`), or a bearer token string for
    development (`tenantry token --tenant contoso`). `polling_interval` is the seconds between
    job polls when the service sends no `Retry-After`. Other keywords configure the pipeline as
    in any Azure SDK (`retry_total`, `logging_enable`, `transport`, ...).
    """

    def __init__(
        self,
        endpoint: str,
        credential: TokenCredential | str,
        *,
        scope: str = DEFAULT_SCOPE,
        polling_interval: float = 1.0,
        **kwargs: Any,
    ) -> None:
        self._endpoint = endpoint.rstrip("/")
        self._polling_interval = polling_interval
        policies = [
            RequestIdPolicy(**kwargs),
            HeadersPolicy(**kwargs),
            UserAgentPolicy(sdk_moniker=f"tenantry-client/{VERSION}", **kwargs),
            RetryPolicy(**kwargs),
            LoopbackHttpPolicy(),
            BearerTokenCredentialPolicy(as_credential(credential), scope),
            NetworkTraceLoggingPolicy(**kwargs),
            HttpLoggingPolicy(**kwargs),
        ]
        self._client: PipelineClient[HttpRequest, Any] = PipelineClient(
            self._endpoint, policies=policies, **kwargs
        )

    # plumbing

    def _send(self, request: HttpRequest, **kwargs: Any) -> Response:
        request.url = self._client.format_url(request.url)
        response: Response = self._client.send_request(
            request, _return_pipeline_response=True, **kwargs
        )
        if response.http_response.status_code >= 400:
            raise error_from_response(response.http_response)
        return response

    def _one(self, request: HttpRequest, model: type[M]) -> M:
        return model.from_dict(self._send(request).http_response.json())

    def _begin(
        self, request: HttpRequest, result: Callable[[dict[str, Any]], Any] | None
    ) -> LROPoller[Any]:
        initial = self._send(request)

        def deserialize(response: Response) -> Any:
            return None if result is None else result(response.http_response.json())

        polling = JobPolling(self._polling_interval)
        return LROPoller(self._client, initial, deserialize, polling)

    def _list(
        self, path: str, model: type[M], params: dict[str, Any] | None = None
    ) -> ItemPaged[M]:
        def get_next(link: str | None) -> Response:
            return self._send(read(link) if link else read(path, params))

        def extract(response: Response) -> tuple[str | None, Iterator[M]]:
            items = [model.from_dict(entry) for entry in response.http_response.json()]
            return next_link(response.http_response.headers.get("Link")), iter(items)

        return ItemPaged(get_next, extract)

    # agents

    def begin_create_agent(
        self,
        name: str,
        *,
        model: str | None = None,
        instructions: str | None = None,
        tools: Sequence[dict[str, Any]] | None = None,
        metadata: dict[str, Any] | None = None,
        idempotency_key: str | None = None,
    ) -> LROPoller[Agent]:
        """Create an agent; the poller's result is the agent."""
        body = without_none(
            name=name,
            model=model,
            instructions=instructions,
            tools=list(tools) if tools is not None else None,
            metadata=metadata,
        )
        request = command("POST", "/agents/", idempotency_key=idempotency_key, json=body)
        return self._begin(request, Agent.from_dict)

    def get_agent(self, agent_id: str) -> Agent:
        """One agent of the caller's tenant (`NotFoundError` otherwise)."""
        return self._one(read(f"/agents/{segment(agent_id)}"), Agent)

    def list_agents(self, *, page_size: int | None = None) -> ItemPaged[Agent]:
        """The tenant's agents, newest first."""
        return self._list("/agents/", Agent, {"limit": page_size})

    def begin_delete_agent(self, agent_id: str) -> LROPoller[None]:
        """Delete an agent."""
        return self._begin(command("DELETE", f"/agents/{segment(agent_id)}"), None)

    # threads, messages, runs

    def begin_create_thread(
        self, *, metadata: dict[str, Any] | None = None, idempotency_key: str | None = None
    ) -> LROPoller[Thread]:
        """Create a thread; the poller's result is the thread."""
        body = without_none(metadata=metadata)
        request = command("POST", "/agents/threads", idempotency_key=idempotency_key, json=body)
        return self._begin(request, Thread.from_dict)

    def get_thread(self, thread_id: str) -> Thread:
        """One thread."""
        return self._one(read(f"/agents/threads/{segment(thread_id)}"), Thread)

    def begin_delete_thread(self, thread_id: str) -> LROPoller[None]:
        """Delete a thread."""
        return self._begin(command("DELETE", f"/agents/threads/{segment(thread_id)}"), None)

    def begin_create_message(
        self,
        thread_id: str,
        content: str,
        *,
        role: str = "user",
        metadata: dict[str, Any] | None = None,
        idempotency_key: str | None = None,
    ) -> LROPoller[Message]:
        """Add a message to a thread; the poller's result is the message."""
        body = without_none(content=content, role=role, metadata=metadata)
        path = f"/agents/threads/{segment(thread_id)}/messages"
        request = command("POST", path, idempotency_key=idempotency_key, json=body)
        return self._begin(request, Message.from_dict)

    def list_messages(self, thread_id: str, *, page_size: int | None = None) -> ItemPaged[Message]:
        """A thread's messages, oldest first."""
        path = f"/agents/threads/{segment(thread_id)}/messages"
        return self._list(path, Message, {"limit": page_size})

    def begin_create_run(
        self,
        thread_id: str,
        agent_id: str,
        *,
        instructions: str | None = None,
        metadata: dict[str, Any] | None = None,
        idempotency_key: str | None = None,
    ) -> LROPoller[Run]:
        """Run an agent on a thread; the poller's result is the run once it has ended."""
        body = without_none(agent_id=agent_id, instructions=instructions, metadata=metadata)
        path = f"/agents/threads/{segment(thread_id)}/runs"
        request = command("POST", path, idempotency_key=idempotency_key, json=body)
        return self._begin(request, Run.from_dict)

    def get_run(self, thread_id: str, run_id: str) -> Run:
        """One run of a thread."""
        path = f"/agents/threads/{segment(thread_id)}/runs/{segment(run_id)}"
        return self._one(read(path), Run)

    def list_runs(self, thread_id: str, *, page_size: int | None = None) -> ItemPaged[Run]:
        """A thread's runs, newest first."""
        path = f"/agents/threads/{segment(thread_id)}/runs"
        return self._list(path, Run, {"limit": page_size})

    # jobs

    def get_job(self, job_id: str) -> Job:
        """A job (the status monitor of a command)."""
        return self._one(read(f"/jobs/{segment(job_id)}"), Job)

    def list_jobs(
        self, *, status: str | None = None, type: str | None = None, page_size: int | None = None
    ) -> ItemPaged[Job]:
        """The tenant's jobs, newest first, optionally of one status or command type."""
        params = {"status": status, "type": type, "limit": page_size}
        return self._list("/jobs", Job, params)

    def cancel_job(self, job_id: str) -> Job:
        """Cancel a job that has not ended (`ConflictError` with code `AlreadyEnded` if it has)."""
        return self._one(HttpRequest("POST", f"/jobs/{segment(job_id)}/cancel"), Job)

    # files

    def begin_upload_file(
        self,
        data: bytes,
        filename: str,
        *,
        purpose: str = "assistants",
        content_type: str = "application/octet-stream",
        idempotency_key: str | None = None,
    ) -> LROPoller[FileObject]:
        """Upload a file (multipart); the poller's result is its metadata."""
        request = command(
            "POST",
            "/files",
            idempotency_key=idempotency_key,
            files={"file": (filename, data, content_type)},
            data={"purpose": purpose},
        )
        return self._begin(request, FileObject.from_dict)

    def get_file(self, file_id: str) -> FileObject:
        """A file's metadata."""
        return self._one(read(f"/files/{segment(file_id)}"), FileObject)

    def download_file(self, file_id: str) -> bytes:
        """A file's bytes."""
        response = self._send(read(f"/files/{segment(file_id)}/content"))
        data: bytes = response.http_response.read()
        return data

    def list_files(self, *, page_size: int | None = None) -> ItemPaged[FileObject]:
        """The tenant's files, newest first."""
        return self._list("/files", FileObject, {"limit": page_size})

    def begin_delete_file(self, file_id: str) -> LROPoller[None]:
        """Delete a file (and its passages in the search index)."""
        return self._begin(command("DELETE", f"/files/{segment(file_id)}"), None)

    # search

    def begin_index_documents(
        self, documents: Sequence[dict[str, Any]], *, idempotency_key: str | None = None
    ) -> LROPoller[Job]:
        """Index documents (`{id, content, title?, ...}`); the poller's result is the ended job."""
        request = command(
            "POST", "/search/documents", idempotency_key=idempotency_key, json=list(documents)
        )
        return self._begin(request, Job.from_dict)

    def search(
        self, query: str, *, top: int | None = None, mode: str | None = None
    ) -> list[dict[str, Any]]:
        """The tenant's documents matching `query`, best first, each with `@search.score`."""
        params = {"query": query, "top": top, "mode": mode}
        hits: list[dict[str, Any]] = self._send(
            read("/search/documents", params)
        ).http_response.json()
        return hits

    # webhooks

    def create_webhook(
        self, url: str, events: Sequence[str], *, description: str | None = None
    ) -> WebhookEndpoint:
        """Register an endpoint; the answer carries its signing `secret`, shown this once."""
        body = without_none(url=url, events=list(events), description=description)
        return self._one(HttpRequest("POST", "/webhooks", json=body), WebhookEndpoint)

    def delete_webhook(self, endpoint_id: str) -> None:
        """Remove an endpoint."""
        self._send(HttpRequest("DELETE", f"/webhooks/{segment(endpoint_id)}"))

    # lifetime

    def close(self) -> None:
        """Close the pipeline's transport."""
        self._client.close()

    def __enter__(self) -> Self:
        self._client.__enter__()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self._client.__exit__(kind, value, traceback)
