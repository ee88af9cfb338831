"""RFC 9457 problem details for every error the ingress answers."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from ingress.overrides import report_body_override
from shared.contracts.errors import STATUS_OF, ErrorCode
from shared.problem_details import PROBLEM_JSON, TITLES, ProblemError

log = logging.getLogger("tenantry.ingress")

CODES_BY_STATUS = {
    400: "BadRequest",
    404: ErrorCode.NOT_FOUND.value,
    405: "MethodNotAllowed",
    413: ErrorCode.TOO_LARGE.value,
}


class Problem(ProblemError):
    """An error the ingress answers (see `shared.problem_details.ProblemError`)."""

    @classmethod
    def of(cls, code: ErrorCode, detail: str, **kwargs: Any) -> Problem:
        """A problem whose status follows from its error code."""
        return cls(STATUS_OF[code], code.value, detail, **kwargs)


def problem_response(request: Request, problem: Problem) -> JSONResponse:
    """The problem+json body with the request id."""
    body: dict[str, Any] = {
        **problem.body(request.url.path),
        "requestId": getattr(request.state, "request_id", None),
        **problem.extra,
    }
    return JSONResponse(
        body, status_code=problem.status, headers=problem.headers, media_type=PROBLEM_JSON
    )


def _validation_problem(exc: RequestValidationError) -> Problem:
    errors = [
        {"loc": [str(p) for p in e.get("loc", ())], "msg": e.get("msg", ""), "type": e.get("type")}
        for e in exc.errors()
    ]
    overriding = [
        e
        for e in errors
        if e["type"] == "tenant_override"
        or (e["type"] == "extra_forbidden" and e["loc"] and e["loc"][-1].lower() == "tenantid")
    ]
    if overriding:
        return Problem.of(
            ErrorCode.TENANT_OVERRIDE,
            "The tenant comes from your token; a request cannot name one.",
            extra={"errors": overriding},
        )
    if any(e["type"] == "json_invalid" for e in errors):
        return Problem(
            422, ErrorCode.INVALID.value, "The body is not valid JSON.", extra={"errors": errors}
        )
    return Problem(
        422,
        ErrorCode.INVALID.value,
        "The request does not match the schema.",
        extra={"errors": errors},
    )


def install(app: FastAPI) -> None:
    """Answer every error as problem details, never with a stack trace."""

    async def on_problem(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, Problem)
        return problem_response(request, exc)

    async def on_validation(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, RequestValidationError)
        problem = _validation_problem(exc)
        if problem.code == ErrorCode.TENANT_OVERRIDE.value:
            report_body_override(request, exc.errors())
        return problem_response(request, problem)

    async def on_http(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, StarletteHTTPException)
        code = CODES_BY_STATUS.get(exc.status_code, "Error")
        detail = exc.detail if isinstance(exc.detail, str) else TITLES.get(exc.status_code, "")
        return problem_response(
            request, Problem(exc.status_code, code, detail, headers=dict(exc.headers or {}))
        )

    async def on_crash(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error", extra={"request_id": request.state.request_id})
        return problem_response(
            request, Problem.of(ErrorCode.INTERNAL, "Something went wrong on our side.")
        )

    app.add_exception_handler(Problem, on_problem)
    app.add_exception_handler(RequestValidationError, on_validation)
    app.add_exception_handler(StarletteHTTPException, on_http)
    app.add_exception_handler(Exception, on_crash)
