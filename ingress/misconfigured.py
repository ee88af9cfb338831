"""An ingress whose settings cannot make a working service stays up and says why.

The app's lifespan records the `ConfigurationError` instead of raising it (which would stop the
process, and the platform would restart it for ever); `/health` still answers, `/health/ready`
reports the error, and every other request is a 503 problem that names it.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.types import ASGIApp, Receive, Scope, Send

from ingress.problems import Problem, problem_response
from shared.contracts.errors import ErrorCode

HEALTH_PATHS = ("/health", "/health/ready")


def configuration_error(app: Any) -> str | None:
    """The configuration error the app started with, or None."""
    error = getattr(app.state, "configuration_error", None)
    return str(error) if error is not None else None


class RefuseWhileMisconfigured:
    """Answers 503 to everything but the health routes while the app is misconfigured."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"].rstrip("/") not in HEALTH_PATHS:
            error = configuration_error(scope["app"])
            if error is not None:
                problem = Problem.of(
                    ErrorCode.UNAVAILABLE,
                    f"The service is misconfigured: {error}",
                    headers={"Retry-After": "30"},
                )
                await problem_response(Request(scope), problem)(scope, receive, send)
                return
        await self.app(scope, receive, send)
