"""Fields the service owns (`tenantId`, a job's `status`, `metadata.tenantId`, bookkeeping) cannot
be set by a client, in a body, a form, a query or a header: refused, or ignored and overwritten."""

from __future__ import annotations

import uuid

import pytest

from tests.adversarial.conftest import TENANT_A, TENANT_B
from tests.integration.conftest import Api

TENANT_OVERRIDES = {
    "an item's tenantId": ("POST", "/cosmos/notes", {"tenantId": TENANT_B, "x": 1}),
    "an item's TenantID": ("POST", "/cosmos/notes", {"TenantID": TENANT_B}),
    "an item's tenant_id": ("POST", "/cosmos/notes", {"tenant_id": TENANT_B}),
    "an item's metadata.tenantId": ("POST", "/cosmos/notes", {"metadata": {"tenantId": TENANT_B}}),
    "an agent's metadata.tenantId": (
        "POST",
        "/agents/",
        {"name": "a", "metadata": {"TENANTID": TENANT_B}},
    ),
    "an agent's tenantId": ("POST", "/agents/", {"name": "a", "tenantId": TENANT_B}),
    "a thread's metadata.tenantId": ("POST", "/agents/threads", {"metadata": {"tenantId": "x"}}),
    "a message's metadata.tenant_id": (
        "POST",
        "/agents/threads/{thread}/messages",
        {"content": "hi", "metadata": {"tenant_id": TENANT_B}},
    ),
    "a search document's tenantId": (
        "POST",
        "/search/documents",
        [{"id": "d1", "content": "c", "tenantId": TENANT_B}],
    ),
    "a webhook's tenantId": (
        "POST",
        "/webhooks",
        {"url": "http://127.0.0.1:9/hook", "events": ["job.succeeded"], "tenantId": TENANT_B},
    ),
}

REFUSED_FIELDS = {
    "a job status on an agent": ("POST", "/agents/", {"name": "a", "status": "Succeeded"}),
    "an id on an agent": ("POST", "/agents/", {"name": "a", "id": "asst_mine"}),
    "a created_at on a thread": ("POST", "/agents/threads", {"created_at": 1}),
    "an assistant role on a message": (
        "POST",
        "/agents/threads/{thread}/messages",
        {"content": "x", "role": "assistant"},
    ),
    "an item's _etag": ("POST", "/cosmos/notes", {"_etag": '"x"'}),
    "an item's _cmd": ("POST", "/cosmos/notes", {"_cmd": "job_x"}),
    "a webhook's secret": (
        "POST",
        "/webhooks",
        {"url": "http://127.0.0.1:9/hook", "events": ["job.succeeded"], "secret": "whsec_x"},
    ),
}


@pytest.fixture(scope="module")
def thread(api: Api) -> str:
    return str(api.create(TENANT_A, "/agents/threads", {})["id"])


@pytest.mark.parametrize("what", TENANT_OVERRIDES)
def test_a_tenant_named_in_a_body_is_refused(what: str, api: Api, thread: str) -> None:
    method, path, body = TENANT_OVERRIDES[what]
    response = api.as_(TENANT_A, method, path.format(thread=thread), json=body)
    assert response.status_code == 400, response.text
    assert response.json()["code"] == "TenantOverride"


@pytest.mark.parametrize("what", REFUSED_FIELDS)
def test_a_field_the_service_sets_is_refused_in_a_body(what: str, api: Api, thread: str) -> None:
    method, path, body = REFUSED_FIELDS[what]
    response = api.as_(TENANT_A, method, path.format(thread=thread), json=body)
    assert response.status_code == 422, response.text
    assert response.json()["code"] == "Invalid"


@pytest.mark.parametrize("name", ["tenantId", "TENANTID", "tenantid"])
def test_a_tenant_named_in_the_query_is_refused(name: str, api: Api) -> None:
    response = api.as_(TENANT_A, "GET", "/cosmos/notes", params={name: TENANT_B})
    assert response.status_code == 400
    assert response.json()["code"] == "TenantOverride"


def test_an_items_own_status_and_metadata_never_become_the_services(api: Api) -> None:
    item_id = f"item-{uuid.uuid4().hex[:8]}"
    body = {"id": item_id, "status": "Failed", "metadata": {"owner": "me"}}
    accepted = api.as_(TENANT_A, "POST", "/cosmos/notes", json=body)
    assert accepted.status_code == 202
    created = api.as_(TENANT_A, "POST", "/cosmos/notes", wait=30, json={"n": 2})
    assert created.status_code == 201
    job = api.job(TENANT_A, accepted.json()["id"])
    assert job["status"] == "Succeeded"
    item = api.as_(TENANT_A, "GET", f"/cosmos/notes/{item_id}").json()
    assert item["status"] == "Failed"  # the item's own field, nothing more
    assert item["metadata"] == {"owner": "me", "tenantId": TENANT_A}


def test_a_patch_cannot_remove_or_replace_the_tenant_of_an_item(api: Api) -> None:
    item = api.create(TENANT_A, "/cosmos/notes", {"metadata": {"owner": "me"}})
    path = f"/cosmos/notes/{item['id']}"
    refused = api.as_(TENANT_A, "PATCH", path, json={"metadata": {"tenantId": TENANT_B}})
    assert refused.status_code == 400
    cleared = api.as_(TENANT_A, "PATCH", path, wait=30, json={"metadata": None})
    assert cleared.status_code == 200, cleared.text
    assert cleared.json()["metadata"] == {"tenantId": TENANT_A}
    renamed = api.as_(TENANT_A, "PATCH", path, wait=30, json={"id": "someone-elses"})
    assert renamed.status_code == 422
    assert api.as_(TENANT_A, "GET", path).json()["metadata"] == {"tenantId": TENANT_A}


def test_a_tenant_header_is_ignored_and_the_item_is_the_callers(api: Api) -> None:
    headers = {"X-Tenant-ID": TENANT_B, "X-Ms-Tenant-Id": TENANT_B, "Tenant": TENANT_B}
    created = api.as_(TENANT_A, "POST", "/cosmos/notes", wait=30, headers=headers, json={"h": 1})
    assert created.status_code == 201
    assert created.json()["metadata"]["tenantId"] == TENANT_A
    assert api.as_(TENANT_B, "GET", f"/cosmos/notes/{created.json()['id']}").status_code == 404


def test_a_tenant_field_in_an_upload_form_is_ignored(api: Api) -> None:
    response = api.as_(
        TENANT_A,
        "POST",
        "/files",
        wait=30,
        files={"file": ("n.txt", b"notes", "text/plain")},
        data={"purpose": "user_data", "tenantId": TENANT_B, "metadata": '{"tenantId": "x"}'},
    )
    assert response.status_code == 201, response.text
    assert response.json()["metadata"]["tenantId"] == TENANT_A
    assert api.as_(TENANT_B, "GET", f"/files/{response.json()['id']}").status_code == 404
