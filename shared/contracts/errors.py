"""Error codes shared by the ingress, the workers and the job records."""

from __future__ import annotations

from enum import StrEnum


class ErrorCode(StrEnum):
    """What went wrong, in words a client can branch on."""

    NOT_FOUND = "NotFound"
    INVALID = "Invalid"
    CONFLICT = "Conflict"
    PRECONDITION_FAILED = "PreconditionFailed"
    TENANT_OVERRIDE = "TenantOverride"
    UNAUTHORIZED = "Unauthorized"
    FORBIDDEN = "Forbidden"
    TOO_LARGE = "PayloadTooLarge"
    UNSUPPORTED_MEDIA = "UnsupportedMediaType"
    UNAVAILABLE = "ServiceUnavailable"
    DEAD_LETTERED = "DeadLettered"
    RUN_FAILED = "RunFailed"
    TIMEOUT = "Timeout"
    RATE_LIMITED = "RateLimited"
    ALREADY_ENDED = "AlreadyEnded"
    ALREADY_STARTED = "AlreadyStarted"
    INTERNAL = "InternalError"


STATUS_OF: dict[ErrorCode, int] = {
    ErrorCode.NOT_FOUND: 404,
    ErrorCode.INVALID: 422,
    ErrorCode.CONFLICT: 409,
    ErrorCode.PRECONDITION_FAILED: 412,
    ErrorCode.TENANT_OVERRIDE: 400,
    ErrorCode.UNAUTHORIZED: 401,
    ErrorCode.FORBIDDEN: 403,
    ErrorCode.TOO_LARGE: 413,
    ErrorCode.UNSUPPORTED_MEDIA: 415,
    ErrorCode.UNAVAILABLE: 503,
    ErrorCode.DEAD_LETTERED: 500,
    ErrorCode.RUN_FAILED: 502,
    ErrorCode.TIMEOUT: 504,
    ErrorCode.RATE_LIMITED: 429,
    ErrorCode.ALREADY_ENDED: 409,
    ErrorCode.ALREADY_STARTED: 409,
    ErrorCode.INTERNAL: 500,
}


class CommandFailed(Exception):
    """A command that cannot succeed however often it is retried (not found, invalid, conflict).

    The worker records it on the job and completes the message; it is never retried.
    """

    def __init__(self, code: ErrorCode, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message

    @property
    def status(self) -> int:
        return STATUS_OF[self.code]


def not_found(kind: str, ident: str) -> CommandFailed:
    """The same answer whether the resource is absent or another tenant's."""
    return CommandFailed(ErrorCode.NOT_FOUND, f"{kind} '{ident}' was not found.")
