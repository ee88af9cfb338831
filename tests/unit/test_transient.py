"""Which failures are transient, and how long a retry waits (exponential, capped, jittered)."""

from __future__ import annotations

from types import SimpleNamespace

import httpx
import openai
import pytest
from azure.core.exceptions import (
    HttpResponseError,
    ResourceNotFoundError,
    ServiceRequestError,
    ServiceResponseError,
)
from azure.cosmos.exceptions import CosmosHttpResponseError
from hypothesis import given
from hypothesis import strategies as st

from shared.contracts.errors import CommandFailed, ErrorCode
from shared.transient import TransientFailure, backoff_delay, retry_after, transience


def _response(status: int, headers: dict[str, str] | None = None) -> SimpleNamespace:
    return SimpleNamespace(status_code=status, reason="", headers=headers or {}, request=None)


def _openai(status: int, headers: dict[str, str] | None = None) -> openai.APIStatusError:
    request = httpx.Request("POST", "https://foundry.example/openai/responses")
    response = httpx.Response(status, headers=headers, request=request)
    return openai.APIStatusError("failed", response=response, body=None)


TRANSIENT: dict[str, tuple[BaseException, float | None]] = {
    "cosmos 429 with x-ms-retry-after-ms": (
        CosmosHttpResponseError(
            status_code=429,
            message="Request rate is large",
            response=_response(429, {"x-ms-retry-after-ms": "7000"}),
        ),
        7.0,
    ),
    "azure 503 with Retry-After": (
        HttpResponseError(message="busy", response=_response(503, {"Retry-After": "3"})),
        3.0,
    ),
    "azure 500": (HttpResponseError(message="oops", response=_response(500)), None),
    "azure 408": (HttpResponseError(message="slow", response=_response(408)), None),
    "foundry 502": (_openai(502), None),
    "foundry 429 with retry-after-ms": (_openai(429, {"retry-after-ms": "1500"}), 1.5),
    "azure network error on request": (ServiceRequestError("no route to host"), None),
    "azure network error on response": (ServiceResponseError("connection reset"), None),
    "foundry connection error": (
        openai.APIConnectionError(request=httpx.Request("GET", "https://foundry.example")),
        None,
    ),
    "httpx connect error": (httpx.ConnectError("refused"), None),
    "connection reset": (ConnectionResetError("reset by peer"), None),
    "our own, with a wait": (TransientFailure("later", retry_after=4.0), 4.0),
}

PERMANENT: dict[str, BaseException] = {
    "azure 404": ResourceNotFoundError(message="gone", response=_response(404)),
    "azure 400": HttpResponseError(message="bad", response=_response(400)),
    "cosmos 409": CosmosHttpResponseError(status_code=409, message="conflict"),
    "foundry 401": _openai(401),
    "a bug": RuntimeError("the engine is down"),
    "a time limit": TimeoutError(),
    "a command that cannot succeed": CommandFailed(ErrorCode.NOT_FOUND, "no such thread"),
    "a key error": KeyError("x"),
}


@pytest.mark.parametrize("name", TRANSIENT)
def test_a_transient_failure_is_recognised_with_the_wait_its_service_asked_for(
    name: str,
) -> None:
    error, wait = TRANSIENT[name]
    found = transience(error)
    assert found is not None
    assert found.retry_after == wait


@pytest.mark.parametrize("name", PERMANENT)
def test_any_other_failure_is_not_transient(name: str) -> None:
    assert transience(PERMANENT[name]) is None


def test_retry_after_as_an_http_date_is_the_time_until_then() -> None:
    assert retry_after({"Retry-After": "Wed, 21 Oct 2015 07:28:10 GMT"}, now=1445412480.0) == 10.0
    assert retry_after({"Retry-After": "soon"}) is None
    assert retry_after({}) is None


@given(
    failures=st.integers(min_value=1, max_value=40),
    base=st.floats(min_value=0.01, max_value=5),
    cap=st.floats(min_value=0.01, max_value=120),
    jitter=st.floats(min_value=0, max_value=0.999),
)
def test_the_wait_is_exponential_capped_and_jittered_within_its_upper_half(
    failures: int, base: float, cap: float, jitter: float
) -> None:
    ceiling = min(cap, base * 2 ** (failures - 1))
    delay = backoff_delay(failures, base_seconds=base, max_seconds=cap, jitter=jitter)
    assert ceiling / 2 <= delay <= ceiling


@given(
    failures=st.integers(min_value=1, max_value=40),
    asked=st.floats(min_value=0, max_value=600),
    jitter=st.floats(min_value=0, max_value=0.999),
)
def test_the_wait_is_never_shorter_than_the_services_retry_after(
    failures: int, asked: float, jitter: float
) -> None:
    delay = backoff_delay(
        failures, base_seconds=1, max_seconds=30, jitter=jitter, retry_after=asked
    )
    assert delay >= asked
    assert delay == max(
        asked, backoff_delay(failures, base_seconds=1, max_seconds=30, jitter=jitter)
    )


def test_jitter_spreads_tenants_throttled_together() -> None:
    waits = {backoff_delay(4, base_seconds=1, max_seconds=30, jitter=j / 10) for j in range(10)}
    assert len(waits) == 10
