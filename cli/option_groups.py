"""Options declared once for several commands: a group is a frozen dataclass of typer options.

A command takes a group as one parameter (`chosen: DeadLetterChoice`); `with_option_groups`
shows typer the group's fields in its place, with their names, types, defaults and help, and
hands the command the group built from what was given.
"""

from __future__ import annotations

import dataclasses
import functools
import inspect
from collections.abc import Callable
from typing import Any, TypeVar, get_type_hints

Result = TypeVar("Result")


def _fields_as_parameters(group: type[Any]) -> list[inspect.Parameter]:
    """The group's fields as keyword parameters; a field with no default is a required option."""
    hints = get_type_hints(group, include_extras=True)
    return [
        inspect.Parameter(
            field.name,
            inspect.Parameter.KEYWORD_ONLY,
            default=inspect.Parameter.empty
            if field.default is dataclasses.MISSING
            else field.default,
            annotation=hints[field.name],
        )
        for field in dataclasses.fields(group)
    ]


def with_option_groups(command: Callable[..., Result]) -> Callable[..., Result]:
    """`command` with each parameter typed by a dataclass spread into that dataclass's fields."""
    hints = get_type_hints(command, include_extras=True)
    groups: dict[str, type[Any]] = {}
    parameters: list[inspect.Parameter] = []
    for parameter in inspect.signature(command).parameters.values():
        annotation = hints[parameter.name]
        if isinstance(annotation, type) and dataclasses.is_dataclass(annotation):
            groups[parameter.name] = annotation
            parameters.extend(_fields_as_parameters(annotation))
        else:
            kind = inspect.Parameter.KEYWORD_ONLY
            parameters.append(parameter.replace(annotation=annotation, kind=kind))

    @functools.wraps(command)
    def spread(**options: Any) -> Result:
        for name, group in groups.items():
            given = {field.name: options.pop(field.name) for field in dataclasses.fields(group)}
            options[name] = group(**given)
        return command(**options)

    signature = inspect.Signature(parameters, return_annotation=hints.get("return"))
    spread.__signature__ = signature  # type: ignore[attr-defined]
    spread.__annotations__ = {p.name: p.annotation for p in parameters}
    return spread
