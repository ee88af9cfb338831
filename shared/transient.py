"""Transient failures: what passes if tried again a little later, and how long to wait.

A throttle (HTTP 429, Cosmos DB's request-rate limit), a service's 5xx or 408, a connection that
failed or dropped: the command is right, the moment is wrong. The workers wait and try again
(`workers.retries`) instead of giving the message back at once, since Service Bus hands an
abandoned session message straight back and its delivery count would be spent in seconds.

Recognised without importing any SDK: an exception with an HTTP `status_code` (azure-core's
`HttpResponseError` and its Cosmos subclass, the OpenAI client's `APIStatusError`), a network
error by its class (azure-core's `ServiceRequestError`/`ServiceResponseError`, httpx's
`TransportError`, aiohttp's `ClientConnectionError`, the OpenAI client's `APIConnectionError`,
and Python's `ConnectionError`), or our own `TransientFailure`.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from typing import Any

TRANSIENT_STATUS = frozenset({408, 429, 500, 502, 503, 504})
"""HTTP statuses that say "later": a timeout, a throttle, a service failing or unavailable."""

NETWORK_ERRORS = frozenset(
    {
        "ServiceRequestError",
        "ServiceResponseError",
        "TransportError",
        "ClientConnectionError",
        "APIConnectionError",
    }
)
"""Class names (anywhere in an exception's bases) of the SDKs' network errors."""


class TransientFailure(Exception):
    """A failure that should pass if the command is tried again later.

    `retry_after`, in seconds, is the service's own word on when (its `Retry-After`).
    """

    def __init__(self, message: str, *, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


@dataclass(frozen=True)
class Transience:
    """An exception found transient, and the wait its service asked for, if any."""

    retry_after: float | None = None


def _seconds(value: str, now: float) -> float | None:
    try:
        return max(float(value), 0.0)
    except ValueError:
        pass
    try:
        return max(parsedate_to_datetime(value).timestamp() - now, 0.0)
    except (TypeError, ValueError):
        return None


def retry_after(headers: Mapping[str, str] | None, now: float | None = None) -> float | None:
    """The wait a response asks for: `retry-after-ms`, `x-ms-retry-after-ms` (Cosmos DB) or
    `Retry-After` (seconds or an HTTP date), in seconds; None when it names none."""
    if not headers:
        return None
    lowered = {str(k).lower(): str(v) for k, v in headers.items()}
    for name in ("retry-after-ms", "x-ms-retry-after-ms"):
        if name in lowered:
            millis = _seconds(lowered[name], 0.0)
            if millis is not None:
                return millis / 1000
    if "retry-after" in lowered:
        return _seconds(lowered["retry-after"], time.time() if now is None else now)
    return None


def _headers(exc: BaseException) -> Mapping[str, str] | None:
    response: Any = getattr(exc, "response", None)
    headers = getattr(response, "headers", None)
    return headers if isinstance(headers, Mapping) else None


def transience(exc: BaseException) -> Transience | None:
    """Whether `exc` is transient, with the wait its service asked for; None if it is not."""
    if isinstance(exc, TransientFailure):
        return Transience(exc.retry_after)
    status = getattr(exc, "status_code", None)
    if isinstance(status, int) and not isinstance(status, bool):
        return Transience(retry_after(_headers(exc))) if status in TRANSIENT_STATUS else None
    if isinstance(exc, ConnectionError):
        return Transience()
    if any(base.__name__ in NETWORK_ERRORS for base in type(exc).__mro__):
        return Transience()
    return None


def backoff_delay(
    failures: int,
    *,
    base_seconds: float,
    max_seconds: float,
    jitter: float,
    retry_after: float | None = None,
) -> float:
    """The wait before the next attempt after `failures` transient failures in a row.

    Exponential (`base_seconds` doubling), capped at `max_seconds`, with "equal jitter" (the
    upper half of the wait is random: `jitter` in [0, 1)), so tenants throttled together do not
    come back together; never shorter than the service's `retry_after`.
    """
    ceiling = min(max_seconds, base_seconds * 2.0 ** max(failures - 1, 0))
    delay = ceiling / 2 + ceiling / 2 * jitter
    return max(delay, retry_after) if retry_after is not None else delay
