"""Which resources of infra/ carry which `azd-service-name` tag, following tags through modules.

azd finds the resource of each service of azure.yaml by this tag across the resource group, so
the question is answered for the whole deployment: main.bicep's tags, passed into each module's
`tags` parameter, and what each resource puts on top with `union(tags, {...})`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from tests.infra.bicep_tree import config, function, tree

SERVICE_TAG = "azd-service-name"


@dataclass(frozen=True)
class Tagged:
    """A resource of some Bicep file and the service names its tags carry."""

    file: str
    resource: str
    type: str
    kind: str
    services: frozenset[str]


def _strip(key: str) -> str:
    return key.strip("'")


def _service_names(
    expression: Any, file_tree: dict[str, Any], env: dict[str, set[str]]
) -> set[str]:
    """The service names an expression for tags yields, in a file whose parameters are `env`."""
    if isinstance(expression, str):
        if expression in env:
            return env[expression]
        variable = file_tree.get("variables", {}).get(expression)
        if variable is not None:
            return _service_names(variable["value"], file_tree, env)
        return set()
    union = function(expression, "union")
    if union is not None:
        found: set[str] = set()
        for argument in union.values():
            found |= _service_names(argument, file_tree, env)
        return found
    if (
        isinstance(expression, dict)
        and "function" not in expression
        and "operator" not in expression
    ):
        return {str(value) for key, value in expression.items() if _strip(key) == SERVICE_TAG}
    return set()


def tagged_resources(
    relative: str = "main.bicep", env: dict[str, set[str]] | None = None
) -> list[Tagged]:
    """Every resource the deployment makes from `relative` down, with its service tags."""
    env = env or {}
    file_tree = tree(relative)
    found: list[Tagged] = []
    for name, resource in file_tree.get("resources", {}).items():
        if resource.get("existing"):
            continue
        body = config(resource)
        services = _service_names(body.get("tags"), file_tree, env)
        found.append(
            Tagged(relative, name, resource["type"], str(body.get("kind", "")), frozenset(services))
        )
    folder = relative.rsplit("/", 1)[0] + "/" if "/" in relative else ""
    for module in file_tree.get("modules", {}).values():
        path = folder + module["detail"]["path"]
        params = config(module).get("params", {})
        module_env = {
            param: _service_names(argument, file_tree, env) for param, argument in params.items()
        }
        found.extend(tagged_resources(path, module_env))
    return found
