"""Forged, tampered and stale bearer tokens against a live server verifying RS256 with a JWKS.

Each attack must get 401 with a `WWW-Authenticate: Bearer` challenge and problem details that
repeat nothing of the token: not the token, not its claims.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
import uuid
from collections.abc import Callable

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from jwt.algorithms import RSAAlgorithm

from tests.adversarial.conftest import COOLDOWN_SECONDS, Rs256Deployment
from tests.adversarial.identity import (
    AUDIENCE,
    ISSUER,
    JWKS_PATH,
    TENANT_CLAIM,
    IdentityProvider,
    b64json,
    b64url,
    forge,
)

MARKER = f"leak-{uuid.uuid4().hex}"
"""Put in every attack token's claims; no response may repeat it."""


def _get(rs256: Rs256Deployment, token: str) -> httpx.Response:
    return httpx.get(
        f"{rs256.url}/agents/", headers={"Authorization": f"Bearer {token}"}, timeout=30
    )


def assert_refused_without_leak(response: httpx.Response, token: str) -> None:
    assert response.status_code == 401, response.text
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["code"] == "Unauthorized"
    seen = response.text + json.dumps(dict(response.headers))
    assert MARKER not in seen
    for part in token.split("."):
        if len(part) > 8:
            assert part not in seen


def _hs256_with_public_key(idp: IdentityProvider) -> str:
    """The classic key confusion: HS256 signed with the RS256 public key as the HMAC secret."""
    pem = (
        idp.keys["k1"]
        .public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    )
    signing_input = (
        f"{b64json({'alg': 'HS256', 'typ': 'JWT', 'kid': 'k1'})}."
        f"{b64json(idp.claims('contoso', note=MARKER))}"
    )
    signature = hmac.new(pem, signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{b64url(signature)}"


def _tampered(idp: IdentityProvider) -> str:
    header, _, signature = idp.token("contoso", note=MARKER).split(".")
    return f"{header}.{b64json(idp.claims('fabrikam', note=MARKER))}.{signature}"


def _unsigned(idp: IdentityProvider, alg: str) -> str:
    return forge({"alg": alg, "typ": "JWT", "kid": "k1"}, idp.claims("contoso", note=MARKER))


def _with_kid(idp: IdentityProvider, kid: object) -> str:
    """Signed with the published key, but naming it by a hostile `kid`."""
    claims = idp.claims("contoso", note=MARKER)
    header = {"alg": "RS256", "typ": "JWT", "kid": kid}
    signing_input = f"{b64json(header)}.{b64json(claims)}"
    signature = jwt.get_algorithm_by_name("RS256").sign(signing_input.encode(), idp.keys["k1"])
    return f"{signing_input}.{b64url(signature)}"


def _claims(tenant: object = "contoso", **overrides: object) -> Callable[[IdentityProvider], str]:
    return lambda idp: idp.token(tenant, note=MARKER, **overrides)


NOW = int(time.time())
ATTACKS: dict[str, Callable[[IdentityProvider], str]] = {
    "alg none": lambda idp: _unsigned(idp, "none"),
    "alg None": lambda idp: _unsigned(idp, "None"),
    "alg HS256 keyed with the RS256 public key": _hs256_with_public_key,
    "tampered payload": _tampered,
    "signature removed": lambda idp: idp.token("contoso", note=MARKER).rsplit(".", 1)[0] + ".",
    "kid unknown": lambda idp: _with_kid(idp, "no-such-key"),
    "kid path-like": lambda idp: _with_kid(idp, "../../../../etc/passwd"),
    "kid a url": lambda idp: _with_kid(idp, "http://127.0.0.1:1/keys"),
    "kid with spaces and quotes": lambda idp: _with_kid(idp, "k1' OR '1'='1"),
    "kid too long": lambda idp: _with_kid(idp, "k" * 300),
    "kid a number": lambda idp: _with_kid(idp, 1),
    "kid a list": lambda idp: _with_kid(idp, ["k1"]),
    "kid an object": lambda idp: _with_kid(idp, {"$ne": ""}),
    "kid missing": lambda idp: forge(
        {"alg": "RS256"}, idp.claims("contoso", note=MARKER), b"\x00" * 256
    ),
    "expired": _claims(exp=NOW - 3600, iat=NOW - 7200, nbf=NOW - 7200),
    "not yet valid (nbf)": _claims(nbf=NOW + 3600),
    "issued in the future (iat)": _claims(iat=NOW + 3600),
    "no exp": _claims(exp=None),
    "wrong iss": _claims(iss="https://login.evil.test/v2.0"),
    "iss with the right one as prefix": _claims(iss=ISSUER + ".evil.test"),
    "iss a prefix of the right one": _claims(iss=ISSUER[:-1]),
    "wrong aud": _claims(aud="api://someone-else"),
    "aud a list holding the right one": _claims(aud=[AUDIENCE, "api://other"]),
    "tenant claim missing": _claims(**{TENANT_CLAIM: None}),
    "tenant claim a number": _claims(tenant=42),
    "tenant claim a list": _claims(tenant=["contoso"]),
    "tenant claim an object": _claims(tenant={"id": "contoso"}),
    "tenant claim empty": _claims(tenant=""),
    "tenant not in the registry": _claims(tenant="umbrella"),
    "roles a string": _claims(roles="tenantry.admin"),
    "oversized": _claims(padding="x" * 17 * 1024),
}


def test_a_valid_rs256_token_is_accepted(rs256: Rs256Deployment, idp: IdentityProvider) -> None:
    assert _get(rs256, idp.token("contoso")).status_code == 200


@pytest.mark.parametrize("attack", ATTACKS)
def test_an_attack_token_is_refused_with_a_bearer_challenge_and_no_leak(
    attack: str, rs256: Rs256Deployment, idp: IdentityProvider
) -> None:
    token = ATTACKS[attack](idp)
    assert_refused_without_leak(_get(rs256, token), token)


def test_a_kid_is_never_turned_into_a_path_or_url(
    rs256: Rs256Deployment, idp: IdentityProvider
) -> None:
    for kid in ("../../../../etc/passwd", "/discovery/keys/../../secret", "k1/../k2", "%2e%2e"):
        assert _get(rs256, _with_kid(idp, kid)).status_code == 401
    assert {served.path for served in idp.requests} <= {JWKS_PATH}


@pytest.mark.parametrize("header", ["jku", "x5u"])
def test_jku_and_x5u_headers_are_never_fetched(
    header: str, rs256: Rs256Deployment, idp: IdentityProvider
) -> None:
    with IdentityProvider() as attacker:  # the attacker's own JWKS, with its own "k1"
        token = attacker.token(
            "contoso", kid="k1", note=MARKER, headers={header: attacker.jwks_url}
        )
        assert_refused_without_leak(_get(rs256, token), token)
        assert attacker.requests == []


def test_an_embedded_jwk_header_is_not_trusted(
    rs256: Rs256Deployment, idp: IdentityProvider
) -> None:
    with IdentityProvider() as attacker:
        public = json.loads(RSAAlgorithm.to_jwk(attacker.keys["k1"].public_key()))
        token = attacker.token("contoso", kid="k1", note=MARKER, headers={"jwk": public})
        assert_refused_without_leak(_get(rs256, token), token)


def test_a_token_signed_by_another_key_under_a_known_kid_is_refused(
    rs256: Rs256Deployment, idp: IdentityProvider
) -> None:
    with IdentityProvider() as attacker:
        token = attacker.token("contoso", kid="k1", note=MARKER)
        assert_refused_without_leak(_get(rs256, token), token)


def _past_cooldown() -> None:
    time.sleep(COOLDOWN_SECONDS + 0.3)


def test_a_rotated_key_is_fetched_at_most_once_per_cooldown(
    rs256: Rs256Deployment, idp: IdentityProvider
) -> None:
    _past_cooldown()
    before = idp.fetches()
    assert _get(rs256, _with_kid(idp, "not-published-yet")).status_code == 401
    assert idp.fetches() == before + 1
    idp.add_key("k2", publish=True)
    for kid in ("k2", "another-unknown", "k2"):
        token = idp.token("contoso", kid=kid) if kid == "k2" else _with_kid(idp, kid)
        assert _get(rs256, token).status_code == 401
    assert idp.fetches() == before + 1, "an unknown kid refetched the JWKS within the cool-down"
    _past_cooldown()
    assert _get(rs256, idp.token("contoso", kid="k2")).status_code == 200
    assert idp.fetches() == before + 2
    assert _get(rs256, idp.token("contoso", kid="k2")).status_code == 200
    assert idp.fetches() == before + 2


def test_a_jwks_outage_keeps_the_keys_already_fetched(
    rs256: Rs256Deployment, idp: IdentityProvider
) -> None:
    assert _get(rs256, idp.token("contoso")).status_code == 200
    _past_cooldown()
    idp.down = True
    try:
        before = idp.fetches()
        assert _get(rs256, _with_kid(idp, "unknown-during-outage")).status_code == 401
        assert idp.fetches() == before + 1
        assert idp.requests[-1].status == 503
        assert _get(rs256, idp.token("contoso")).status_code == 200
    finally:
        idp.down = False
