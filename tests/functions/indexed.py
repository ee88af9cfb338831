"""The Functions app as the worker indexes it: each function's bindings and its code."""

from __future__ import annotations

import functools
import json
from collections.abc import Awaitable, Callable
from typing import Any

from function_app import app

Trigger = Callable[..., Awaitable[None]]


@functools.cache
def indexed() -> dict[str, tuple[dict[str, Any], Trigger]]:
    """`app.get_functions()`, called once per process (a second call is a duplicate error)."""
    return {
        f.get_function_name(): (json.loads(f.get_function_json()), f.get_user_function())
        for f in app.get_functions()
    }
