"""Bad input never reaches a worker: the ingress answers it with a 4xx problem, never a 500 or
a 202 whose job a worker cannot decode; what it accepts at the limits, a worker runs to the end.
"""

from __future__ import annotations

import asyncio
import contextlib
from pathlib import Path
from typing import Any

import pytest

from shared.contracts.json_codec import MAX_DEPTH
from tests.harness import Harness, running, settings_for

WRITES = [("POST", "/cosmos/notes"), ("PATCH", "/cosmos/notes/item-1")]


def nested(depth: int) -> bytes:
    """An object whose `v` nests `depth` containers in all (the body itself counts one)."""
    return b'{"v":' + b"[" * (depth - 1) + b"1" + b"]" * (depth - 1) + b"}"


async def send(harness: Harness, method: str, path: str, body: bytes, **headers: str) -> Any:
    return await harness.client.request(
        method,
        path,
        content=body,
        headers=harness.auth("contoso") | {"Content-Type": "application/json"} | headers,
    )


async def ended(harness: Harness, job_id: str) -> dict[str, Any]:
    async with asyncio.timeout(20):
        while True:
            job = (
                await harness.client.get(f"/jobs/{job_id}", headers=harness.auth("contoso"))
            ).json()
            if job["status"] in ("Succeeded", "Failed", "Canceled"):
                return job  # type: ignore[no-any-return]
            await asyncio.sleep(0.01)


@pytest.mark.parametrize(("method", "path"), WRITES)
@pytest.mark.parametrize("depth", [MAX_DEPTH + 1, 200, 254, 255, 951, 10_000])
async def test_a_body_nested_past_the_limit_is_a_422_problem(
    tmp_path: Path, method: str, path: str, depth: int
) -> None:
    async with running(settings_for(tmp_path), workers=False) as harness:
        response = await send(harness, method, path, nested(depth))
    assert response.status_code == 422, response.text
    problem = response.json()
    assert problem["code"] == "Invalid" and str(MAX_DEPTH) in problem["detail"]
    assert response.headers["content-type"] == "application/problem+json"


async def test_a_body_at_the_limit_is_accepted_and_its_job_succeeds(tmp_path: Path) -> None:
    async with running(settings_for(tmp_path)) as harness:
        created = await send(harness, "POST", "/cosmos/notes", nested(MAX_DEPTH))
        assert created.status_code == 202, created.text
        job = await ended(harness, created.json()["id"])
        assert job["status"] == "Succeeded", job
        item_id = job["resourceLocation"].rsplit("/", 1)[-1]
        patched = await send(harness, "PATCH", f"/cosmos/notes/{item_id}", nested(MAX_DEPTH))
        assert patched.status_code == 202, patched.text
        assert (await ended(harness, patched.json()["id"]))["status"] == "Succeeded"


BAD_BODIES = {
    "lone surrogate in a string": b'{"v":"\\ud800"}',
    "lone low surrogate": b'{"v":"x\\udfff"}',
    "lone surrogate as a name": b'{"\\ud800":1}',
    "overflowing number": b'{"v":1e999}',
    "NaN": b'{"v":NaN}',
    "Infinity": b'{"v":Infinity}',
    "-Infinity": b'{"v":-Infinity}',
    "huge integer": b'{"v":123456789012345678901234567890}',
    "integer past 2**53": b'{"v":9007199254740993}',
    "duplicate names": b'{"v":1,"v":2}',
    "nested duplicate names": b'{"v":{"w":1,"w":1}}',
    "invalid UTF-8": b'{"v":"\xff"}',
}


@pytest.mark.parametrize(("method", "path"), WRITES)
@pytest.mark.parametrize("name", sorted(BAD_BODIES))
async def test_json_the_codec_refuses_is_a_422_problem_and_never_stored_changed(
    tmp_path: Path, method: str, path: str, name: str
) -> None:
    async with running(settings_for(tmp_path), workers=False) as harness:
        response = await send(harness, method, path, BAD_BODIES[name])
        assert response.status_code == 422, (name, response.text)
        assert response.json()["code"] == "Invalid"
        jobs = await harness.client.get("/jobs", headers=harness.auth("contoso"))
        assert jobs.json() == []


@pytest.mark.parametrize(
    "content_type", ["text/plain", "application/x-www-form-urlencoded", "application/xml", None]
)
async def test_a_json_route_sent_another_media_type_is_415_saying_what_to_send(
    tmp_path: Path, content_type: str | None
) -> None:
    async with running(settings_for(tmp_path), workers=False) as harness:
        headers = harness.auth("contoso")
        if content_type is not None:
            headers["Content-Type"] = content_type
        response = await harness.client.post("/cosmos/notes", content=b'{"a":1}', headers=headers)
    assert response.status_code == 415, response.text
    assert response.json()["code"] == "UnsupportedMediaType"
    assert "application/json" in response.json()["detail"]


async def test_a_json_body_over_the_size_limit_is_413(tmp_path: Path) -> None:
    body = b'{"v":"' + b"x" * (300 * 1024) + b'"}'
    async with running(settings_for(tmp_path), workers=False) as harness:
        response = await send(harness, "POST", "/cosmos/notes", body)
    assert response.status_code == 413, response.text


@pytest.mark.parametrize("name", sorted(BAD_BODIES))
async def test_an_idempotency_key_refused_with_bad_json_is_free_for_the_retry(
    tmp_path: Path, name: str
) -> None:
    async with running(settings_for(tmp_path), workers=False) as harness:
        key = {"Idempotency-Key": "k-1"}
        refused = await send(harness, "POST", "/cosmos/notes", BAD_BODIES[name], **key)
        assert refused.status_code == 422
        retried = await send(harness, "POST", "/cosmos/notes", b'{"v":1}', **key)
        assert retried.status_code == 202, retried.text


@pytest.mark.parametrize(
    "fault", [RuntimeError("boom"), UnicodeEncodeError("utf-8", "", 0, 1, "x")]
)
async def test_an_idempotency_key_is_released_when_enqueueing_fails_unexpectedly(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fault: Exception
) -> None:
    async with running(settings_for(tmp_path), workers=False) as harness:
        bus = harness.services.bus
        real_send = bus.send
        failures = [fault]

        async def send_failing_once(queue: str, messages: list[Any]) -> None:
            if failures:
                raise failures.pop()
            await real_send(queue, messages)

        monkeypatch.setattr(bus, "send", send_failing_once)
        key = {"Idempotency-Key": "k-2"}
        with contextlib.suppress(type(fault)):  # the test client re-raises the app's crash
            failed = await send(harness, "POST", "/cosmos/notes", b'{"v":1}', **key)
            assert failed.status_code == 500
        assert not failures
        retried = await send(harness, "POST", "/cosmos/notes", b'{"v":1}', **key)
        assert retried.status_code == 202, retried.text


def test_every_route_that_reads_a_json_body_reads_it_with_the_codec(tmp_path: Path) -> None:
    from fastapi import params
    from fastapi.routing import APIRoute

    from ingress.app import create_app
    from ingress.json_body import JsonRoute

    def flattened(routes: list[Any]) -> list[Any]:
        found: list[Any] = []
        for route in routes:
            included = getattr(route, "original_router", None)
            found += flattened(included.routes) if included is not None else [route]
        return found

    app = create_app(settings_for(tmp_path))
    json_routes = [
        route
        for route in flattened(app.routes)
        if isinstance(route, APIRoute)
        and route.body_field is not None
        and not isinstance(route.body_field.field_info, params.Form)
    ]
    assert len(json_routes) >= 8
    assert [r.path for r in json_routes if not isinstance(r, JsonRoute)] == []
