"""JSON request bodies, decoded by the codec the workers use (`shared.contracts.json_codec`).

A route of a router made with `route_class=JsonRoute` reads its JSON body here, before FastAPI
validates it: a body sent as anything but JSON is 415; a body beyond the codec's limits is 413
(size) or 422 (anything else), so nothing a worker could not decode is ever accepted.
"""

from __future__ import annotations

import email.message
from collections.abc import Callable, Coroutine
from typing import Any

from fastapi import Request, Response
from fastapi import params as fastapi_params
from fastapi.routing import APIRoute

from ingress.problems import Problem
from shared.contracts import json_codec
from shared.contracts.errors import ErrorCode

JSON_MEDIA_TYPE = "application/json"


def is_json(content_type: str | None) -> bool:
    """Whether a Content-Type names JSON (`application/json` or `application/*+json`)."""
    if not content_type:
        return False
    parsed = email.message.Message()
    parsed["content-type"] = content_type
    subtype = parsed.get_content_subtype()
    return parsed.get_content_maintype() == "application" and (
        subtype == "json" or subtype.endswith("+json")
    )


class DecodedRequest(Request):
    """A request whose body was read and decoded by the codec."""

    def __init__(self, request: Request, body: bytes, value: Any) -> None:
        super().__init__(request.scope, request.receive)
        self._read = body
        self._value = value

    async def body(self) -> bytes:
        return self._read

    async def json(self) -> Any:
        return self._value


async def decoded_request(request: Request) -> Request:
    """The request with its body decoded by the codec (a Problem if it cannot be)."""
    body = await request.body()
    if not body:
        return request  # FastAPI says what is missing
    if not is_json(request.headers.get("content-type")):
        raise Problem.of(
            ErrorCode.UNSUPPORTED_MEDIA,
            f"Send the body as JSON, with `Content-Type: {JSON_MEDIA_TYPE}`.",
            headers={"Accept": JSON_MEDIA_TYPE},
        )
    try:
        value = json_codec.decode(body, json_codec.BODY)
    except json_codec.JsonRefused as exc:
        if exc.kind == "json_too_large":
            raise Problem.of(ErrorCode.TOO_LARGE, exc.detail) from exc
        raise Problem(
            422,
            ErrorCode.INVALID.value,
            exc.detail,
            extra={"errors": [{"loc": ["body"], "msg": exc.detail, "type": exc.kind}]},
        ) from exc
    return DecodedRequest(request, body, value)


class JsonRoute(APIRoute):
    """An APIRoute whose JSON body goes through the codec (form bodies are left alone)."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handle = super().get_route_handler()
        field = self.body_field
        if field is None or isinstance(field.field_info, fastapi_params.Form):
            return handle

        async def handler(request: Request) -> Response:
            return await handle(await decoded_request(request))

        return handler
