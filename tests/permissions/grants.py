"""The roles infra/ grants each identity, read from the Bicep role assignments.

Every `roleAssignments` and Cosmos DB `sqlRoleAssignments` resource of every module main.bicep
deploys is read; its principal is traced back to main.bicep's arguments (the ingress's or the
workers' identity, or the operator, `principalId`), loops and the arrays they run over are
evaluated (tests/infra/bicep_eval.py), and its role id is looked up in tests/permissions/roles.py.
A Service Bus assignment scoped to `queues[i]` covers every queue, `queues[0]` the first only.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from tests.infra.bicep_eval import UNKNOWN, Scope
from tests.infra.bicep_tree import config, tree

ASSIGNMENTS = {
    "Microsoft.Authorization/roleAssignments",
    "Microsoft.DocumentDB/databaseAccounts/sqlRoleAssignments",
}
# The service whose data each module's assignments are about.
SERVICES = {
    "modules/servicebus.bicep": "servicebus",
    "modules/cosmos.bicep": "cosmos",
    "modules/storage.bicep": "blob",
    "modules/search.bicep": "search",
    "modules/keyvault.bicep": "keyvault",
    "modules/foundry-access.bicep": "foundry",
    "modules/functions.bicep": "host-storage",
    "modules/ingress.bicep": "registry",
    "modules/monitoring.bicep": "monitoring",
}
GUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", re.I)
ALL = "*"


@dataclass(frozen=True)
class Grant:
    """One role assignment: who, which role, on which service, on which entity (`*`: all)."""

    identity: str
    role_id: str
    service: str
    entity: str
    file: str
    resource: str


def _identity_of(argument: Any) -> Any:
    """A main.bicep argument as identity markers (`@ingress`, `@workers`, `@operator`)."""
    if isinstance(argument, list):
        return [_identity_of(item) for item in argument]
    text = json.dumps(argument)
    for name, marker in (
        ("ingressPrincipalId", "@ingress"),
        ("workerPrincipalId", "@workers"),
        ("consolePrincipalId", "@console"),
    ):
        if name in text:
            return marker
    return "@operator" if argument == "principalId" else UNKNOWN


def _role_id(scope: Scope, expression: Any) -> str:
    """The role definition id an assignment names (a GUID), however it is spelled."""
    call = expression.get("function", {}) if isinstance(expression, dict) else {}
    if call.get("type") == "subscription_resource_id":
        expression = call["parameters"]["resource_name_1"]
    value = scope.evaluate(expression)
    if isinstance(value, str) and GUID.search(value):
        return GUID.findall(value)[-1].lower()
    raw = (
        scope.tree.get("variables", {}).get(expression, {}).get("value")
        if isinstance(expression, str)
        else None
    )
    found = GUID.findall(json.dumps(raw if raw is not None else expression))
    assert found, f"no role id in {expression}"
    return found[-1].lower()


def _entity(scope: Scope, expression: Any) -> str:
    """The queue an assignment is scoped to (`queues[i]`, `queues[0]`), else `*` (the service)."""
    operator = expression.get("operator", {}) if isinstance(expression, dict) else {}
    if operator.get("type") == "index_accessor":
        position = scope.evaluate(operator["operands"]["operand_2"])
        if isinstance(position, int):
            return str(scope.name("queueNames")[position])
    return ALL


def _module_grants(path: str, values: dict[str, Any]) -> list[Grant]:
    module = tree(path)
    grants: list[Grant] = []
    for name, resource in module.get("resources", {}).items():
        if resource["type"] not in ASSIGNMENTS or resource.get("existing"):
            continue
        wrapper = resource["config"]
        loop = wrapper.get("loop_type") if isinstance(wrapper, dict) else None
        body = config(resource)
        properties = body["properties"]
        base = Scope(module, values, lenient=True)
        items: list[dict[str, Any]] = [{}]
        if loop is not None:
            array = base.name(loop["detail"]["array_name"])
            item_name = loop["detail"].get("item_name")
            index_name = loop["detail"].get("index_name")
            items = [
                {item_name: element} | ({index_name: position} if index_name else {})
                for position, element in enumerate(array)
            ]
        for bound in items:
            scope = Scope(module, values | bound, lenient=True)
            principal = scope.evaluate(properties["principalId"])
            if not isinstance(principal, str) or not principal.startswith("@"):
                continue
            grants.append(
                Grant(
                    identity=principal[1:],
                    role_id=_role_id(scope, properties["roleDefinitionId"]),
                    service=SERVICES[path],
                    entity=_entity(scope, body.get("scope")),
                    file=path,
                    resource=name,
                )
            )
    return grants


def granted() -> list[Grant]:
    """Every role assignment of the deployment, per identity."""
    main = tree("main.bicep")
    grants: list[Grant] = []
    for module in main.get("modules", {}).values():
        path = module["detail"]["path"]
        if path not in SERVICES:
            continue
        params = config(module).get("params", {})
        values = {param: _identity_of(argument) for param, argument in params.items()}
        values = {k: v for k, v in values.items() if v is not UNKNOWN}
        values.setdefault("operatorPrincipalType", "User")
        grants += _module_grants(path, values)
    return grants
