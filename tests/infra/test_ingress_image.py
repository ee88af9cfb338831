"""The ingress app keeps its deployed image across provisions, and ports and probes agree.

`azd provision` (onboarding runs one) must not put a placeholder image back over the one
`azd deploy` built; the placeholder of the very first provision must not be probed on a port it
does not listen on; and the image, the ingress and the probes all name uvicorn's port.
"""

from __future__ import annotations

import re

from tests.infra.azd_parameters import azd_parameters
from tests.infra.bicep_eval import Scope
from tests.infra.bicep_tree import INFRA, config, tree
from tests.infra.packaging import packages, uploaded
from tests.infra.test_deployment_parameters import BASE_ENV

DOCKERFILE = (INFRA / "ingress.Dockerfile").read_text()
MODULE = "modules/ingress.bicep"
DEPLOYED_IMAGE = "crtenantry.azurecr.io/tenantry/ingress-prod:azd-deploy-1733000000"


def _container(values: dict[str, object]) -> dict[str, object]:
    """The ingress container as the module makes it for these parameter values."""
    module = tree(MODULE)
    app = config(module["resources"]["app"])
    (container,) = app["properties"]["template"]["containers"]
    evaluated: dict[str, object] = Scope(module, values).evaluate(container)
    return evaluated


def _uvicorn_port() -> int:
    command = re.search(r"^CMD \[(.*?)\]\s*$", DOCKERFILE, re.MULTILINE | re.DOTALL)
    assert command, "the Dockerfile has no CMD"
    words = re.findall(r'"([^"]*)"', command.group(1))
    assert words[:3] == ["python", "-m", "ingress"]
    return int(words[words.index("--port") + 1])


def test_uvicorn_the_ingress_and_the_probes_use_one_port() -> None:
    port = _uvicorn_port()
    module = tree(MODULE)
    scope = Scope(module, {"exists": True})
    app = config(module["resources"]["app"])
    assert scope.evaluate(app["properties"]["configuration"]["ingress"]["targetPort"]) == port
    assert f"EXPOSE {port}" in DOCKERFILE
    assert f"127.0.0.1:{port}/health" in DOCKERFILE
    probes = scope.evaluate(module["variables"]["probes"]["value"])
    assert {p["type"] for p in probes} == {"Liveness", "Readiness"}
    assert {p["httpGet"]["port"] for p in probes} == {port}


def test_a_provision_after_a_deploy_keeps_the_deployed_image_and_probes_it() -> None:
    module = tree(MODULE)
    deployed = module["resources"]["deployed"]
    assert deployed["existing"] is True
    assert config(deployed)["name"] == config(module["resources"]["app"])["name"] == "appName"
    # What ARM reads from the existing app stands in for the runtime property.
    image_expression = module["variables"]["image"]["value"]["operator"]["operands"]
    assert image_expression["condition"] == "exists"
    accessor = str(image_expression["true_value"])
    assert "deployed" in accessor and "image" in accessor and "containers" in accessor
    container = _container({"exists": True, "image": DEPLOYED_IMAGE})
    assert container["image"] == DEPLOYED_IMAGE
    assert len(container["probes"]) == 2  # type: ignore[arg-type]


def test_the_first_provision_runs_the_placeholder_without_probes() -> None:
    container = _container({"exists": False})
    placeholder = tree(MODULE)["variables"]["placeholder"]["value"]
    assert container["image"] == placeholder
    assert container["probes"] == []


def test_azd_tells_the_template_whether_the_app_exists() -> None:
    assert azd_parameters(BASE_ENV)["ingressExists"] is False
    assert azd_parameters(BASE_ENV | {"SERVICE_INGRESS_RESOURCE_EXISTS": "true"})["ingressExists"]
    passed = config(tree("main.bicep")["modules"]["ingress"])["params"]["exists"]
    assert passed == "ingressExists"


def test_no_container_image_in_infra_is_a_fixed_tag_but_the_placeholder() -> None:
    images = set(
        re.findall(r"image: *'([^']+)'", "".join(p.read_text() for p in INFRA.rglob("*.bicep")))
    )
    assert images == set()  # the placeholder is a variable, used only before the first deploy


def test_the_build_context_holds_every_package_and_no_tests() -> None:
    context = uploaded(".dockerignore")
    for package in packages():
        assert any(path.startswith(f"{package}/") for path in context), package
    assert {"pyproject.toml", "README.md", "infra/ingress.Dockerfile"} <= set(context)
    for folder in ("tests/", "bench/", ".emulators/", ".tools/", ".venv/"):
        assert not any(path.startswith(folder) for path in context), folder
    assert "COPY . ." in DOCKERFILE
