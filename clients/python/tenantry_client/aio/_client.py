"""`AsyncTenantryClient`: the async twin of `TenantryClient` (azure-core's async pipeline,
`AsyncLROPoller`, `AsyncItemPaged`); install the `aio` extra for its aiohttp transport."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any, Self, TypeVar

from azure.core import AsyncPipelineClient
from azure.core.async_paging import AsyncItemPaged, AsyncList
from azure.core.credentials_async import AsyncTokenCredential
from azure.core.pipeline import PipelineResponse
from azure.core.pipeline.policies import AsyncBearerTokenCredentialPolicy, AsyncRetryPolicy
from azure.core.polling import AsyncLROPoller
from azure.core.rest import HttpRequest

from tenantry_client._api import Operations
from tenantry_client._auth import as_async_credential
from tenantry_client._calls import Direct, LongRunning, Paged
from tenantry_client._errors import raise_for_problem
from tenantry_client._methods import AsyncSender
from tenantry_client._models import Model
from tenantry_client._pipeline import PipelineOwner, policies
from tenantry_client._polling import AsyncJobPolling

T = TypeVar("T")
M = TypeVar("M", bound=Model)
Response = PipelineResponse[HttpRequest, Any]


class AsyncTenantryClient(PipelineOwner[AsyncTokenCredential], AsyncSender, Operations):
    """An async client of a tenantry deployment, with the arguments of `TenantryClient` but for
    `credential`: an azure-core `AsyncTokenCredential` (`azure.identity.aio...`) or a bearer
    token string."""

    def _connect(self, credential: AsyncTokenCredential | str, scope: str, **kwargs: Any) -> None:
        authentication = AsyncBearerTokenCredentialPolicy(as_async_credential(credential), scope)
        pipeline = policies(AsyncRetryPolicy(**kwargs), authentication, **kwargs)
        self._client: AsyncPipelineClient[HttpRequest, Any] = AsyncPipelineClient(
            self._endpoint, policies=pipeline, **kwargs
        )

    async def _send(self, request: HttpRequest) -> Response:
        """Send `request` and read its answer's body (the calls' parsers are sans I/O)."""
        request.url = self._client.format_url(request.url)
        response: Response = await self._client.send_request(
            request, _return_pipeline_response=True
        )
        await response.http_response.read()
        raise_for_problem(response.http_response)
        return response

    async def _send_direct(self, call: Direct[T]) -> T:
        return call.parse((await self._send(call.request)).http_response)

    async def _send_long_running(self, call: LongRunning[T]) -> AsyncLROPoller[T]:
        initial = await self._send(call.request)
        polling = AsyncJobPolling(self._polling_interval)
        return AsyncLROPoller(self._client, initial, call.result, polling)

    def _send_paged(self, call: Paged[M]) -> AsyncItemPaged[M]:
        async def get_next(link: str | None) -> Response:
            return await self._send(call.request(link))

        async def extract(response: Response) -> tuple[str | None, AsyncIterator[M]]:
            link, items = call.page(response.http_response)
            return link, AsyncList(items)

        return AsyncItemPaged(get_next, extract)

    async def close(self) -> None:
        """Close the pipeline's transport."""
        await self._client.close()

    async def __aenter__(self) -> Self:
        await self._client.__aenter__()
        return self

    async def __aexit__(self, *exc_details: Any) -> None:
        await self._client.__aexit__(*exc_details)
