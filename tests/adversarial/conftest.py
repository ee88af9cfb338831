"""A live `tenantry up` configured as production is: RS256 tokens checked against a JWKS.

The JWKS comes from `IdentityProvider`, a real HTTP server in the test process; the deployment
refetches it for an unknown `kid` at most once per `COOLDOWN_SECONDS`. Webhook targets on the
loopback address are allowed so delivery logs can be exercised.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from cli.deployment import LocalDeployment
from tests.adversarial.identity import AUDIENCE, ISSUER, IdentityProvider
from tests.integration.conftest import Api

COOLDOWN_SECONDS = 3
TENANT_A = "contoso"
TENANT_B = "fabrikam"


class Rs256Deployment:
    """The live deployment and its identity provider; tokens are RS256 from the provider."""

    def __init__(self, live: LocalDeployment, idp: IdentityProvider) -> None:
        self.live = live
        self.idp = idp
        self.url = live.url
        self.data_dir = live.data_dir

    def token(self, tenant: str, *, roles: tuple[str, ...] = ("user",)) -> str:
        return self.idp.token(tenant, roles=list(roles))


@pytest.fixture(scope="session")
def idp() -> Iterator[IdentityProvider]:
    with IdentityProvider() as provider:
        yield provider


@pytest.fixture(scope="session")
def rs256(
    tmp_path_factory: pytest.TempPathFactory, idp: IdentityProvider
) -> Iterator[Rs256Deployment]:
    env = {
        "JWT_ALGORITHM": "RS256",
        "JWT_JWKS_URL": idp.jwks_url,
        "JWT_ISSUER": ISSUER,
        "JWT_AUDIENCE": AUDIENCE,
        "JWKS_REFETCH_COOLDOWN_SECONDS": str(COOLDOWN_SECONDS),
        "WEBHOOK_ALLOW_HOSTS": "127.0.0.1",
        "WEBHOOK_REQUIRE_HTTPS": "false",
        "WEBHOOK_RETRY_SCHEDULE_SECONDS": "[0, 0.2]",
    }
    data_dir = tmp_path_factory.mktemp("adversarial")
    with LocalDeployment(data_dir, workers=1, env=env) as live:
        yield Rs256Deployment(live, idp)


@pytest.fixture(scope="session")
def api(rs256: Rs256Deployment) -> Iterator[Api]:
    client = Api(rs256)  # type: ignore[arg-type]  # an RS256 deployment quacks the same
    yield client
    client.http.close()
