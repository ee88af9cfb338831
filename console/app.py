"""The console's app factory: its own FastAPI app over `bootstrap`'s services."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from console import page, routes
from console.problems import ConsoleProblem, problem_response
from console.security import SecurityHeaders
from shared.bootstrap import Services, bootstrap
from shared.settings import Settings
from shared.tokens import TokenVerifier


def create_console_app(settings: Settings, services: Services | None = None) -> FastAPI:
    """The console app; it builds (and closes) its own services unless it is given some."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if services is not None:
            yield
            return
        app.state.services = bootstrap(settings)
        try:
            yield
        finally:
            await app.state.services.close()

    app = FastAPI(
        title="tenantry console",
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
    )
    app.state.verifier = TokenVerifier(settings)
    if services is not None:
        app.state.services = services
    app.add_exception_handler(ConsoleProblem, problem_response)
    app.include_router(routes.router)
    app.include_router(page.router)
    app.add_middleware(SecurityHeaders)
    return app
