"""RFC 9457 problem details: the error answer of every HTTP app of the service.

The ingress and the operator console raise subclasses of `ProblemError` and answer with its
`body()` as `application/problem+json`; each app adds what only it knows (the request id).
"""

from __future__ import annotations

from typing import Any

PROBLEM_JSON = "application/problem+json"

TITLES = {
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    405: "Method Not Allowed",
    409: "Conflict",
    412: "Precondition Failed",
    413: "Content Too Large",
    415: "Unsupported Media Type",
    422: "Unprocessable Content",
    428: "Precondition Required",
    429: "Too Many Requests",
    500: "Internal Server Error",
    502: "Bad Gateway",
    503: "Service Unavailable",
    504: "Gateway Timeout",
}


class ProblemError(Exception):
    """An error answer: status, a code a client can branch on, a sentence a person can read;
    `headers` go on the response, `extra` members into its body."""

    def __init__(
        self,
        status: int,
        code: str,
        detail: str,
        headers: dict[str, str] | None = None,
        *,
        extra: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(detail)
        self.status = status
        self.code = code
        self.detail = detail
        self.headers = headers or {}
        self.extra = extra or {}

    def body(self, instance: str) -> dict[str, Any]:
        """The standard members of the problem+json body; `instance` is the request's path."""
        return {
            "type": f"https://tenantry.dev/problems/{self.code}",
            "title": TITLES.get(self.status, "Error"),
            "status": self.status,
            "detail": self.detail,
            "instance": instance,
            "code": self.code,
        }
