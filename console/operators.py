"""Who may use the console: a verified bearer token with the operator role, and no one else.

The token is read from the `Authorization` header only (never from a URL), and never logged.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from console.problems import ConsoleProblem
from shared.tokens import OPERATOR_ROLE, AuthError, Principal, TokenVerifier

_CHALLENGE = 'Bearer realm="tenantry-console"'


async def operator(request: Request) -> Principal:
    """The verified operator: 401 without a valid token, 403 for a token without the role."""
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise ConsoleProblem(
            401,
            "Unauthorized",
            "An operator's bearer token is required.",
            {"WWW-Authenticate": _CHALLENGE},
        )
    verifier: TokenVerifier = request.app.state.verifier
    try:
        principal = await verifier.verify(token.strip())
    except AuthError as exc:
        raise ConsoleProblem(
            401,
            "Unauthorized",
            f"The token was refused: {exc.reason}.",
            {"WWW-Authenticate": f'{_CHALLENGE}, error="invalid_token"'},
        ) from exc
    if OPERATOR_ROLE not in principal.roles:
        raise ConsoleProblem(
            403,
            "Forbidden",
            f"The console is for operators (role {OPERATOR_ROLE}); this token does not carry it.",
        )
    return principal


OperatorDep = Annotated[Principal, Depends(operator)]
