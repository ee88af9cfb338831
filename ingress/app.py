"""The ingress application factory: nothing is built until `create_app` is called."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from ingress import openapi, problems
from ingress.middleware import Edge
from ingress.misconfigured import RefuseWhileMisconfigured
from ingress.routers import (
    admin,
    agents,
    files,
    health,
    items,
    jobs,
    run_events,
    search,
    threads,
    webhooks,
)
from ingress.submit import Submitter
from shared.bootstrap import ConfigurationError, Services, bootstrap
from shared.settings import Settings
from shared.tokens import TokenVerifier

log = logging.getLogger("tenantry.ingress")

DESCRIPTION = """\
Every mutation is an asynchronous command: the answer is `202 Accepted` with a job to poll at
`Operation-Location`, or the result itself with `Prefer: wait=N`. The tenant is always the one
named by the bearer token's `extension_tenantId` claim.
"""


def create_app(settings: Settings, services: Services | None = None) -> FastAPI:
    """Build the ingress for `settings`; `services` lets a caller share or replace the adapters."""
    owned = services is None
    misconfigured: str | None = None
    try:
        verifier: TokenVerifier | None = TokenVerifier(settings)
    except RuntimeError as exc:  # no way to verify tokens: a configuration error too
        verifier, misconfigured = None, str(exc)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        try:
            if misconfigured is not None:
                raise ConfigurationError(misconfigured)
            built = services or bootstrap(settings)
        except ConfigurationError as exc:  # stay up and say why (ingress.misconfigured)
            log.error("tenantry is misconfigured: %s", exc)
            app.state.configuration_error = str(exc)
            yield
            return
        app.state.services = built
        app.state.submitter = Submitter(built)
        try:
            yield
        finally:
            hub = getattr(app.state, "run_event_hub", None)
            if hub is not None:
                await hub.close()
            if owned:
                await built.close()

    app = FastAPI(title="tenantry", version="0.1.0", description=DESCRIPTION, lifespan=lifespan)
    app.state.verifier = verifier
    if services is not None:
        app.state.services = services
        app.state.submitter = Submitter(services)
    problems.install(app)
    openapi.install(app, settings.public_base_url)
    # the busiest routes first: FastAPI tries the routers in order
    for module in (
        items,
        threads,
        agents,
        jobs,
        files,
        search,
        webhooks,
        run_events,
        admin,
        health,
    ):
        app.include_router(module.router)
    upload_limit = settings.files_max_bytes + files.MULTIPART_OVERHEAD_BYTES
    app.add_middleware(RefuseWhileMisconfigured)  # inside Edge: its 503 gets the request id
    app.add_middleware(
        Edge,
        max_bytes=settings.max_body_bytes,
        path_limits={"/files": upload_limit},
        body_timeout_seconds=settings.http_body_timeout_seconds,
        max_concurrent=settings.http_max_concurrent_requests,
    )
    return app
