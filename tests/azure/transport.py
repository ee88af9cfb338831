"""An azure-core async HTTP transport that records each request and answers from a function.

The SDK clients under test are real; only the network is replaced, so the URLs, query strings,
headers and bodies the tests assert are exactly what the SDK would send to Azure.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlsplit

from azure.core.pipeline.transport import AsyncHttpTransport
from azure.core.rest._http_response_impl_async import AsyncHttpResponseImpl
from azure.core.utils import CaseInsensitiveDict


@dataclass
class Answer:
    status: int = 200
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Sent:
    """What the SDK sent."""

    method: str
    url: str
    headers: dict[str, str]
    body: bytes

    @property
    def path(self) -> str:
        return urlsplit(self.url).path

    @property
    def query(self) -> dict[str, list[str]]:
        return parse_qs(urlsplit(self.url).query)

    def json(self) -> Any:
        return json.loads(self.body)


def canned_response(request: Any, answer: Answer) -> AsyncHttpResponseImpl:
    """A complete, already-read response, as azure-core's own transports produce."""
    body = answer.body
    if body is None:
        content = b""
    elif isinstance(body, bytes):
        content = body
    else:
        content = json.dumps(body).encode()
    headers = CaseInsensitiveDict({"content-type": "application/json", **answer.headers})

    async def no_stream(*args: Any, **kwargs: Any) -> AsyncIterator[bytes]:
        yield content

    response = AsyncHttpResponseImpl(
        request=request,
        internal_response=None,
        status_code=answer.status,
        reason="OK" if answer.status < 400 else "Error",
        content_type=headers["content-type"],
        headers=headers,
        stream_download_generator=no_stream,
    )
    response._content = content  # the body is already read, as after `read()`
    response._is_stream_consumed = True
    return response


class RecordingTransport(AsyncHttpTransport):
    """Records every request; `answer(sent)` says what the service replies."""

    def __init__(self, answer: Callable[[Sent], Answer]) -> None:
        self.sent: list[Sent] = []
        self._answer = answer

    async def __aenter__(self) -> RecordingTransport:
        return self

    async def __aexit__(self, *exc: object) -> None:
        return None

    async def open(self) -> None:
        return None

    async def close(self) -> None:
        return None

    async def send(self, request: Any, **kwargs: Any) -> AsyncHttpResponseImpl:  # type: ignore[override]
        raw = getattr(request, "content", None)
        if raw is None:
            raw = request.body
        if isinstance(raw, str):
            raw = raw.encode()
        sent = Sent(request.method, request.url, dict(request.headers), raw or b"")
        self.sent.append(sent)
        return canned_response(request, self._answer(sent))


class StaticToken:
    """A credential that hands out a fixed bearer token and records the scopes asked for."""

    def __init__(self, token: str = "token") -> None:
        self.token = token
        self.scopes: list[tuple[str, ...]] = []

    async def get_token(self, *scopes: str, **kwargs: Any) -> Any:
        from azure.core.credentials import AccessToken

        self.scopes.append(scopes)
        return AccessToken(self.token, 2**31)

    async def get_token_info(self, *scopes: str, options: Any = None) -> Any:
        from azure.core.credentials import AccessTokenInfo

        self.scopes.append(scopes)
        return AccessTokenInfo(self.token, 2**31)

    async def close(self) -> None:
        return None
