"""`AsyncTenantryClient`: the async twin of `TenantryClient` (azure-core's async pipeline,
`AsyncLROPoller`, `AsyncItemPaged`); install the `aio` extra for its aiohttp transport."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Sequence
from types import TracebackType
from typing import Any, Self, TypeVar

from azure.core import AsyncPipelineClient
from azure.core.async_paging import AsyncItemPaged, AsyncList
from azure.core.credentials_async import AsyncTokenCredential
from azure.core.pipeline import PipelineResponse
from azure.core.pipeline.policies import (
    AsyncBearerTokenCredentialPolicy,
    AsyncRetryPolicy,
    HeadersPolicy,
    HttpLoggingPolicy,
    NetworkTraceLoggingPolicy,
    RequestIdPolicy,
    UserAgentPolicy,
)
from azure.core.polling import AsyncLROPoller
from azure.core.rest import HttpRequest

from tenantry_client._auth import DEFAULT_SCOPE, LoopbackHttpPolicy, as_async_credential
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
from tenantry_client._polling import AsyncJobPolling
from tenantry_client._requests import VERSION, command, read, segment, without_none

M = TypeVar("M", bound=Model)
Response = PipelineResponse[HttpRequest, Any]


class AsyncTenantryClient:
    """An async client of a tenantry deployment (see `TenantryClient` for the arguments).

    `credential`: an azure-core `AsyncTokenCredential` (`azure.identity.aio...`), whose tokens
    are asked for `scope` (default `api://tenantry/.default`), or a bearer token string for
    development (`tenantry token --tenant contoso`). `polling_interval` is the seconds between
    job polls when the service sends no `Retry-After`. Other keywords configure the pipeline as
    in any Azure SDK (`retry_total`, `logging_enable`, `transport`, ...).
    """

    def __init__(
        self,
        endpoint: str,
        credential: AsyncTokenCredential | str,
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
            AsyncRetryPolicy(**kwargs),
            LoopbackHttpPolicy(),
            AsyncBearerTokenCredentialPolicy(as_async_credential(credential), scope),
            NetworkTraceLoggingPolicy(**kwargs),
            HttpLoggingPolicy(**kwargs),
        ]
        self._client: AsyncPipelineClient[HttpRequest, Any] = AsyncPipelineClient(
            self._endpoint, policies=policies, **kwargs
        )

    # plumbing

    async def _send(self, request: HttpRequest, **kwargs: Any) -> Response:
        request.url = self._client.format_url(request.url)
        response: Response = await self._client.send_request(
            request, _return_pipeline_response=True, **kwargs
        )
        if response.http_response.status_code >= 400:
            await response.http_response.read()
            raise error_from_response(response.http_response)
        return response

    async def _one(self, request: HttpRequest, model: type[M]) -> M:
        response = (await self._send(request)).http_response
        await response.read()
        return model.from_dict(response.json())

    async def _begin(
        self, request: HttpRequest, result: Callable[[dict[str, Any]], Any] | None
    ) -> AsyncLROPoller[Any]:
        initial = await self._send(request)
        await initial.http_response.read()

        def deserialize(response: Response) -> Any:
            return None if result is None else result(response.http_response.json())

        polling = AsyncJobPolling(self._polling_interval)
        return AsyncLROPoller(self._client, initial, deserialize, polling)

    def _list(
        self, path: str, model: type[M], params: dict[str, Any] | None = None
    ) -> AsyncItemPaged[M]:
        async def get_next(link: str | None) -> Response:
            response = await self._send(read(link) if link else read(path, params))
            await response.http_response.read()
            return response

        async def extract(response: Response) -> tuple[str | None, AsyncIterator[M]]:
            items = [model.from_dict(entry) for entry in response.http_response.json()]
            return next_link(response.http_response.headers.get("Link")), AsyncList(items)

        return AsyncItemPaged(get_next, extract)

    # agents

    async def begin_create_agent(
        self,
        name: str,
        *,
        model: str | None = None,
        instructions: str | None = None,
        tools: Sequence[dict[str, Any]] | None = None,
        metadata: dict[str, Any] | None = None,
        idempotency_key: str | None = None,
    ) -> AsyncLROPoller[Agent]:
        """Create an agent; the poller's result is the agent."""
        body = without_none(
            name=name,
            model=model,
            instructions=instructions,
            tools=list(tools) if tools is not None else None,
            metadata=metadata,
        )
        request = command("POST", "/agents/", idempotency_key=idempotency_key, json=body)
        return await self._begin(request, Agent.from_dict)

    async def get_agent(self, agent_id: str) -> Agent:
        """One agent of the caller's tenant (`NotFoundError` otherwise)."""
        return await self._one(read(f"/agents/{segment(agent_id)}"), Agent)

    def list_agents(self, *, page_size: int | None = None) -> AsyncItemPaged[Agent]:
        """The tenant's agents, newest first."""
        return self._list("/agents/", Agent, {"limit": page_size})

    async def begin_delete_agent(self, agent_id: str) -> AsyncLROPoller[None]:
        """Delete an agent."""
        return await self._begin(command("DELETE", f"/agents/{segment(agent_id)}"), None)

    # threads, messages, runs

    async def begin_create_thread(
        self, *, metadata: dict[str, Any] | None = None, idempotency_key: str | None = None
    ) -> AsyncLROPoller[Thread]:
        """Create a thread; the poller's result is the thread."""
        body = without_none(metadata=metadata)
        request = command("POST", "/agents/threads", idempotency_key=idempotency_key, json=body)
        return await self._begin(request, Thread.from_dict)

    async def get_thread(self, thread_id: str) -> Thread:
        """One thread."""
        return await self._one(read(f"/agents/threads/{segment(thread_id)}"), Thread)

    async def begin_delete_thread(self, thread_id: str) -> AsyncLROPoller[None]:
        """Delete a thread."""
        return await self._begin(command("DELETE", f"/agents/threads/{segment(thread_id)}"), None)

    async def begin_create_message(
        self,
        thread_id: str,
        content: str,
        *,
        role: str = "user",
        metadata: dict[str, Any] | None = None,
        idempotency_key: str | None = None,
    ) -> AsyncLROPoller[Message]:
        """Add a message to a thread; the poller's result is the message."""
        body = without_none(content=content, role=role, metadata=metadata)
        path = f"/agents/threads/{segment(thread_id)}/messages"
        request = command("POST", path, idempotency_key=idempotency_key, json=body)
        return await self._begin(request, Message.from_dict)

    def list_messages(
        self, thread_id: str, *, page_size: int | None = None
    ) -> AsyncItemPaged[Message]:
        """A thread's messages, oldest first."""
        path = f"/agents/threads/{segment(thread_id)}/messages"
        return self._list(path, Message, {"limit": page_size})

    async def begin_create_run(
        self,
        thread_id: str,
        agent_id: str,
        *,
        instructions: str | None = None,
        metadata: dict[str, Any] | None = None,
        idempotency_key: str | None = None,
    ) -> AsyncLROPoller[Run]:
        """Run an agent on a thread; the poller's result is the run once it has ended."""
        body = without_none(agent_id=agent_id, instructions=instructions, metadata=metadata)
        path = f"/agents/threads/{segment(thread_id)}/runs"
        request = command("POST", path, idempotency_key=idempotency_key, json=body)
        return await self._begin(request, Run.from_dict)

    async def get_run(self, thread_id: str, run_id: str) -> Run:
        """One run of a thread."""
        path = f"/agents/threads/{segment(thread_id)}/runs/{segment(run_id)}"
        return await self._one(read(path), Run)

    def list_runs(self, thread_id: str, *, page_size: int | None = None) -> AsyncItemPaged[Run]:
        """A thread's runs, newest first."""
        path = f"/agents/threads/{segment(thread_id)}/runs"
        return self._list(path, Run, {"limit": page_size})

    # jobs

    async def get_job(self, job_id: str) -> Job:
        """A job (the status monitor of a command)."""
        return await self._one(read(f"/jobs/{segment(job_id)}"), Job)

    def list_jobs(
        self, *, status: str | None = None, type: str | None = None, page_size: int | None = None
    ) -> AsyncItemPaged[Job]:
        """The tenant's jobs, newest first, optionally of one status or command type."""
        params = {"status": status, "type": type, "limit": page_size}
        return self._list("/jobs", Job, params)

    async def cancel_job(self, job_id: str) -> Job:
        """Cancel a job that has not ended (`ConflictError` with code `AlreadyEnded` if it has)."""
        return await self._one(HttpRequest("POST", f"/jobs/{segment(job_id)}/cancel"), Job)

    # files

    async def begin_upload_file(
        self,
        data: bytes,
        filename: str,
        *,
        purpose: str = "assistants",
        content_type: str = "application/octet-stream",
        idempotency_key: str | None = None,
    ) -> AsyncLROPoller[FileObject]:
        """Upload a file (multipart); the poller's result is its metadata."""
        request = command(
            "POST",
            "/files",
            idempotency_key=idempotency_key,
            files={"file": (filename, data, content_type)},
            data={"purpose": purpose},
        )
        return await self._begin(request, FileObject.from_dict)

    async def get_file(self, file_id: str) -> FileObject:
        """A file's metadata."""
        return await self._one(read(f"/files/{segment(file_id)}"), FileObject)

    async def download_file(self, file_id: str) -> bytes:
        """A file's bytes."""
        response = await self._send(read(f"/files/{segment(file_id)}/content"))
        data: bytes = await response.http_response.read()
        return data

    def list_files(self, *, page_size: int | None = None) -> AsyncItemPaged[FileObject]:
        """The tenant's files, newest first."""
        return self._list("/files", FileObject, {"limit": page_size})

    async def begin_delete_file(self, file_id: str) -> AsyncLROPoller[None]:
        """Delete a file (and its passages in the search index)."""
        return await self._begin(command("DELETE", f"/files/{segment(file_id)}"), None)

    # search

    async def begin_index_documents(
        self, documents: Sequence[dict[str, Any]], *, idempotency_key: str | None = None
    ) -> AsyncLROPoller[Job]:
        """Index documents (`{id, content, title?, ...}`); the poller's result is the ended job."""
        request = command(
            "POST", "/search/documents", idempotency_key=idempotency_key, json=list(documents)
        )
        return await self._begin(request, Job.from_dict)

    async def search(
        self, query: str, *, top: int | None = None, mode: str | None = None
    ) -> list[dict[str, Any]]:
        """The tenant's documents matching `query`, best first, each with `@search.score`."""
        params = {"query": query, "top": top, "mode": mode}
        response = (await self._send(read("/search/documents", params))).http_response
        await response.read()
        hits: list[dict[str, Any]] = response.json()
        return hits

    # webhooks

    async def create_webhook(
        self, url: str, events: Sequence[str], *, description: str | None = None
    ) -> WebhookEndpoint:
        """Register an endpoint; the answer carries its signing `secret`, shown this once."""
        body = without_none(url=url, events=list(events), description=description)
        return await self._one(HttpRequest("POST", "/webhooks", json=body), WebhookEndpoint)

    async def delete_webhook(self, endpoint_id: str) -> None:
        """Remove an endpoint."""
        await self._send(HttpRequest("DELETE", f"/webhooks/{segment(endpoint_id)}"))

    # lifetime

    async def close(self) -> None:
        """Close the pipeline's transport."""
        await self._client.close()

    async def __aenter__(self) -> Self:
        await self._client.__aenter__()
        return self

    async def __aexit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self._client.__aexit__(kind, value, traceback)
