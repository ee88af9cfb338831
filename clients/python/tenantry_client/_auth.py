"""Credentials: an azure-core `TokenCredential` (e.g. `DefaultAzureCredential`) or, for
development, a static bearer token; plain http allowed for loopback endpoints only."""

from __future__ import annotations

import base64
import json
import time
from typing import Any
from urllib.parse import urlsplit

from azure.core.credentials import AccessToken, TokenCredential
from azure.core.credentials_async import AsyncTokenCredential
from azure.core.pipeline import PipelineRequest
from azure.core.pipeline.policies import SansIOHTTPPolicy

DEFAULT_SCOPE = "api://tenantry/.default"
LOOPBACK = frozenset({"127.0.0.1", "localhost", "::1", "[::1]"})


def _expiry(token: str) -> int:
    """The `exp` claim of a JWT, read without verifying it (the service verifies); else 1 h."""
    try:
        payload = token.split(".")[1]
        claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
        return int(claims["exp"])
    except (IndexError, ValueError, KeyError, TypeError):
        return int(time.time()) + 3600


class StaticTokenCredential:
    """A bearer token you already have (`tenantry token --tenant T`), as a `TokenCredential`."""

    def __init__(self, token: str) -> None:
        self._token = AccessToken(token, _expiry(token))

    def get_token(self, *scopes: str, **kwargs: Any) -> AccessToken:
        return self._token

    def close(self) -> None:
        """Nothing to release."""

    def __enter__(self) -> StaticTokenCredential:
        return self

    def __exit__(self, *args: object) -> None:
        return None


class AsyncStaticTokenCredential:
    """The async twin of `StaticTokenCredential`."""

    def __init__(self, token: str) -> None:
        self._token = AccessToken(token, _expiry(token))

    async def get_token(self, *scopes: str, **kwargs: Any) -> AccessToken:
        return self._token

    async def close(self) -> None:
        """Nothing to release."""

    async def __aenter__(self) -> AsyncStaticTokenCredential:
        return self

    async def __aexit__(self, *args: object) -> None:
        return None


def as_credential(credential: TokenCredential | str) -> TokenCredential:
    """A `TokenCredential` for a credential or a static token."""
    return StaticTokenCredential(credential) if isinstance(credential, str) else credential


def as_async_credential(credential: AsyncTokenCredential | str) -> AsyncTokenCredential:
    """An `AsyncTokenCredential` for a credential or a static token."""
    return AsyncStaticTokenCredential(credential) if isinstance(credential, str) else credential


class LoopbackHttpPolicy(SansIOHTTPPolicy[Any, Any]):
    """Let the bearer token go over plain http to a loopback address (a local `tenantry up`);
    anywhere else azure-core's rule stands: bearer tokens only over https."""

    def on_request(self, request: PipelineRequest[Any]) -> None:
        host = urlsplit(request.http_request.url).hostname or ""
        if host in LOOPBACK:
            request.context.options["enforce_https"] = False
