"""azd can find each service of azure.yaml: one resource per `azd-service-name`, of the right kind.

azd resolves a service by its tag across the resource group and stops with "expecting only '1'
resource" when two carry it (the workers' tag once sat on the plan and storage too).
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

import yaml

from tests.infra.azd_tags import Tagged, tagged_resources

ROOT = Path(__file__).resolve().parents[2]

# The resource type azd deploys each host to.
HOSTS = {
    "containerapp": ("Microsoft.App/containerApps", ""),
    "function": ("Microsoft.Web/sites", "functionapp"),
}


def _services() -> dict[str, Any]:
    services: dict[str, Any] = yaml.safe_load((ROOT / "azure.yaml").read_text())["services"]
    return services


def _carriers() -> dict[str, list[Tagged]]:
    carriers: dict[str, list[Tagged]] = {}
    for resource in tagged_resources():
        for service in resource.services:
            carriers.setdefault(service, []).append(resource)
    return carriers


def test_the_tags_are_followed_through_modules() -> None:
    """The reader sees the tags of main.bicep on resources of every module (not vacuous)."""
    resources = tagged_resources()
    assert len(resources) >= 30
    assert {r.file for r in resources} >= {"modules/functions.bicep", "modules/ingress.bicep"}


def test_every_service_tag_sits_on_exactly_one_resource() -> None:
    counts = Counter({service: len(found) for service, found in _carriers().items()})
    repeated = {
        service: [f"{r.file}:{r.resource}" for r in _carriers()[service]]
        for service, count in counts.items()
        if count != 1
    }
    assert repeated == {}


def test_the_tags_name_the_services_of_azure_yaml_and_each_has_one() -> None:
    assert set(_carriers()) == set(_services())


def test_each_tagged_resource_is_what_the_services_host_deploys_to() -> None:
    for service, options in _services().items():
        (resource,) = _carriers()[service]
        resource_type, kind = HOSTS[options["host"]]
        assert resource.type == resource_type, service
        assert kind in resource.kind, service
