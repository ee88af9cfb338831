"""The operator routes (`/admin`) with tenant tokens: 403, whatever the tenant and however the
roles claim is dressed up; only the exact `tenantry.admin` role gets in."""

from __future__ import annotations

import pytest

from tests.adversarial.conftest import TENANT_A, TENANT_B, Rs256Deployment
from tests.integration.conftest import Api

ROUTES = [
    ("GET", "/admin/deadletters", None),
    ("GET", "/admin/deadletters?tenant=contoso&queue=commands", None),
    ("POST", "/admin/deadletters/replay", {"tenant": TENANT_A}),
    ("POST", "/admin/deadletters/replay", {"dryRun": True}),
    ("DELETE", "/admin/deadletters/commands:1", None),
    ("GET", "/admin/audit", None),
]

NOT_ADMIN_ROLES = [
    ("user",),
    (),
    ("Tenantry.Admin",),
    ("tenantry.admin ",),
    ("tenantry.admins",),
    ("admin", "operator", "tenantry"),
]


@pytest.mark.parametrize("roles", NOT_ADMIN_ROLES)
@pytest.mark.parametrize(("method", "path", "body"), ROUTES)
def test_an_operator_route_refuses_a_tenant_token_with_403(
    method: str,
    path: str,
    body: object,
    roles: tuple[str, ...],
    api: Api,
    rs256: Rs256Deployment,
) -> None:
    for tenant in (TENANT_A, TENANT_B):
        headers = {"Authorization": f"Bearer {rs256.token(tenant, roles=roles)}"}
        response = api.http.request(method, path, headers=headers, json=body)
        assert response.status_code == 403, response.text
        assert response.json()["code"] == "Forbidden"
        assert "deadLetter" not in response.text and "messageId" not in response.text


@pytest.mark.parametrize(("method", "path", "body"), ROUTES)
def test_an_operator_route_without_a_token_is_a_401(
    method: str, path: str, body: object, api: Api
) -> None:
    response = api.http.request(method, path, json=body)
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_the_operator_role_opens_the_operator_routes(api: Api, rs256: Rs256Deployment) -> None:
    headers = {"Authorization": f"Bearer {rs256.token(TENANT_A, roles=('tenantry.admin',))}"}
    assert api.http.get("/admin/deadletters", headers=headers).status_code == 200
    dry = api.http.post("/admin/deadletters/replay", headers=headers, json={"dryRun": True})
    assert dry.status_code == 200 and dry.json()["dryRun"] is True
