"""The service's problem details (RFC 9457) as azure-core `HttpResponseError` subclasses."""

from __future__ import annotations

from typing import Any

from azure.core.exceptions import (
    ClientAuthenticationError,
    HttpResponseError,
    ResourceExistsError,
    ResourceModifiedError,
    ResourceNotFoundError,
)
from azure.core.rest import HttpResponse


class TenantryError(HttpResponseError):
    """An error answer of the service; `code` is the problem's code (`NotFound`, `Invalid`, ...).

    `problem` is the whole problem document, `job_id` the failed job's id when there is one.
    """

    def __init__(
        self,
        message: str,
        *,
        response: Any = None,
        code: str | None = None,
        problem: dict[str, Any] | None = None,
        job_id: str | None = None,
    ) -> None:
        super().__init__(message=message, response=response)
        self.code: str | None = code
        self.problem: dict[str, Any] = problem or {}
        self.job_id: str | None = job_id or self.problem.get("jobId")


class NotFoundError(TenantryError, ResourceNotFoundError):
    """404: no such resource for the caller's tenant."""


class ConflictError(TenantryError, ResourceExistsError):
    """409: a conflict (an idempotency key still being accepted, a job already ended, ...)."""


class PreconditionFailedError(TenantryError, ResourceModifiedError):
    """412: the resource changed since the `If-Match` etag."""


class AuthenticationError(TenantryError, ClientAuthenticationError):
    """401: no valid bearer token, or a tenant the service does not know."""


_BY_STATUS: dict[int, type[TenantryError]] = {
    401: AuthenticationError,
    404: NotFoundError,
    409: ConflictError,
    412: PreconditionFailedError,
}
_BY_CODE: dict[str, type[TenantryError]] = {
    "NotFound": NotFoundError,
    "Conflict": ConflictError,
    "AlreadyEnded": ConflictError,
    "PreconditionFailed": PreconditionFailedError,
}


def error_from_response(response: HttpResponse) -> TenantryError:
    """The error an HTTP error answer stands for."""
    try:
        problem = response.json()
    except ValueError:
        problem = None
    if not isinstance(problem, dict):
        problem = {}
    code = problem.get("code")
    kind = _BY_STATUS.get(response.status_code, TenantryError)
    detail = problem.get("detail") or problem.get("title") or response.reason or "error"
    message = f"({code or response.status_code}) {detail}"
    return kind(message, response=response, code=code, problem=problem)


def raise_for_problem(response: HttpResponse) -> None:
    """Raise the error an HTTP error answer stands for; let any other answer pass."""
    if response.status_code >= 400:
        raise error_from_response(response)


def error_from_job(job: dict[str, Any], response: Any = None) -> TenantryError:
    """The error a failed or canceled job stands for (its `error.code`, else its status)."""
    error = job.get("error") or {}
    code = error.get("code") or job.get("status", "Failed")
    kind = _BY_CODE.get(code, TenantryError)
    message = f"({code}) {error.get('message') or 'The job did not succeed.'}"
    return kind(
        message,
        response=response,
        code=code,
        problem={"jobId": job.get("id")},
        job_id=job.get("id"),
    )
