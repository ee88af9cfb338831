"""The OpenAPI document made true and complete for client generators (docs/API.md says the same).

FastAPI's document is completed once, on first request of `/openapi.json`: a bearer (JWT)
security scheme (none on the health routes) and `servers`; operationIds from the route
functions' names in camelCase (`createAgent`, `getJob`); described tags; on every command the
`Prefer`, `Idempotency-Key` and `traceparent` headers and its `Prefer: wait` answer typed with
its resource; `Link`, `ETag`, `X-Request-ID` response headers; the multipart body of
`POST /files` and the bytes of a download; schemas for the answers routes build by hand; the
problem `code` as an enum, `jobId` declared; and only the error statuses a route can answer.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from fastapi import FastAPI

from ingress.openapi_schemas import BODIES, EXAMPLES, RESULTS, SCHEMAS
from ingress.problem_codes import PROBLEM_CODES

Doc = dict[str, Any]
METHODS = ("get", "post", "put", "patch", "delete")
TAGS = [
    {"name": "agents", "description": "Agents: create (a job), list, read, delete."},
    {"name": "threads", "description": "Threads, their messages and runs, and run events."},
    {"name": "jobs", "description": "The status monitors of commands: read, list, cancel."},
    {"name": "files", "description": "Uploads (multipart), metadata, bytes, deletion."},
    {"name": "search", "description": "Index documents and search the tenant's index."},
    {"name": "items", "description": "JSON items in tenant-scoped containers, with etags."},
    {"name": "webhooks", "description": "Endpoints, secrets, the delivery log, redelivery."},
    {"name": "operators", "description": "Dead letters and the audit log (tenantry.admin)."},
    {"name": "health", "description": "Liveness and readiness (no token)."},
]
HEADER_PARAMETERS: list[Doc] = [
    {
        "name": "Prefer",
        "in": "header",
        "required": False,
        "description": "`wait=N` (N <= 60): answer with the outcome if the job ends within N s.",
        "schema": {"type": "string", "pattern": "wait=\\d+"},
        "example": "wait=10",
    },
    {
        "name": "Idempotency-Key",
        "in": "header",
        "required": False,
        "description": "The same key and body return the original job (kept at least 24 h).",
        "schema": {"type": "string", "maxLength": 255},
    },
    {
        "name": "traceparent",
        "in": "header",
        "required": False,
        "description": "W3C trace context carried into the command's trace.",
        "schema": {"type": "string"},
    },
]
HEADER = {"schema": {"type": "string"}}
REQUEST_ID = {"X-Request-ID": {"description": "The request's id.", **HEADER}}
NOT_ON_READS = ("409", "413", "415")
NOT_WITHOUT_BODY = ("413", "415")


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)


def _route_name(operation_id: str, path: str, method: str) -> str:
    suffix = re.sub(r"\W", "_", path) + "_" + method
    return operation_id.removesuffix(suffix) if operation_id.endswith(suffix) else operation_id


def _ref(name: str) -> Doc:
    return {"$ref": f"#/components/schemas/{name}"}


def _json(schema: Doc) -> Doc:
    return {"application/json": {"schema": schema}}


def _is_command(operation: Doc) -> bool:
    accepted = operation["responses"].get("202", {})
    return "Operation-Location" in accepted.get("headers", {})


def _command(operation: Doc) -> None:
    """Headers in; the `Prefer: wait` answer typed with the resource (201 or 200)."""
    names = {p["name"].lower() for p in operation.get("parameters", [])}
    operation.setdefault("parameters", []).extend(
        p for p in HEADER_PARAMETERS if p["name"].lower() not in names
    )
    responses = operation["responses"]
    status, schema = RESULTS.get(operation["operationId"], (200, "Deleted"))
    other = "200" if status == 201 else "201"
    responses.pop(other, None)
    headers = {"Preference-Applied": {"description": "`wait=N` as applied.", **HEADER}}
    if status == 201:
        headers["Location"] = {"description": "The created resource (absolute URL).", **HEADER}
    responses[str(status)] = {
        "description": "With `Prefer: wait`, the outcome once the job ended.",
        "headers": headers,
        "content": _json(_ref(schema)),
    }


def _body(operation: Doc) -> None:
    """The schema of an answer the route builds by hand."""
    found = BODIES.get(operation["operationId"])
    if found is None:
        return
    name, listed = found
    status = next(s for s in operation["responses"] if s.startswith("2"))
    schema = {"type": "array", "items": _ref(name)} if listed else _ref(name)
    operation["responses"][status]["content"] = _json(schema)


def _response_headers(path: str, method: str, operation: Doc) -> None:
    for status, response in operation["responses"].items():
        headers = response.setdefault("headers", {})
        headers.update(REQUEST_ID)
        if not status.startswith("2"):
            continue
        schema = response.get("content", {}).get("application/json", {}).get("schema", {})
        if schema.get("type") == "array":
            headers.setdefault(
                "Link", {"description": 'The next page: `<url>; rel="next"`.', **HEADER}
            )
        if operation["operationId"] == "getItem":
            headers["ETag"] = {"description": "The item's etag, for `If-Match`.", **HEADER}


def _statuses(method: str, operation: Doc) -> None:
    responses = operation["responses"]
    if method == "get":
        for status in NOT_ON_READS:
            responses.pop(status, None)
    elif "requestBody" not in operation:
        for status in NOT_WITHOUT_BODY:
            responses.pop(status, None)
    if operation["operationId"] == "updateItem":
        responses["412"] = {
            "description": "The item changed since the `If-Match` etag.",
            "content": {"application/problem+json": {"schema": _ref("ProblemDetails")}},
        }


def _special(path: str, method: str, operation: Doc) -> None:
    if (method, path) == ("post", "/files"):
        operation["requestBody"] = {
            "required": True,
            "content": {
                "multipart/form-data": {
                    "schema": {
                        "type": "object",
                        "properties": {
                            "file": {"type": "string", "format": "binary"},
                            "purpose": {"type": "string", "default": "assistants"},
                        },
                        "required": ["file"],
                    }
                }
            },
        }
    if method == "get" and path.endswith("/events"):
        operation["responses"]["200"]["content"] = {
            "text/event-stream": {
                "schema": {"type": "string", "description": "Server-sent events, then `done`."}
            }
        }
    if (method, path) == ("get", "/files/{file_id}/content"):
        operation["responses"]["200"]["content"] = {
            "application/octet-stream": {"schema": {"type": "string", "format": "binary"}}
        }


def _problem_schema(doc: Doc) -> None:
    problem = doc["components"]["schemas"].get("ProblemDetails")
    if problem is None:
        return
    problem["properties"]["code"] = {
        "type": "string",
        "enum": sorted(PROBLEM_CODES),
        "description": "What a client branches on.",
    }
    problem["properties"]["jobId"] = {
        "type": "string",
        "description": "The failed job, when a waited command ended in error.",
    }
    problem["example"] = {
        "type": "https://tenantry.dev/problems/NotFound",
        "title": "Not Found",
        "status": 404,
        "detail": "Agent 'asst_missing' was not found.",
        "instance": "/agents/asst_missing",
        "code": "NotFound",
        "requestId": "req_5be1c0a2d4e6f809",
    }


def complete(doc: Doc, servers: list[Doc]) -> Doc:
    """`doc` (FastAPI's) made true and complete for clients; changed in place and returned."""
    components = doc.setdefault("components", {})
    components.setdefault("schemas", {}).update(SCHEMAS)
    components["securitySchemes"] = {
        "bearer": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}
    }
    doc["security"] = [{"bearer": []}]
    doc["servers"] = servers
    doc["tags"] = TAGS
    for path, operations in doc.get("paths", {}).items():
        for method, operation in operations.items():
            if method not in METHODS:
                continue
            operation["operationId"] = _camel(_route_name(operation["operationId"], path, method))
            if path.startswith("/health"):
                operation["security"] = []
            if _is_command(operation):
                _command(operation)
            _body(operation)
            _special(path, method, operation)
            _statuses(method, operation)
            _response_headers(path, method, operation)
    _problem_schema(doc)
    for name, example in EXAMPLES.items():
        if name in components["schemas"]:
            components["schemas"][name]["example"] = example
    return doc


def install(app: FastAPI, public_base_url: str | None) -> None:
    """Serve the completed document at `/openapi.json` (built once, on first use)."""
    generate: Callable[[], Doc] = app.openapi
    servers = [{"url": public_base_url or "/", "description": "this deployment"}]

    def document() -> Doc:
        if getattr(app.state, "openapi_completed", None) is None:
            app.state.openapi_completed = complete(generate(), servers)
        completed: Doc = app.state.openapi_completed
        return completed

    app.openapi = document  # type: ignore[method-assign]
