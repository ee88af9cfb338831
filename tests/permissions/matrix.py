"""The permission matrix: for each identity, what its code asks of Azure and which role allows it.

Inputs: the requests recorded while tests/azure ran (tests/permissions/recorder.py), each with
the adapter method it came from; the port methods each identity's code calls (port_calls.py);
the roles infra/ grants (grants.py) and their definitions (roles.py).

A request is charged to the port method it was sent from (the outermost adapter frame, matched
to the port Protocols the adapter class implements). A request a test sent through an adapter
helper directly (not a port method) is charged to every port method of the same service: the
helpers are what every port method of an adapter goes through (e.g. the user-delegation key
behind each tenant's SAS-bound blob client, which only a transport test can reach, as Azurite
signs with the account key).
"""

from __future__ import annotations

import importlib
import inspect
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from tests.permissions.classify import TOKEN, Permission
from tests.permissions.grants import ALL, Grant
from tests.permissions.roles import BUILT_IN

PORT_MODULES = ["blobs", "bus", "engine", "purge", "search", "secrets", "store"]


@dataclass(frozen=True)
class Need:
    """A permission one of the identity's port methods needs, and why (the method)."""

    permission: Permission
    method: str


DEPLOYMENT_METHODS = frozenset({"create_containers"})
"""Adapter methods no app calls: they make what `infra/` makes, for emulators (a test checks)."""


def _protocols() -> dict[str, set[str]]:
    """`shared.ports.<module>.<Protocol>` -> its method names."""
    found: dict[str, set[str]] = {}
    for module_name in PORT_MODULES:
        module = importlib.import_module(f"shared.ports.{module_name}")
        for name, value in vars(module).items():
            protocol = inspect.isclass(value) and getattr(value, "_is_protocol", False)
            if protocol and value.__module__ == module.__name__:
                methods = {m for m in vars(value) if not m.startswith("_")}
                found[f"{module.__name__}.{name}"] = methods
    return found


def port_methods_of(entry: dict[str, str]) -> set[str]:
    """The port methods an adapter method implements (by the Protocols its class matches)."""
    cls = getattr(importlib.import_module(entry["module"]), entry["class"].split(".")[0])
    own = {m for m in dir(cls) if not m.startswith("_")}
    return {
        f"{protocol}.{entry['method']}"
        for protocol, methods in _protocols().items()
        if entry["method"] in methods and methods <= own
    }


def needs_by_method(records: Iterable[dict[str, Any]]) -> dict[str, set[Permission]]:
    """Port method -> the permissions its recorded requests need."""
    by_method: dict[str, set[Permission]] = {}
    helpers: list[Permission] = []
    for record in records:
        entry, permission = record["entry"], record["permission"]
        if entry is None or permission is None or permission["service"] == TOKEN:
            continue
        if any(link.rsplit(".", 1)[-1] in DEPLOYMENT_METHODS for link in record["chain"]):
            continue  # made by the deployment (Bicep) in production, by the test's set-up here
        need = Permission(**permission)
        methods = port_methods_of(entry)
        for method in methods:
            by_method.setdefault(method, set()).add(need)
        if not methods:
            helpers.append(need)
    for need in helpers:
        for needs in by_method.values():
            if any(other.service == need.service for other in needs):
                needs.add(need)
    return by_method


def covered(need: Permission, grants: Iterable[Grant]) -> list[str]:
    """The names of the granted roles that allow `need` (on its entity)."""
    return [
        BUILT_IN[g.role_id].name
        for g in grants
        if g.service == need.service
        and g.entity in (ALL, need.entity)
        and BUILT_IN[g.role_id].allows(need.kind, need.operation)
    ]


def matrix(
    identity_methods: set[str], by_method: dict[str, set[Permission]], grants: list[Grant]
) -> list[tuple[Need, list[str]]]:
    """Each need of an identity and the roles that allow it (empty: not allowed)."""
    rows = [
        (Need(permission, method), covered(permission, grants))
        for method in sorted(identity_methods)
        for permission in sorted(by_method.get(method, set()), key=repr)
    ]
    return rows
