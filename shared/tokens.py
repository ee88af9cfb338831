"""Bearer-token verification, shared by the ingress and the console: a JWT in, a `Principal` out.

The rules are those of API.md, "Authentication and tenancy". Whether the tenant exists in the
registry is not checked here; the caller does that with `Principal.tenant_id`.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPublicKey

from shared.jwks import JwksCache, JwksFetcher, fetch_json, is_well_formed_kid
from shared.settings import Settings

__all__ = [
    "OPERATOR_ROLE",
    "TENANT_CLAIM",
    "AuthError",
    "Principal",
    "TokenVerifier",
    "issue_dev_token",
]

TENANT_CLAIM = "extension_tenantId"
"""The claim naming the caller's tenant."""

OPERATOR_ROLE = "tenantry.admin"
"""The role of operators: the `/admin` routes and the console."""

_MIN_HMAC_SECRET_BYTES = 32  # RFC 7518 §3.2: at least the hash size for HS256
_REQUIRED_CLAIMS = ("exp", "aud", "iss", "sub")
_VERIFIED_CACHE_SIZE = 10_000


@dataclass(frozen=True)
class Principal:
    """Who made a request, as established by a verified token."""

    subject: str
    tenant_id: str
    roles: frozenset[str]
    claims: Mapping[str, Any]


class AuthError(Exception):
    """A token was refused; `reason` is short, safe to show a client, and never holds the token."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class TokenVerifier:
    """Verifies bearer tokens against the configured algorithm, key source, audience and issuer.

    HS256 uses `jwt_secret_key`; RS256 uses the JWKS at `jwt_jwks_url`, or the `jwks_uri` of the
    OpenID configuration at `jwt_openid_config_url`. `jwks_fetcher(url) -> dict` replaces the HTTP
    fetch (it runs in a worker thread) and `clock` replaces `time.time` for every time check.

    Raises `RuntimeError` at construction when the settings cannot verify anything (no secret, a
    secret shorter than 32 bytes, or no key source for RS256).
    """

    def __init__(
        self,
        settings: Settings,
        *,
        jwks_fetcher: JwksFetcher | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._settings = settings
        self._algorithm = settings.jwt_algorithm
        self._clock = clock
        self._secret: bytes | None = None
        self._verified: dict[str, tuple[Principal, float]] = {}
        self._jwks: JwksCache | None = None
        if self._algorithm == "HS256":
            self._secret = _hmac_secret(settings)
        elif settings.jwt_jwks_url or settings.jwt_openid_config_url:
            self._jwks = JwksCache(
                jwks_url=settings.jwt_jwks_url,
                openid_config_url=settings.jwt_openid_config_url,
                fetcher=jwks_fetcher or fetch_json,
                clock=clock,
                cache_seconds=settings.jwks_cache_seconds,
                refetch_cooldown_seconds=settings.jwks_refetch_cooldown_seconds,
            )
        else:
            raise RuntimeError("RS256 needs JWT_JWKS_URL or JWT_OPENID_CONFIG_URL")

    async def verify(self, token: str) -> Principal:
        """Verify `token` (the text after `Bearer `) and return its principal, else `AuthError`."""
        if not isinstance(token, str) or not token:
            raise AuthError("missing token")
        if len(token) > self._settings.jwt_max_token_bytes:
            raise AuthError("token too large")
        if not token.isascii() or token.count(".") != 2:
            raise AuthError("malformed token")
        cached = self._verified.get(token)
        if cached is not None:
            principal, good_until = cached
            if self._clock() < good_until:
                return principal
            del self._verified[token]
        principal = await self._verify_uncached(token)
        self._remember(token, principal)
        return principal

    def _remember(self, token: str, principal: Principal) -> None:
        """Keep a verified token until it expires (or the cache lifetime ends, if sooner).

        The key is the whole token, signature included, so any change to it misses the cache;
        entries live at most `jwks_cache_seconds`, so a signing key withdrawn from the JWKS
        stops being honoured within that time.
        """
        expires = _numeric_date(principal.claims, "exp") + self._settings.jwt_leeway_seconds
        good_until = min(expires, self._clock() + self._settings.jwks_cache_seconds)
        if len(self._verified) >= _VERIFIED_CACHE_SIZE:
            self._verified.pop(next(iter(self._verified)))
        self._verified[token] = (principal, good_until)

    async def _verify_uncached(self, token: str) -> Principal:
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError:
            raise AuthError("malformed token") from None
        # Pinned: the token's own `alg` never chooses how it is verified (no `none`, no HS/RS mix).
        if header.get("alg") != self._algorithm:
            raise AuthError("unexpected algorithm")
        key = await self._key_for(header)
        try:
            payload = jwt.decode(
                token,
                key=key,
                algorithms=[self._algorithm],
                options={
                    "verify_signature": True,
                    "verify_exp": False,  # time and identity claims are checked below
                    "verify_nbf": False,
                    "verify_iat": False,
                    "verify_aud": False,
                    "verify_iss": False,
                    "verify_sub": False,
                    "verify_jti": False,
                    "enforce_minimum_key_length": True,
                },
            )
        except jwt.InvalidSignatureError:
            raise AuthError("invalid signature") from None
        except jwt.InvalidAlgorithmError:
            raise AuthError("unexpected algorithm") from None
        except jwt.DecodeError:
            raise AuthError("malformed token") from None
        except jwt.PyJWTError:
            raise AuthError("invalid token") from None
        return self._principal(payload)

    async def _key_for(self, header: Mapping[str, Any]) -> bytes | RSAPublicKey:
        """The verification key. `jku`, `x5u`, `x5c` and `jwk` headers are never consulted."""
        if self._secret is not None:
            return self._secret
        assert self._jwks is not None
        kid = header.get("kid")
        if kid is None:
            raise AuthError("missing key id")
        if not is_well_formed_kid(kid):
            raise AuthError("invalid key id")
        key = await self._jwks.get_key(kid)
        if key is None:
            raise AuthError(
                "unknown signing key" if self._jwks.has_keys else "signing keys unavailable"
            )
        return key

    def _principal(self, payload: Mapping[str, Any]) -> Principal:
        settings = self._settings
        for claim in _REQUIRED_CLAIMS:
            if payload.get(claim) is None:
                raise AuthError(f"missing claim: {claim}")
        now = self._clock()
        leeway = settings.jwt_leeway_seconds
        if _numeric_date(payload, "exp") <= now - leeway:
            raise AuthError("token expired")
        if "nbf" in payload and _numeric_date(payload, "nbf") > now + leeway:
            raise AuthError("token not yet valid")
        if "iat" in payload and _numeric_date(payload, "iat") > now + leeway:
            raise AuthError("token issued in the future")
        # Exact string equality: no prefix, substring or list-membership matching.
        if not isinstance(payload["aud"], str) or payload["aud"] != settings.jwt_audience:
            raise AuthError("invalid audience")
        if not isinstance(payload["iss"], str) or payload["iss"] != settings.jwt_issuer:
            raise AuthError("invalid issuer")
        subject = payload["sub"]
        if not isinstance(subject, str) or not subject.strip():
            raise AuthError("invalid subject")
        tenant_id = payload.get(TENANT_CLAIM)
        if not isinstance(tenant_id, str) or not tenant_id.strip():
            raise AuthError("missing or invalid tenant claim")
        roles = payload.get("roles", [])
        if not isinstance(roles, list) or not all(isinstance(role, str) for role in roles):
            raise AuthError("invalid roles claim")
        return Principal(
            subject=subject,
            tenant_id=tenant_id,
            roles=frozenset(roles),
            claims=MappingProxyType(dict(payload)),
        )


def _numeric_date(payload: Mapping[str, Any], claim: str) -> float:
    """A NumericDate claim as a float; booleans, strings, NaN and infinities are refused."""
    value = payload[claim]
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise AuthError(f"invalid claim: {claim}")
    return float(value)


def _hmac_secret(settings: Settings) -> bytes:
    if settings.jwt_secret_key is None:
        raise RuntimeError("HS256 needs JWT_SECRET_KEY")
    secret = settings.jwt_secret_key.get_secret_value().encode("utf-8")
    if len(secret) < _MIN_HMAC_SECRET_BYTES:
        raise RuntimeError(f"JWT_SECRET_KEY must be at least {_MIN_HMAC_SECRET_BYTES} bytes")
    return secret


def issue_dev_token(
    settings: Settings,
    *,
    tenant_id: str,
    subject: str = "dev-user",
    roles: Sequence[str] = ("user",),
    lifetime_seconds: int = 3600,
) -> str:
    """Sign an HS256 token for development and tests, accepted by a `TokenVerifier(settings)`.

    Raises `RuntimeError` unless `jwt_algorithm` is HS256 with a `jwt_secret_key` of 32+ bytes.
    """
    if settings.jwt_algorithm != "HS256":
        raise RuntimeError("dev tokens need JWT_ALGORITHM=HS256 (RS256 tokens come from the IdP)")
    secret = _hmac_secret(settings)
    if not tenant_id:
        raise ValueError("tenant_id must be a non-empty string")
    if isinstance(roles, str):
        raise TypeError("roles must be a sequence of strings, not a string")
    now = int(time.time())
    claims: dict[str, Any] = {
        "iss": settings.jwt_issuer,
        "aud": settings.jwt_audience,
        "sub": subject,
        TENANT_CLAIM: tenant_id,
        "roles": list(roles),
        "iat": now,
        "nbf": now,
        "exp": now + lifetime_seconds,
    }
    return jwt.encode(claims, secret, algorithm="HS256")
