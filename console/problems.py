"""The console's error answers: RFC 9457 problem details, as the ingress gives them."""

from __future__ import annotations

from fastapi import Request
from fastapi.responses import JSONResponse

from shared.problem_details import PROBLEM_JSON, ProblemError


class ConsoleProblem(ProblemError):
    """An error the console answers (see `shared.problem_details.ProblemError`)."""


async def problem_response(request: Request, exc: Exception) -> JSONResponse:
    """The problem+json body of a `ConsoleProblem`."""
    assert isinstance(exc, ConsoleProblem)
    body = exc.body(request.url.path)
    return JSONResponse(body, exc.status, headers=exc.headers, media_type=PROBLEM_JSON)
