"""Refused cross-tenant attempts are logged with both tenant ids and no tenant data, and the
structured logs carry the tenant, request, job and trace ids of their context."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from opentelemetry.sdk.trace import TracerProvider

from shared import logs
from shared.bootstrap import bootstrap
from shared.contracts.envelope import Envelope
from shared.telemetry import Telemetry
from tests.delivery import Delivery
from tests.harness import running, settings_for
from workers.pipeline import Pipeline

SECRET_CONTENT = "the-contoso-merger-plan"


class JsonLines:
    """A root handler like the service's: context filter and JSON formatter, into a buffer."""

    def __init__(self) -> None:
        self.buffer = io.StringIO()
        self.handler = logs.with_context(logging.StreamHandler(self.buffer))
        self.handler.setFormatter(logs.JsonFormatter())

    def lines(self) -> list[dict[str, Any]]:
        return [json.loads(line) for line in self.buffer.getvalue().splitlines()]

    def violations(self) -> list[dict[str, Any]]:
        return [e for e in self.lines() if e.get("event") == "tenant.boundary_violation"]


@pytest.fixture
def captured() -> Iterator[JsonLines]:
    sink = JsonLines()
    root = logging.getLogger()
    previous = root.level
    root.addHandler(sink.handler)
    root.setLevel(logging.INFO)
    yield sink
    root.removeHandler(sink.handler)
    root.setLevel(previous)


async def test_a_token_for_an_unregistered_tenant_is_logged_as_a_boundary_violation(
    tmp_path: Path, captured: JsonLines
) -> None:
    async with running(settings_for(tmp_path), workers=False) as harness:
        response = await harness.client.get("/agents/", headers=harness.auth("mallory"))
    assert response.status_code == 401
    (entry,) = captured.violations()
    assert entry["violation"] == "UnknownTenantToken"
    assert entry["target_tenant_id"] == "mallory" and entry["tenant_id"] == ""
    assert entry["request_id"] == response.headers["X-Request-ID"]


async def test_a_tenant_named_in_the_query_is_logged_with_both_tenant_ids(
    tmp_path: Path, captured: JsonLines
) -> None:
    async with running(settings_for(tmp_path), workers=False) as harness:
        response = await harness.client.get(
            "/agents/?tenantId=fabrikam", headers=harness.auth("contoso")
        )
    assert response.status_code == 400
    (entry,) = captured.violations()
    assert entry["violation"] == "TenantOverride"
    assert (entry["tenant_id"], entry["target_tenant_id"]) == ("contoso", "fabrikam")


async def test_a_tenant_named_in_a_body_is_logged_without_the_body(
    tmp_path: Path, captured: JsonLines
) -> None:
    async with running(settings_for(tmp_path), workers=False) as harness:
        response = await harness.client.post(
            "/agents/",
            headers=harness.auth("contoso"),
            json={
                "name": "a",
                "instructions": SECRET_CONTENT,
                "metadata": {"tenantId": "fabrikam", "note": SECRET_CONTENT},
            },
        )
    assert response.status_code == 400
    (entry,) = captured.violations()
    assert (entry["tenant_id"], entry["target_tenant_id"]) == ("contoso", "fabrikam")
    assert SECRET_CONTENT not in captured.buffer.getvalue()


async def test_an_attempted_tenant_id_is_cut_and_cleaned_before_it_is_logged(
    tmp_path: Path, captured: JsonLines
) -> None:
    async with running(settings_for(tmp_path), workers=False) as harness:
        response = await harness.client.get(
            "/agents/", params={"TENANTID": "x\n" + "y" * 200}, headers=harness.auth("contoso")
        )
    assert response.status_code == 400
    (entry,) = captured.violations()
    assert entry["target_tenant_id"] == "x?" + "y" * 62


async def test_a_message_in_another_tenants_session_is_logged_with_both_tenant_ids(
    tmp_path: Path, captured: JsonLines
) -> None:
    services = bootstrap(settings_for(tmp_path))
    try:
        envelope = Envelope(
            type="item.create",
            tenant_id="contoso",
            subject="u",
            data={"container": "notes", "item": {"text": SECRET_CONTENT}},
        )
        settlement = await Pipeline(services).process(Delivery(envelope.to_bytes(), "fabrikam"))
        unknown = Envelope(type="item.create", tenant_id="mallory", subject="u", data={})
        await Pipeline(services).process(Delivery(unknown.to_bytes(), "mallory"))
    finally:
        await services.close()
    assert settlement.reason == "TenantMismatch"
    mismatch, unregistered = captured.violations()
    assert mismatch["violation"] == "TenantMismatch"
    assert (mismatch["tenant_id"], mismatch["target_tenant_id"]) == ("fabrikam", "contoso")
    assert mismatch["message_id"] == envelope.command_id
    assert unregistered["violation"] == "UnknownTenantMessage"
    assert unregistered["target_tenant_id"] == "mallory"
    assert SECRET_CONTENT not in captured.buffer.getvalue()


async def test_worker_log_lines_carry_the_tenant_job_and_trace_ids(
    tmp_path: Path, captured: JsonLines
) -> None:
    async with running(settings_for(tmp_path)) as harness:
        harness.services.telemetry = Telemetry.of(TracerProvider())
        response = await harness.client.post(
            "/agents/", headers=harness.auth("contoso") | {"Prefer": "wait=20"}, json={"name": "a"}
        )
        assert response.status_code == 201
    (handled,) = [e for e in captured.lines() if e["message"] == "command handled"]
    assert handled["tenant_id"] == "contoso" and handled["command_type"] == "agent.create"
    assert handled["job_id"].startswith("job_")
    assert len(handled["trace_id"]) == 32 and len(handled["span_id"]) == 16


def test_log_context_is_bound_for_a_block_and_restored_after() -> None:
    assert logs.current() == {}
    with logs.bound(tenant_id="contoso", job_id="job_1", request_id=None):
        assert logs.current() == {"tenant_id": "contoso", "job_id": "job_1"}
        with logs.bound(job_id="job_2"):
            assert logs.current()["job_id"] == "job_2"
        assert logs.current()["job_id"] == "job_1"
    assert logs.current() == {}
