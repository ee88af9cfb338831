"""What azd makes of infra/main.parameters.json, and what ARM then refuses, without a subscription.

azd substitutes `${NAME}` and `${NAME=default}` from the environment. For a parameter whose
Bicep type is array or object and whose value in the file is a string, it substitutes in that
string alone and parses the result as JSON (azd 1.23.4, Azure/azure-dev#6694); for any other
parameter it substitutes in the parameter's JSON text, so a quote in a value breaks the file.
`refusals` then applies the parameter constraints ARM checks when it validates the template:
main.bicep's own, and those of every module its conditions deploy.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from tests.infra.bicep_eval import UNKNOWN, Scope, constraint_failures
from tests.infra.bicep_tree import INFRA, condition, config, tree

PARAMETERS_FILE = INFRA / "main.parameters.json"


def envsubst(text: str, env: dict[str, str]) -> str:
    """azd substitution: `${NAME}` (empty when unset), `${NAME=default}` (default when unset)."""

    def value(match: re.Match[str]) -> str:
        name, default = match.group(1), match.group(3)
        if name in env:
            return env[name]
        return default if default is not None else ""

    return re.sub(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(=([^}]*))?\}", value, text)


def azd_parameters(env: dict[str, str], path: Path = PARAMETERS_FILE) -> dict[str, Any]:
    """The parameter values azd sends to ARM for `env` (raises ValueError where azd would fail)."""
    declared = tree("main.bicep")["parameters"]
    values: dict[str, Any] = {}
    for name, entry in json.loads(path.read_text(encoding="utf-8"))["parameters"].items():
        raw = entry["value"]
        bicep_type = declared[name]["type"]
        if bicep_type in ("array", "object") and isinstance(raw, str):
            values[name] = json.loads(envsubst(raw, env))
        else:
            values[name] = json.loads(envsubst(json.dumps(raw, ensure_ascii=False), env))
        if bicep_type == "bool" and isinstance(values[name], str):
            values[name] = values[name].lower() == "true"  # ARM reads "true"/"false" for bool
    return values


def refusals(values: dict[str, Any]) -> list[str]:
    """The parameter constraints ARM's validation finds broken for these top-level values."""
    main = tree("main.bicep")
    scope = Scope(main, values)
    found = [
        f"main.bicep: {name}: {failure}"
        for name, declaration in main["parameters"].items()
        if scope.name(name) is not UNKNOWN
        for failure in constraint_failures(declaration, scope.name(name))
    ]
    for module_name, module in main.get("modules", {}).items():
        if condition(module) is not None and scope.evaluate(condition(module)) is not True:
            continue
        declarations = tree(module["detail"]["path"])["parameters"]
        for param, argument in config(module).get("params", {}).items():
            value = scope.evaluate(argument)
            if value is UNKNOWN:
                continue
            found += [
                f"module {module_name}: {param}: {failure}"
                for failure in constraint_failures(declarations[param], value)
            ]
    return found


def app_setting(values: dict[str, Any], name: str) -> Any:
    """The value main.bicep's `serviceSettings` gives `name` for these parameter values."""
    main = tree("main.bicep")
    settings = main["variables"]["serviceSettings"]["value"]
    return Scope(main, values).evaluate(settings[name])
