"""A mypy plugin that records every call of a port method, with the file it is in.

mypy knows the static type of each call's receiver, so `caller.store.get(...)` is recorded as
`shared.ports.store.TenantStore.get` wherever the port is reached from. Loaded by
tests/permissions/port_calls.py, which runs mypy without its cache (a cached module is not
checked again, so its calls would not be seen); the records go to `$PORT_CALLS_OUT`, one JSON
line each.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable

from mypy.plugin import MethodContext, Plugin
from mypy.types import Type

PORTS = "shared.ports."


class PortCalls(Plugin):
    """Records (file, port method) for each call mypy checks."""

    def get_method_hook(self, fullname: str) -> Callable[[MethodContext], Type] | None:
        if not fullname.startswith(PORTS):
            return None

        def record(ctx: MethodContext) -> Type:
            line = json.dumps({"file": ctx.api.path, "method": fullname})  # type: ignore[attr-defined]
            with open(os.environ["PORT_CALLS_OUT"], "a", encoding="utf-8") as out:
                out.write(line + "\n")
            return ctx.default_return_type

        return record


def plugin(version: str) -> type[Plugin]:
    """mypy's entry point."""
    return PortCalls
