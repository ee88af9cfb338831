"""The seed specification's section 8.1, in the asynchronous form of API.md."""

from __future__ import annotations

import uuid

from tests.integration.conftest import Api

TENANTS = ("contoso", "fabrikam", "northwind")


def test_an_item_of_one_tenant_is_not_found_by_another(api: Api) -> None:
    item = api.create(
        "contoso", "/cosmos/threads", {"name": "Contoso Thread", "description": "Test thread"}
    )
    assert item["metadata"] == {"tenantId": "contoso"}
    seen = api.as_("fabrikam", "GET", f"/cosmos/threads/{item['id']}")
    assert seen.status_code == 404
    assert "contoso" not in seen.text
    assert api.as_("contoso", "GET", f"/cosmos/threads/{item['id']}").status_code == 200


def test_an_agent_of_one_tenant_is_not_found_by_another(api: Api) -> None:
    agent = api.create(
        "contoso",
        "/agents/",
        {
            "name": "Contoso Assistant",
            "instructions": "You are a helpful assistant for Contoso.",
            "model": "gpt-4",
        },
    )
    assert api.as_("fabrikam", "GET", f"/agents/{agent['id']}").status_code == 404
    assert api.as_("contoso", "GET", f"/agents/{agent['id']}").json()["name"] == "Contoso Assistant"


def test_each_tenant_lists_only_its_own_agents(api: Api) -> None:
    created = {
        t: api.create(
            t,
            "/agents/",
            {"name": f"{t} Agent", "model": "gpt-4", "instructions": f"You are {t}'s assistant."},
        )["id"]
        for t in TENANTS
    }
    for tenant in TENANTS:
        agents = api.as_(tenant, "GET", "/agents/", params={"limit": 100}).json()
        assert agents, tenant
        assert all(a["metadata"]["tenantId"] == tenant for a in agents)
        ids = {a["id"] for a in agents}
        assert created[tenant] in ids
        assert not ids & {v for t, v in created.items() if t != tenant}


def test_no_token_is_a_401_with_a_bearer_challenge(api: Api) -> None:
    response = api.http.get("/agents/")
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert response.headers["content-type"] == "application/problem+json"


def test_an_invalid_token_is_a_401(api: Api) -> None:
    response = api.http.get("/agents/", headers={"Authorization": "Bearer invalid-token"})
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_a_token_for_a_tenant_not_in_the_registry_is_a_401(api: Api) -> None:
    response = api.http.get("/agents/", headers=api.auth("invalid-tenant"))
    assert response.status_code == 401


def test_a_tenant_id_in_the_body_or_query_is_refused(api: Api) -> None:
    body = api.as_("contoso", "POST", "/cosmos/notes", json={"tenantId": "fabrikam", "x": 1})
    assert body.status_code == 400
    assert body.json()["code"] == "TenantOverride"
    meta = api.as_(
        "contoso",
        "POST",
        "/agents/",
        json={"name": "a", "model": "m", "metadata": {"tenantId": "fabrikam"}},
    )
    assert meta.status_code == 400
    query = api.as_("contoso", "GET", "/agents/", params={"tenantId": "fabrikam"})
    assert query.status_code == 400


def test_a_message_to_another_tenants_thread_fails_not_found_and_changes_nothing(api: Api) -> None:
    thread = api.create("contoso", "/agents/threads", {})
    api.create("contoso", f"/agents/threads/{thread['id']}/messages", {"content": "mine"})
    sneaky = api.as_(
        "fabrikam",
        "POST",
        f"/agents/threads/{thread['id']}/messages",
        wait=30,
        json={"content": "let me in"},
    )
    assert sneaky.status_code == 404
    assert sneaky.json()["code"] == "NotFound"
    messages = api.as_("contoso", "GET", f"/agents/threads/{thread['id']}/messages").json()
    assert [m["content"][0]["text"]["value"] for m in messages] == ["mine"]


def test_a_run_of_another_tenants_agent_fails_not_found(api: Api) -> None:
    agent = api.create("contoso", "/agents/", {"name": "c", "model": "m"})
    thread = api.create("fabrikam", "/agents/threads", {})
    run = api.as_(
        "fabrikam",
        "POST",
        f"/agents/threads/{thread['id']}/runs",
        wait=30,
        json={"agent_id": agent["id"]},
    )
    assert run.status_code == 404
    runs = api.as_("fabrikam", "GET", f"/agents/threads/{thread['id']}/runs").json()
    assert runs == []


def test_another_tenants_job_is_not_found(api: Api) -> None:
    accepted = api.as_("contoso", "POST", "/cosmos/notes", json={"text": "secret"})
    assert accepted.status_code == 202
    job_id = accepted.json()["id"]
    assert api.as_("fabrikam", "GET", f"/jobs/{job_id}").status_code == 404
    assert api.as_("contoso", "GET", f"/jobs/{job_id}").status_code == 200


def test_two_tenants_may_use_the_same_item_id_and_keep_their_own(api: Api) -> None:
    item_id = f"shared-{uuid.uuid4().hex[:8]}"
    api.create("contoso", "/cosmos/notes", {"id": item_id, "owner": "contoso"})
    api.create("fabrikam", "/cosmos/notes", {"id": item_id, "owner": "fabrikam"})
    for tenant in ("contoso", "fabrikam"):
        item = api.as_(tenant, "GET", f"/cosmos/notes/{item_id}").json()
        assert item["owner"] == tenant
        assert item["metadata"]["tenantId"] == tenant
