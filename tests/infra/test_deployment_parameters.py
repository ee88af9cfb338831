"""What azd and ARM make of the deployment's parameters: substitution, required settings.

Each test feeds infra/main.parameters.json through azd's substitution (tests/infra/
azd_parameters.py) with an environment a user could have, then checks what ARM would receive or
refuse; the templates themselves are read with the parser checkov uses.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from shared.tenancy import TenantRegistry
from tests.infra.azd_parameters import app_setting, azd_parameters, envsubst, refusals
from tests.infra.bicep_eval import Scope
from tests.infra.bicep_tree import config, tree

IDENTITIES = "/subscriptions/s/resourceGroups/r/providers/Microsoft.ManagedIdentity/"
BASE_ENV = {
    "AZURE_ENV_NAME": "prod",
    "AZURE_LOCATION": "swedencentral",
    "AZURE_PRINCIPAL_ID": "00000000-0000-0000-0000-000000000001",
    "FOUNDRY_PROJECT_ENDPOINT": "https://res.services.ai.azure.com/api/projects/p",
}

REGISTRIES = {
    "quotes": [
        {"id": "acme", "display_name": 'Acme "Rockets" Ltd.'},
        {"id": "oreilly", "display_name": "O'Reilly \\ Sons"},
    ],
    "non-ascii": [
        {"id": "zurich", "display_name": "Zürich Versicherung, Ünïcödé"},
        {"id": "tokyo", "display_name": "東京海上 🚀"},
    ],
}


def test_envsubst_reads_defaults_and_values_as_azd_does() -> None:
    assert envsubst("${A=x}-${B=y}-${C}", {"A": "1"}) == "1-y-"


@pytest.mark.parametrize("case", sorted(REGISTRIES))
def test_tenants_json_with_quotes_or_non_ascii_reaches_the_apps_unchanged(case: str) -> None:
    registry = REGISTRIES[case]
    env = BASE_ENV | {"TENANTS_JSON": json.dumps(registry, ensure_ascii=False)}
    values = azd_parameters(env)  # raises where azd's substitution would break the file
    assert values["tenants"] == registry
    setting = app_setting(values, "TENANTS")
    loaded = TenantRegistry.from_json(setting)
    assert [(t.id, t.display_name) for t in loaded] == [
        (t["id"], t["display_name"]) for t in registry
    ]


def test_an_unset_tenants_json_is_an_empty_registry() -> None:
    assert azd_parameters(BASE_ENV)["tenants"] == []
    assert json.loads(app_setting(azd_parameters(BASE_ENV), "TENANTS")) == []


def test_the_foundry_engine_without_an_endpoint_is_refused_at_validation() -> None:
    env = {k: v for k, v in BASE_ENV.items() if k != "FOUNDRY_PROJECT_ENDPOINT"}
    refused = refusals(azd_parameters(env))
    assert refused == [
        "module foundryEndpointRequired: foundryProjectEndpoint: length 0 < minLength 1"
    ]
    assert refusals(azd_parameters(BASE_ENV)) == []


def test_the_local_engine_needs_no_endpoint() -> None:
    env = {k: v for k, v in BASE_ENV.items() if k != "FOUNDRY_PROJECT_ENDPOINT"}
    values = azd_parameters(env | {"ENGINE_ADAPTER": "local"})
    assert refusals(values) == []
    assert app_setting(values, "ENGINE_ADAPTER") == "local"


def test_the_refusal_tells_the_user_what_to_set() -> None:
    declaration = tree("modules/required.bicep")["parameters"]["foundryProjectEndpoint"]
    (description,) = [
        d["argument"] for d in declaration["decorators"] if d["type"] == "description"
    ]
    assert "azd env set FOUNDRY_PROJECT_ENDPOINT" in description
    name = config(tree("main.bicep")["modules"]["foundryEndpointRequired"])["name"]
    assert name.startswith("FOUNDRY_PROJECT_ENDPOINT-required")
    assert len(name.replace("${token}", "x" * 13)) <= 64  # ARM's limit on deployment names


@pytest.mark.parametrize(
    ("extra", "refused"),
    [
        ({"DEPLOY_APIM": "true"}, ["module apim: openIdConfigUrl: length 0 < minLength 1"]),
        (
            {
                "DEPLOY_APIM": "true",
                "JWT_OPENID_CONFIG_URL": "https://idp/.well-known/openid-configuration",
            },
            [],
        ),
        ({"DEPLOY_APIM": "false"}, []),
    ],
)
def test_apim_without_an_openid_configuration_is_refused_at_validation(
    extra: dict[str, str], refused: list[str]
) -> None:
    assert refusals(azd_parameters(BASE_ENV | extra)) == refused


def _identities(module: str, values: dict[str, Any]) -> set[str]:
    """The identity resource ids a module's app gets for these module parameter values."""
    module_tree = tree(module)
    app = config(module_tree["resources"]["app"])
    assigned = Scope(module_tree, values).evaluate(app["identity"]["userAssignedIdentities"])
    return set(assigned)


@pytest.mark.parametrize("module", ["modules/functions.bicep", "modules/ingress.bicep"])
def test_tenant_identities_are_attached_to_both_apps_beside_their_own(module: str) -> None:
    ids = [
        IDENTITIES + "userAssignedIdentities/fabrikam",
        IDENTITIES + "userAssignedIdentities/northwind",
    ]
    own = IDENTITIES + "userAssignedIdentities/app"
    assert _identities(module, {"identityId": own, "tenantIdentityIds": ids}) == {own, *ids}
    assert _identities(module, {"identityId": own, "tenantIdentityIds": []}) == {own}


@pytest.mark.parametrize("module", ["workers", "ingress"])
def test_the_tenant_identity_ids_flow_from_the_azd_environment_to_both_apps(module: str) -> None:
    ids = [IDENTITIES + "userAssignedIdentities/f"]
    values = azd_parameters(BASE_ENV | {"TENANT_IDENTITY_IDS": json.dumps(ids)})
    assert values["tenantIdentityIds"] == ids
    passed = config(tree("main.bicep")["modules"][module])["params"]["tenantIdentityIds"]
    assert Scope(tree("main.bicep"), values).evaluate(passed) == ids
