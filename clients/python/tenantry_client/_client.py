"""`TenantryClient`: the service's operations on an azure-core pipeline, as Azure's SDKs are built.

Commands return an `LROPoller` whose result is the resource; lists return an `ItemPaged` that
follows `Link: rel="next"`; errors are `TenantryError`s carrying the problem's `code`.
The operations themselves are in `_operations.py`; this client only sends them.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, Self, TypeVar

from azure.core import PipelineClient
from azure.core.credentials import TokenCredential
from azure.core.paging import ItemPaged
from azure.core.pipeline import PipelineResponse
from azure.core.pipeline.policies import BearerTokenCredentialPolicy, RetryPolicy
from azure.core.polling import LROPoller
from azure.core.rest import HttpRequest

from tenantry_client._api import Operations
from tenantry_client._auth import as_credential
from tenantry_client._calls import Direct, LongRunning, Paged
from tenantry_client._errors import raise_for_problem
from tenantry_client._methods import SyncSender
from tenantry_client._models import Model
from tenantry_client._pipeline import PipelineOwner, policies
from tenantry_client._polling import JobPolling

T = TypeVar("T")
M = TypeVar("M", bound=Model)
Response = PipelineResponse[HttpRequest, Any]


class TenantryClient(PipelineOwner[TokenCredential], SyncSender, Operations):
    """A client of a tenantry deployment at `endpoint`, as the tenant of `credential`'s tokens.

    `credential`: an azure-core `TokenCredential` (`DefaultAzureCredential()`, ...), whose tokens
    are asked for `scope` (default `api://tenantry/.default`), or a bearer token string for
    development (`tenantry token --tenant contoso`). `polling_interval` is the seconds between
    job polls when the service sends no `Retry-After`. Other keywords configure the pipeline as
    in any Azure SDK (`retry_total`, `logging_enable`, `transport`, ...).
    """

    def _connect(self, credential: TokenCredential | str, scope: str, **kwargs: Any) -> None:
        authentication = BearerTokenCredentialPolicy(as_credential(credential), scope)
        pipeline = policies(RetryPolicy(**kwargs), authentication, **kwargs)
        self._client: PipelineClient[HttpRequest, Any] = PipelineClient(
            self._endpoint, policies=pipeline, **kwargs
        )

    def _send(self, request: HttpRequest) -> Response:
        request.url = self._client.format_url(request.url)
        response: Response = self._client.send_request(request, _return_pipeline_response=True)
        raise_for_problem(response.http_response)
        return response

    def _send_direct(self, call: Direct[T]) -> T:
        return call.parse(self._send(call.request).http_response)

    def _send_long_running(self, call: LongRunning[T]) -> LROPoller[T]:
        initial = self._send(call.request)
        polling = JobPolling(self._polling_interval)
        return LROPoller(self._client, initial, call.result, polling)

    def _send_paged(self, call: Paged[M]) -> ItemPaged[M]:
        def extract(response: Response) -> tuple[str | None, Iterator[M]]:
            link, items = call.page(response.http_response)
            return link, iter(items)

        return ItemPaged(lambda link: self._send(call.request(link)), extract)

    def close(self) -> None:
        """Close the pipeline's transport."""
        self._client.close()

    def __enter__(self) -> Self:
        self._client.__enter__()
        return self

    def __exit__(self, *exc_details: Any) -> None:
        self._client.__exit__(*exc_details)
