"""Request dependencies: the services, the verified caller, and the caller's tenant scope."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.responses import Response

from ingress.limits import admit_request
from ingress.problems import Problem
from ingress.submit import Submitter
from shared import boundary, logs
from shared.bootstrap import Services
from shared.boundary import Violation
from shared.contracts.commands import Command
from shared.contracts.errors import ErrorCode
from shared.tenancy import TenantBound
from shared.tokens import OPERATOR_ROLE, AuthError, Principal, TokenVerifier

log = logging.getLogger("tenantry.ingress")

ADMIN_ROLE = OPERATOR_ROLE
CHALLENGE = {"WWW-Authenticate": 'Bearer realm="tenantry"'}


async def get_services(request: Request) -> Services:
    """The process's services, built once by the app's lifespan (async: no thread hop)."""
    services: Services = request.app.state.services
    return services


def _unauthorized(detail: str) -> Problem:
    headers = {
        "WWW-Authenticate": f'Bearer realm="tenantry", error="invalid_token", '
        f'error_description="{detail}"'
    }
    return Problem.of(ErrorCode.UNAUTHORIZED, detail, headers=headers)


async def get_principal(request: Request) -> Principal:
    """The verified caller (401 with `WWW-Authenticate: Bearer` otherwise)."""
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if not header:
        raise Problem.of(ErrorCode.UNAUTHORIZED, "A bearer token is required.", headers=CHALLENGE)
    if scheme.lower() != "bearer" or not token.strip():
        raise _unauthorized("malformed authorization header")
    verifier: TokenVerifier = request.app.state.verifier
    try:
        return await verifier.verify(token.strip())
    except AuthError as exc:
        raise _unauthorized(exc.reason) from exc


@dataclass(frozen=True)
class Caller(TenantBound):
    """The verified caller and their tenant's scope: every client a route may use is bound to
    that tenant, so no route can reach another tenant's data."""

    principal: Principal
    submitter: Submitter
    clock: Callable[[], float]
    """The service's clock (seconds since the epoch)."""

    async def submit(
        self,
        request: Request,
        command: Command,
        *,
        fingerprint: dict[str, Any] | None = None,
    ) -> Response:
        """Accept `command` for this caller's tenant (see `ingress.submit.Submitter.submit`).

        Its type and its lane come from the command's model (`TYPE`, `order_key()`), so no
        route can name them wrongly and a resource's commands stay in order.
        """
        return await self.submitter.submit(
            request, self.scope, self.principal.subject, command, fingerprint=fingerprint
        )


async def get_caller(request: Request) -> Caller:
    """The verified caller and their tenant from the registry (401 for a tenant it lacks).

    One flat dependency on the hot path: every nested dependency costs FastAPI a solve.
    """
    principal = await get_principal(request)
    services: Services = request.app.state.services
    tenant = services.registry.get(principal.tenant_id)
    if tenant is None:
        boundary.report(
            services.telemetry,
            Violation.UNKNOWN_TENANT_TOKEN,
            tenant_id="",
            target_tenant_id=principal.tenant_id,
            subject=principal.subject,
        )
        raise _unauthorized("unknown tenant")
    named = [v for k, v in request.query_params.multi_items() if k.lower() == "tenantid"]
    if named:
        boundary.report(
            services.telemetry,
            Violation.TENANT_OVERRIDE,
            tenant_id=tenant.id,
            target_tenant_id=named[0],
        )
        raise Problem.of(
            ErrorCode.TENANT_OVERRIDE,
            "The tenant comes from your token; a request cannot name one.",
        )
    request.state.tenant_id = tenant.id
    admit_request(request, services, tenant)
    logs.bind(tenant_id=tenant.id)  # the request's log context; TraceRequests restores it
    return Caller(
        principal=principal,
        scope=services.scope(tenant.id),
        submitter=request.app.state.submitter,
        clock=services.clock,
    )


async def require_admin(principal: Annotated[Principal, Depends(get_principal)]) -> Principal:
    """Operators only (role `tenantry.admin`); anyone else gets 403."""
    if ADMIN_ROLE not in principal.roles:
        raise Problem.of(ErrorCode.FORBIDDEN, "This route is for operators.")
    return principal


CallerDep = Annotated[Caller, Depends(get_caller)]
ServicesDep = Annotated[Services, Depends(get_services)]
