"""The console's error answers: RFC 9457 problem details, as the ingress gives them."""

from __future__ import annotations

from fastapi import Request
from fastapi.responses import JSONResponse

PROBLEM_JSON = "application/problem+json"

_TITLES = {400: "Bad Request", 401: "Unauthorized", 403: "Forbidden", 404: "Not Found"}


class ConsoleProblem(Exception):
    """An error answer: status, a code a page can branch on, a sentence a person can read."""

    def __init__(
        self, status: int, code: str, detail: str, headers: dict[str, str] | None = None
    ) -> None:
        super().__init__(detail)
        self.status = status
        self.code = code
        self.detail = detail
        self.headers = headers or {}


async def problem_response(request: Request, exc: Exception) -> JSONResponse:
    """The problem+json body of a `ConsoleProblem`."""
    assert isinstance(exc, ConsoleProblem)
    body = {
        "type": f"https://tenantry.dev/problems/{exc.code}",
        "title": _TITLES.get(exc.status, "Error"),
        "status": exc.status,
        "detail": exc.detail,
        "instance": request.url.path,
        "code": exc.code,
    }
    return JSONResponse(body, exc.status, headers=exc.headers, media_type=PROBLEM_JSON)
