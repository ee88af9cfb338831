"""The azure-core pipeline both clients run on: its policies, and the constructor that takes a
client's arguments and has the client build its (sync or async) pipeline from them."""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any, Generic, TypeVar

from azure.core.pipeline.policies import (
    HeadersPolicy,
    HttpLoggingPolicy,
    NetworkTraceLoggingPolicy,
    RequestIdPolicy,
    UserAgentPolicy,
)

from tenantry_client._auth import DEFAULT_SCOPE, LoopbackHttpPolicy
from tenantry_client._requests import VERSION

CredentialT = TypeVar("CredentialT")


def policies(retry: Any, authentication: Any, **kwargs: Any) -> list[Any]:
    """The policies of a pipeline, in the order of Azure's SDKs, around the sync or async
    `retry` and `authentication` policies; `kwargs` configure them as in any Azure SDK."""
    return [
        RequestIdPolicy(**kwargs),
        HeadersPolicy(**kwargs),
        UserAgentPolicy(sdk_moniker=f"tenantry-client/{VERSION}", **kwargs),
        retry,
        LoopbackHttpPolicy(),
        authentication,
        NetworkTraceLoggingPolicy(**kwargs),
        HttpLoggingPolicy(**kwargs),
    ]


class PipelineOwner(ABC, Generic[CredentialT]):
    """A client's constructor (see `TenantryClient` for the arguments)."""

    def __init__(
        self,
        endpoint: str,
        credential: CredentialT | str,
        *,
        scope: str = DEFAULT_SCOPE,
        polling_interval: float = 1.0,
        **kwargs: Any,
    ) -> None:
        self._endpoint = endpoint.rstrip("/")
        self._polling_interval = polling_interval
        self._connect(credential, scope, **kwargs)

    @abstractmethod
    def _connect(self, credential: CredentialT | str, scope: str, **kwargs: Any) -> None:
        """Build the pipeline client for `self._endpoint`, authenticated by `credential`."""
