"""What the OpenAPI document says each route answers: problem details for every error, the job
for every command, the resource model for every read.

Routers pass these as `responses=`: `PROBLEMS` on the router (every route can be refused), and
`accepted()`, `ok(Model)` or `ok_list(Model)` on a route. Conformance suites (schemathesis) hold
the live server to them.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from shared.contracts.resources import Job

ResponsesDoc = dict[int | str, dict[str, Any]]


class ProblemDetails(BaseModel):
    """RFC 9457 problem details, as every error of the ingress is answered."""

    model_config = ConfigDict(extra="allow")

    type: str
    title: str
    status: int = Field(ge=400, le=599)
    detail: str
    instance: str
    code: str = Field(description="A code a client can branch on (`NotFound`, `Invalid`, ...).")
    requestId: str | None = None


def _problem(description: str, headers: dict[str, Any] | None = None) -> dict[str, Any]:
    answer: dict[str, Any] = {
        "model": ProblemDetails,
        "description": description,
        "content": {
            "application/problem+json": {"schema": {"$ref": "#/components/schemas/ProblemDetails"}}
        },
    }
    if headers:
        answer["headers"] = headers
    return answer


_RETRY_AFTER = {"Retry-After": {"description": "Seconds to wait.", "schema": {"type": "string"}}}

PROBLEMS: ResponsesDoc = {
    400: _problem("A malformed request: a tenant named in it, a bad cursor, filter or key."),
    401: _problem(
        "No valid bearer token.",
        {
            "WWW-Authenticate": {
                "description": "The Bearer challenge.",
                "schema": {"type": "string"},
            }
        },
    ),
    403: _problem("The token's roles do not allow this route."),
    404: _problem("No such resource for the caller's tenant (another tenant's is absent too)."),
    409: _problem("A conflict: an Idempotency-Key still being accepted, or a resource's state."),
    413: _problem("The request body is over the limit."),
    415: _problem("An unsupported media type."),
    422: _problem("The body or parameters do not match the schema."),
    500: _problem("An error on the service's side."),
    503: _problem("The bus or a store cannot be reached; retry later.", _RETRY_AFTER),
}
"""Every error a resource route may answer, as problem details."""


def accepted() -> ResponsesDoc:
    """A command: 202 with its job (and where to poll it), or the outcome with `Prefer: wait`."""
    return {
        202: {
            "model": Job,
            "description": "Accepted: the job to poll at `Operation-Location`.",
            "headers": {
                "Operation-Location": {
                    "description": "The job to poll, an absolute URL (`https://host/jobs/{jobId}`).",
                    "required": True,
                    "schema": {"type": "string"},
                },
                "Retry-After": _RETRY_AFTER["Retry-After"] | {"required": True},
            },
        },
        200: {"description": "With `Prefer: wait`, the command's result once it ended."},
        201: {"description": "With `Prefer: wait`, the created resource once it ended."},
    }


def ok(model: type[BaseModel], status: int = 200) -> ResponsesDoc:
    """A read answering one `model`."""
    return {status: {"model": model}}


def ok_list(model: type[BaseModel]) -> ResponsesDoc:
    """A list answering a JSON array of `model`, the next page in a `Link` header."""
    return {
        200: {
            "model": list[model],  # type: ignore[valid-type]
            "headers": {
                "Link": {
                    "description": 'The next page, an absolute URL: `<https://...>; rel="next"`.',
                    "schema": {"type": "string"},
                }
            },
        }
    }


def binary() -> ResponsesDoc:
    """A download: the bytes as `application/octet-stream`."""
    return {
        200: {
            "description": "The bytes, streamed.",
            "content": {
                "application/octet-stream": {"schema": {"type": "string", "format": "binary"}}
            },
        }
    }
