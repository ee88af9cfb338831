"""What the resource routers share: the id in a path, and how a command route is declared."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

from fastapi import Path
from fastapi.types import DecoratedCallable

from ingress.responses import accepted

ResourceId = Annotated[str, Path(min_length=1, max_length=128, pattern=r"^[A-Za-z0-9_\-.]+$")]

RouteDecorator = Callable[[DecoratedCallable], DecoratedCallable]


def command_route(
    register: Callable[..., RouteDecorator[DecoratedCallable]], path: str, summary: str
) -> RouteDecorator[DecoratedCallable]:
    """A route that accepts a command (`register` is the router's method: `router.post`, ...):
    it answers 202 with the job to poll, documented as every command route is (`accepted()`)."""
    return register(path, status_code=202, summary=summary, responses=accepted())
