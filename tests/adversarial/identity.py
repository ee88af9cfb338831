"""A stand-in identity provider for the adversarial suites: RSA keys, a JWKS over real HTTP.

`IdentityProvider` holds RS256 signing keys by `kid`, publishes the public ones as a JWKS
document from a loopback HTTP server (in a thread), signs tokens, and forges the malformed ones
an attacker would send. It records every request its server answers, and can be taken down
(503) to play a JWKS outage.
"""

from __future__ import annotations

import base64
import json
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm

ISSUER = "https://login.tenantry.test/v2.0"
AUDIENCE = "api://tenantry-adversarial"
TENANT_CLAIM = "extension_tenantId"
JWKS_PATH = "/discovery/keys"


def b64url(data: bytes) -> str:
    """Base64url without padding, as JWS spells it."""
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64json(obj: object) -> str:
    return b64url(json.dumps(obj, separators=(",", ":")).encode())


def forge(header: Mapping[str, Any], payload: Mapping[str, Any], signature: bytes = b"") -> str:
    """A compact JWT with any header and signature bytes, bypassing PyJWT's own checks."""
    return f"{b64json(header)}.{b64json(payload)}.{b64url(signature)}"


def new_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@dataclass(frozen=True)
class Served:
    """One request the JWKS server answered."""

    path: str
    status: int


class IdentityProvider:
    """`with IdentityProvider() as idp:` serves `idp.jwks_url` until the block ends."""

    def __init__(self) -> None:
        self.keys: dict[str, rsa.RSAPrivateKey] = {"k1": new_key()}
        self.published: set[str] = {"k1"}
        self.down = False
        self.requests: list[Served] = []
        self._lock = threading.Lock()
        provider = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                status, body = provider._answer(self.path)
                with provider._lock:
                    provider.requests.append(Served(self.path, status))
                self.send_response(status)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: object) -> None:
                return

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    @property
    def jwks_url(self) -> str:
        return self.base_url + JWKS_PATH

    def _answer(self, path: str) -> tuple[int, bytes]:
        if path != JWKS_PATH:
            return 404, b"{}"
        if self.down:
            return 503, b"{}"
        return 200, json.dumps(self.jwks()).encode()

    def jwks(self) -> dict[str, Any]:
        """The published public keys."""
        keys = []
        for kid in sorted(self.published):
            jwk = json.loads(RSAAlgorithm.to_jwk(self.keys[kid].public_key()))
            keys.append(jwk | {"kid": kid, "use": "sig", "alg": "RS256"})
        return {"keys": keys}

    def fetches(self) -> int:
        """How many times the JWKS was asked for (answered or not)."""
        with self._lock:
            return sum(1 for r in self.requests if r.path == JWKS_PATH)

    def add_key(self, kid: str, *, publish: bool) -> None:
        self.keys[kid] = new_key()
        if publish:
            self.published.add(kid)

    def claims(self, tenant: object, **overrides: object) -> dict[str, Any]:
        """Valid claims for `tenant`; an override of None removes that claim."""
        now = int(time.time())
        claims: dict[str, Any] = {
            "iss": ISSUER,
            "aud": AUDIENCE,
            "sub": f"user@{tenant}",
            TENANT_CLAIM: tenant,
            "roles": ["user"],
            "iat": now,
            "nbf": now,
            "exp": now + 600,
            "jti": f"{time.monotonic_ns()}",
        }
        claims.update(overrides)
        return {k: v for k, v in claims.items() if v is not None}

    def token(
        self,
        tenant: object,
        *,
        kid: str = "k1",
        headers: Mapping[str, Any] | None = None,
        **overrides: object,
    ) -> str:
        """An RS256 token signed with the key `kid` (published or not)."""
        return jwt.encode(
            self.claims(tenant, **overrides),
            self.keys[kid],
            algorithm="RS256",
            headers={"kid": kid, **(headers or {})},
        )

    def __enter__(self) -> IdentityProvider:
        self._thread.start()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self._server.shutdown()
        self._server.server_close()
