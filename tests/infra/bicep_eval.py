"""A small evaluator of Bicep expressions, for what the deployment tests ask of the templates.

It knows literals, parameters and variables, `==`, `!=`, `&&`, `||`, `!`, `?:`, `empty`,
`union`, `string`, `json` and `${name}` interpolation; anything else (a resource's runtime
property, a module's output) evaluates to `UNKNOWN`, which the tests treat as "cannot say here".
"""

from __future__ import annotations

import json
import re
from typing import Any

from tests.infra.bicep_tree import function

UNKNOWN = object()


class Scope:
    """The parameter values and variables of one Bicep file."""

    def __init__(
        self, file_tree: dict[str, Any], values: dict[str, Any], *, lenient: bool = False
    ) -> None:
        """`lenient`: an unknown part of an interpolated string reads `?` instead of UNKNOWN."""
        self.tree = file_tree
        self.values = dict(values)
        self.lenient = lenient
        for name, param in file_tree.get("parameters", {}).items():
            if name not in self.values and param.get("default") is not None:
                self.values[name] = self.evaluate(param["default"])

    def name(self, name: str) -> Any:
        if name in self.values:
            return self.values[name]
        variable = self.tree.get("variables", {}).get(name)
        if variable is not None:
            return self.evaluate(variable["value"])
        if name in self.tree.get("parameters", {}):
            return UNKNOWN  # a parameter without a value or default
        return name  # a string literal (pycep does not tell names and strings apart)

    def _interpolate(self, text: str) -> Any:
        parts: list[str] = []
        for literal, inner in _segments(text):
            parts.append(literal)
            if inner is None:
                continue
            join = re.fullmatch(r"join\((\w+),\s*'(.*)'\)", inner.strip(), re.S)
            value = (
                self._join(join.group(1), join.group(2))
                if join
                else self.name(inner.strip())
                if re.fullmatch(r"\w+", inner.strip())
                else UNKNOWN
            )
            if value is UNKNOWN and not self.lenient:
                return UNKNOWN
            parts.append("?" if value is UNKNOWN else str(value))
        return "".join(parts)

    def _join(self, name: str, separator: str) -> Any:
        items = self.name(name)
        return UNKNOWN if items is UNKNOWN else separator.join(str(item) for item in items)

    def evaluate(self, expression: Any) -> Any:
        """The value of `expression`, or UNKNOWN."""
        if isinstance(expression, str):
            if re.fullmatch(r"[A-Za-z_]\w*", expression):
                return self.name(expression)
            return self._interpolate(expression)
        if isinstance(expression, list):
            return [self.evaluate(item) for item in expression]
        if not isinstance(expression, dict):
            return expression
        if "operator" in expression:
            return self._operator(expression["operator"])
        if "function" in expression:
            return self._function(expression)
        return {self._key(key): self.evaluate(value) for key, value in expression.items()}

    def _key(self, key: str) -> str:
        stripped = key[1:-1] if key.startswith("'") and key.endswith("'") else key
        value = self._interpolate(stripped)
        return str(value) if value is not UNKNOWN else stripped

    def _operator(self, operator: dict[str, Any]) -> Any:
        kind, operands = operator["type"], operator["operands"]
        if kind == "conditional":
            condition = self.evaluate(operands["condition"])
            if condition is UNKNOWN:
                return UNKNOWN
            return self.evaluate(operands["true_value" if condition else "false_value"])
        if kind == "not":
            value = self.evaluate(operands["bool_value"])
            return UNKNOWN if value is UNKNOWN else not value
        if kind == "property_accessor":
            return self._access(self.evaluate(operands["operand_1"]), operands["operand_2"])
        if kind == "index_accessor":
            container, index = (
                self.evaluate(operands["operand_1"]),
                self.evaluate(operands["operand_2"]),
            )
            if container is UNKNOWN or index is UNKNOWN:
                return UNKNOWN
            try:
                return container[index]
            except (KeyError, IndexError, TypeError):
                return UNKNOWN
        values = [self.evaluate(operand) for operand in operands.values()]
        if UNKNOWN in values:
            return UNKNOWN
        if kind == "equals":
            return values[0] == values[1]
        if kind == "not_equals":
            return values[0] != values[1]
        if kind == "and":
            return all(values)
        if kind == "or":
            return any(values)
        return UNKNOWN

    def _access(self, value: Any, path: Any) -> Any:
        """`value.path`, where path is a name or a further accessor (`a.b.c`)."""
        if value is UNKNOWN or not isinstance(value, dict):
            return UNKNOWN
        if isinstance(path, str):
            return value.get(path, UNKNOWN)
        inner = path.get("operator", {}) if isinstance(path, dict) else {}
        if inner.get("type") == "property_accessor":
            first = inner["operands"]["operand_1"]
            return self._access(value.get(first, UNKNOWN), inner["operands"]["operand_2"])
        return UNKNOWN

    def _function(self, expression: dict[str, Any]) -> Any:
        for name in ("empty", "string", "json", "union", "concat"):
            arguments = function(expression, name)
            if arguments is None:
                continue
            values = [self.evaluate(argument) for argument in arguments.values()]
            if UNKNOWN in values:
                return UNKNOWN
            if name == "empty":
                return len(values[0]) == 0
            if name == "string":
                value = values[0]
                if isinstance(value, str):
                    return value
                return json.dumps(value, separators=(",", ":"), ensure_ascii=False)
            if name == "json":
                return json.loads(values[0])
            if name == "concat":
                if all(isinstance(value, list) for value in values):
                    return [item for value in values for item in value]
                return "".join(str(value) for value in values)
            merged: dict[str, Any] = {}
            for value in values:
                merged |= value
            return merged
        return UNKNOWN


def _segments(text: str) -> list[tuple[str, str | None]]:
    """`text` as (literal, interpolated expression or None) pairs; quotes inside `${...}` count."""
    segments: list[tuple[str, str | None]] = []
    literal_start = index = 0
    while (start := text.find("${", index)) != -1:
        position, quoted = start + 2, False
        while position < len(text) and (quoted or text[position] != "}"):
            quoted = quoted != (text[position] == "'")
            position += 1
        segments.append((text[literal_start:start], text[start + 2 : position]))
        literal_start = index = position + 1
    segments.append((text[literal_start:], None))
    return segments


def constraint_failures(param: dict[str, Any], value: Any) -> list[str]:
    """What ARM's parameter validation says about `value` for a parameter declaration."""
    failures: list[str] = []
    for decorator in param.get("decorators", []):
        kind, argument = decorator.get("type"), decorator.get("argument")
        if kind == "min_length" and len(value) < argument:
            failures.append(f"length {len(value)} < minLength {argument}")
        elif kind == "max_length" and len(value) > argument:
            failures.append(f"length {len(value)} > maxLength {argument}")
        elif kind == "allowed" and value not in argument:
            failures.append(f"{value!r} not in {argument}")
        elif kind == "min_value" and value < argument:
            failures.append(f"{value} < minValue {argument}")
        elif kind == "max_value" and value > argument:
            failures.append(f"{value} > maxValue {argument}")
    return failures
