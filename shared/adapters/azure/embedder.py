"""Embeddings from an Azure OpenAI / Foundry deployment, over its REST API with httpx.

`POST {endpoint}/openai/deployments/{deployment}/embeddings?api-version=...` with an `api-key`
header, or an Entra ID bearer token for `https://cognitiveservices.azure.com/.default`. Throttling
(429) and server errors are retried after `Retry-After`; anything else raises `EmbedderFailed`.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from typing import Any
from urllib.parse import quote

import httpx

from shared.ports.search import SearchError
from shared.settings import Settings

TOKEN_SCOPE = "https://cognitiveservices.azure.com/.default"  # noqa: S105 - a scope
DEFAULT_API_VERSION = "2024-10-21"
BATCH = 256
"""Inputs per request (the service takes up to 2048)."""
RETRIES = 4
MAX_RETRY_AFTER_SECONDS = 30.0

TokenProvider = Callable[[], Awaitable[str]]
"""Returns a current Entra ID access token for `TOKEN_SCOPE`."""


class EmbedderFailed(SearchError):
    """The embeddings deployment refused or failed the request; the message says how."""


class AzureOpenAIEmbedder:
    """The `Embedder` port on an Azure OpenAI (or Foundry) embeddings deployment."""

    def __init__(
        self,
        endpoint: str,
        deployment: str,
        *,
        dimensions: int,
        send_dimensions: bool = False,
        api_key: str | None = None,
        token_provider: TokenProvider | None = None,
        api_version: str = DEFAULT_API_VERSION,
        transport: httpx.AsyncBaseTransport | None = None,
        timeout_seconds: float = 30.0,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        on_close: Callable[[], Awaitable[None]] | None = None,
    ) -> None:
        if (api_key is None) == (token_provider is None):
            raise ValueError("give either an API key or an Entra ID token provider")
        if not endpoint.startswith("https://") and transport is None:
            raise ValueError("the embeddings endpoint must be https")
        self._url = (
            f"{endpoint.rstrip('/')}/openai/deployments/{quote(deployment, safe='')}/embeddings"
        )
        self._api_version = api_version
        self._dimensions = dimensions
        self._send_dimensions = send_dimensions
        self._headers = _authorization(api_key, token_provider)
        self._sleep = sleep
        self._on_close = on_close
        self._client = httpx.AsyncClient(transport=transport, timeout=timeout_seconds)

    @property
    def dimensions(self) -> int:
        return self._dimensions

    async def embed(self, texts: Sequence[str]) -> list[list[float]]:
        """One vector per text, in order, in requests of at most `BATCH` inputs."""
        vectors: list[list[float]] = []
        for start in range(0, len(texts), BATCH):
            vectors += await self._request(list(texts[start : start + BATCH]))
        return vectors

    async def _request(self, texts: list[str]) -> list[list[float]]:
        body: dict[str, Any] = {"input": texts}
        if self._send_dimensions:
            body["dimensions"] = self._dimensions
        for attempt in range(RETRIES + 1):
            try:
                response = await self._client.post(
                    self._url,
                    params={"api-version": self._api_version},
                    json=body,
                    headers=await self._headers(),
                )
            except httpx.TransportError as exc:
                if attempt == RETRIES:
                    raise EmbedderFailed(
                        f"the embeddings endpoint cannot be reached: {exc}"
                    ) from exc
                await self._sleep(2.0**attempt)
                continue
            if response.status_code == 429 or response.status_code >= 500:
                if attempt == RETRIES:
                    break
                await self._sleep(_retry_after(response, attempt))
                continue
            if response.status_code != 200:
                raise EmbedderFailed(_describe(response))
            return self._vectors(response, len(texts))
        raise EmbedderFailed(_describe(response))

    def _vectors(self, response: httpx.Response, count: int) -> list[list[float]]:
        try:
            data = sorted(response.json()["data"], key=lambda item: int(item["index"]))
            vectors = [[float(x) for x in item["embedding"]] for item in data]
        except (ValueError, KeyError, TypeError) as exc:
            raise EmbedderFailed("the embeddings response is not what the API documents") from exc
        if len(vectors) != count:
            raise EmbedderFailed(f"asked for {count} embeddings, got {len(vectors)}")
        for vector in vectors:
            if len(vector) != self._dimensions:
                raise EmbedderFailed(
                    f"the deployment returned {len(vector)} dimensions, not {self._dimensions}: "
                    "set EMBEDDING_DIMENSIONS to the model's"
                )
        return vectors

    async def close(self) -> None:
        """Close the HTTP client (and the credential, when this embedder made one)."""
        await self._client.aclose()
        if self._on_close is not None:
            await self._on_close()


def _authorization(
    api_key: str | None, token_provider: TokenProvider | None
) -> Callable[[], Awaitable[dict[str, str]]]:
    """The headers that authorise each request: the API key, or else a current bearer token."""

    async def key() -> dict[str, str]:
        return {"api-key": str(api_key)}

    async def bearer() -> dict[str, str]:
        assert token_provider is not None
        return {"Authorization": f"Bearer {await token_provider()}"}

    return key if api_key is not None else bearer


def _retry_after(response: httpx.Response, attempt: int) -> float:
    for header in ("retry-after-ms", "retry-after"):
        value = response.headers.get(header)
        if value is None:
            continue
        try:
            seconds = float(value) / (1000.0 if header == "retry-after-ms" else 1.0)
        except ValueError:
            continue
        return min(max(seconds, 0.0), MAX_RETRY_AFTER_SECONDS)
    return float(min(2.0**attempt, MAX_RETRY_AFTER_SECONDS))


def _describe(response: httpx.Response) -> str:
    try:
        error = response.json().get("error", {})
        detail = f"{error.get('code', '')}: {error.get('message', '')}".strip(": ")
    except (ValueError, AttributeError):
        detail = ""
    return f"the embeddings deployment answered {response.status_code} {detail}".strip()[:500]


def azure_embedder(settings: Settings) -> AzureOpenAIEmbedder:
    """The embedder `EMBEDDER=azure` names: `AZURE_OPENAI_ENDPOINT` and its embeddings deployment,
    with `AZURE_OPENAI_API_KEY` or else the shared identity (`CREDENTIALS`)."""
    endpoint, deployment = (
        settings.azure_openai_endpoint,
        settings.azure_openai_embedding_deployment,
    )
    if not endpoint or not deployment:
        raise ValueError(
            "EMBEDDER=azure needs AZURE_OPENAI_ENDPOINT and AZURE_OPENAI_EMBEDDING_DEPLOYMENT"
        )
    dimensions = settings.embedding_dimensions or settings.search_vector_dimensions
    common: dict[str, Any] = {
        "dimensions": dimensions,
        "send_dimensions": settings.embedding_dimensions is not None,
        "api_version": settings.azure_openai_api_version,
    }
    if settings.azure_openai_api_key is not None:
        key = settings.azure_openai_api_key.get_secret_value()
        return AzureOpenAIEmbedder(endpoint, deployment, api_key=key, **common)
    from azure.identity.aio import DefaultAzureCredential, ManagedIdentityCredential

    credential: Any = (
        ManagedIdentityCredential(client_id=settings.managed_identity_client_id)
        if settings.credentials == "managed_identity"
        else DefaultAzureCredential()
    )

    async def token() -> str:
        access = await credential.get_token(TOKEN_SCOPE)
        return str(access.token)

    return AzureOpenAIEmbedder(
        endpoint, deployment, token_provider=token, on_close=credential.close, **common
    )
