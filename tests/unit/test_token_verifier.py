"""TokenVerifier: the bearer-token rules of API.md, "Authentication and tenancy"."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
import threading
import time
from collections.abc import Mapping
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm

from shared.settings import Settings
from shared.tokens import AuthError, Principal, TokenVerifier, issue_dev_token

NOW = 1_700_000_000.0
ISSUER = "https://login.example.com/tenant-x/v2.0"
AUDIENCE = "api://tenantry-test"
SECRET = "test-secret-that-is-long-enough-for-hs256!"
JWKS_URL = "https://idp.example.com/discovery/keys"
OPENID_URL = "https://idp.example.com/.well-known/openid-configuration"
EVIL_URL = "https://evil.example.net/keys"
TENANT = "contoso"


# ---------------------------------------------------------------- helpers


class FakeClock:
    """A clock the test moves by hand."""

    def __init__(self, now: float = NOW) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


class FakeIdP:
    """Serves JSON documents by URL and records every fetch; can be taken down."""

    def __init__(self, documents: dict[str, dict[str, Any]], delay: float = 0.0) -> None:
        self.documents = documents
        self.calls: list[str] = []
        self.down = False
        self.delay = delay
        self._lock = threading.Lock()

    def __call__(self, url: str) -> dict[str, Any]:
        with self._lock:
            self.calls.append(url)
        if self.delay:
            time.sleep(self.delay)
        if self.down:
            raise OSError("connection refused")
        return self.documents[url]


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64json(obj: Mapping[str, Any]) -> str:
    return b64url(json.dumps(obj, separators=(",", ":")).encode())


def forge(header: Mapping[str, Any], payload: Mapping[str, Any], signature: bytes = b"") -> str:
    """A compact JWT with arbitrary header and signature bytes, bypassing PyJWT's checks."""
    return f"{b64json(header)}.{b64json(payload)}.{b64url(signature)}"


def jwk_of(private_key: rsa.RSAPrivateKey, kid: str) -> dict[str, Any]:
    jwk = RSAAlgorithm.to_jwk(private_key.public_key(), as_dict=True)
    return {**jwk, "kid": kid, "use": "sig", "alg": "RS256"}


def claims(**overrides: Any) -> dict[str, Any]:
    """Valid claims at NOW; an override of `None` removes the claim."""
    base: dict[str, Any] = {
        "iss": ISSUER,
        "aud": AUDIENCE,
        "sub": "user-123",
        "extension_tenantId": TENANT,
        "roles": ["user"],
        "iat": int(NOW),
        "nbf": int(NOW),
        "exp": int(NOW) + 600,
    }
    base.update(overrides)
    return {name: value for name, value in base.items() if value is not None}


def hs_settings(**overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "jwt_algorithm": "HS256",
        "jwt_secret_key": SECRET,
        "jwt_jwks_url": None,
        "jwt_openid_config_url": None,
        "jwt_audience": AUDIENCE,
        "jwt_issuer": ISSUER,
        "jwt_leeway_seconds": 30,
        "jwt_max_token_bytes": 4096,
        "jwks_cache_seconds": 300,
        "jwks_refetch_cooldown_seconds": 60,
    }
    values.update(overrides)
    return Settings(_env_file=None, **values)


def rs_settings(**overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "jwt_algorithm": "RS256",
        "jwt_secret_key": None,
        "jwt_jwks_url": JWKS_URL,
    }
    values.update(overrides)
    return hs_settings(**values)


def hs_token(payload: Mapping[str, Any], secret: str = SECRET, **headers: Any) -> str:
    return jwt.encode(dict(payload), secret, algorithm="HS256", headers=headers or None)


def hs_sign_raw(payload: Mapping[str, Any], secret: str = SECRET) -> str:
    """An HS256 token over any JSON payload (PyJWT refuses to encode some bad claims)."""
    signing_input = f"{b64json({'alg': 'HS256', 'typ': 'JWT'})}.{b64json(payload)}"
    signature = hmac.new(secret.encode(), signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{b64url(signature)}"


def rs_token(payload: Mapping[str, Any], key: rsa.RSAPrivateKey, **headers: Any) -> str:
    return jwt.encode(dict(payload), key, algorithm="RS256", headers=headers)


async def refused(verifier: TokenVerifier, token: str) -> str:
    """The reason `verifier` gives for refusing `token` (fails the test if it is accepted)."""
    with pytest.raises(AuthError) as caught:
        await verifier.verify(token)
    assert token not in caught.value.reason
    return caught.value.reason


@pytest.fixture(scope="module")
def key_a() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture(scope="module")
def key_b() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture(scope="module")
def attacker_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def idp(key_a: rsa.RSAPrivateKey) -> FakeIdP:
    return FakeIdP({JWKS_URL: {"keys": [jwk_of(key_a, "key-a")]}})


@pytest.fixture
def hs_verifier(clock: FakeClock) -> TokenVerifier:
    return TokenVerifier(hs_settings(), clock=clock)


@pytest.fixture
def rs_verifier(idp: FakeIdP, clock: FakeClock) -> TokenVerifier:
    return TokenVerifier(rs_settings(), jwks_fetcher=idp, clock=clock)


# ---------------------------------------------------------------- valid tokens


async def test_a_valid_hs256_token_yields_its_subject_tenant_roles_and_claims(
    hs_verifier: TokenVerifier,
) -> None:
    token = hs_token(claims(roles=["user", "tenantry.admin"], name="Ada"))

    principal = await hs_verifier.verify(token)

    assert principal == Principal(
        subject="user-123",
        tenant_id=TENANT,
        roles=frozenset({"user", "tenantry.admin"}),
        claims=principal.claims,
    )
    assert principal.claims["name"] == "Ada"
    with pytest.raises(TypeError):
        principal.claims["sub"] = "someone-else"  # type: ignore[index]


async def test_a_valid_rs256_token_is_verified_with_the_jwks_key_named_by_its_kid(
    rs_verifier: TokenVerifier, idp: FakeIdP, key_a: rsa.RSAPrivateKey
) -> None:
    principal = await rs_verifier.verify(rs_token(claims(), key_a, kid="key-a"))

    assert (principal.subject, principal.tenant_id) == ("user-123", TENANT)
    assert idp.calls == [JWKS_URL]


async def test_rs256_keys_can_be_found_through_openid_discovery(
    clock: FakeClock, key_a: rsa.RSAPrivateKey
) -> None:
    idp = FakeIdP(
        {
            OPENID_URL: {"issuer": ISSUER, "jwks_uri": JWKS_URL},
            JWKS_URL: {"keys": [jwk_of(key_a, "key-a")]},
        }
    )
    settings = rs_settings(jwt_jwks_url=None, jwt_openid_config_url=OPENID_URL)
    verifier = TokenVerifier(settings, jwks_fetcher=idp, clock=clock)

    principal = await verifier.verify(rs_token(claims(), key_a, kid="key-a"))

    assert principal.tenant_id == TENANT
    assert idp.calls == [OPENID_URL, JWKS_URL]


async def test_roles_absent_from_the_token_mean_no_roles(hs_verifier: TokenVerifier) -> None:
    principal = await hs_verifier.verify(hs_token(claims(roles=None)))

    assert principal.roles == frozenset()


async def test_expiry_just_inside_the_leeway_is_tolerated(
    hs_verifier: TokenVerifier, clock: FakeClock
) -> None:
    token = hs_token(claims(exp=int(NOW) + 10))
    clock.advance(10 + 29)

    assert (await hs_verifier.verify(token)).subject == "user-123"


# ---------------------------------------------------------------- malformed and oversized


@pytest.mark.parametrize("token", ["", "not-a-jwt", "a.b", "a.b.c.d.e", "ü.ü.ü", "...."])
async def test_a_missing_or_malformed_token_is_refused(
    hs_verifier: TokenVerifier, token: str
) -> None:
    with pytest.raises(AuthError):
        await hs_verifier.verify(token)


async def test_an_oversized_token_is_refused_before_it_is_parsed(
    hs_verifier: TokenVerifier, monkeypatch: pytest.MonkeyPatch
) -> None:
    def must_not_parse(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("an oversized token was parsed")

    monkeypatch.setattr(jwt, "get_unverified_header", must_not_parse)
    monkeypatch.setattr(jwt, "decode", must_not_parse)
    token = hs_token(claims(padding="x" * 5000))

    assert await refused(hs_verifier, token) == "token too large"


# ---------------------------------------------------------------- time claims


async def test_an_expired_token_is_refused(hs_verifier: TokenVerifier, clock: FakeClock) -> None:
    token = hs_token(claims(exp=int(NOW) + 10))
    clock.advance(10 + 31)

    assert await refused(hs_verifier, token) == "token expired"


async def test_a_token_whose_nbf_is_beyond_the_leeway_is_refused(
    hs_verifier: TokenVerifier,
) -> None:
    token = hs_token(claims(nbf=int(NOW) + 31))

    assert await refused(hs_verifier, token) == "token not yet valid"


async def test_a_token_issued_in_the_future_beyond_the_leeway_is_refused(
    hs_verifier: TokenVerifier,
) -> None:
    token = hs_token(claims(iat=int(NOW) + 31, nbf=None))

    assert await refused(hs_verifier, token) == "token issued in the future"


@pytest.mark.parametrize("claim", ["exp", "aud", "iss", "sub"])
async def test_a_token_missing_a_required_claim_is_refused(
    hs_verifier: TokenVerifier, claim: str
) -> None:
    token = hs_token(claims(**{claim: None}))

    assert await refused(hs_verifier, token) == f"missing claim: {claim}"


@pytest.mark.parametrize("exp", ["9999999999", True, float("nan"), float("inf"), [1]])
async def test_an_exp_that_is_not_a_finite_number_is_refused(
    hs_verifier: TokenVerifier, exp: Any
) -> None:
    assert await refused(hs_verifier, hs_token(claims(exp=exp))) == "invalid claim: exp"


# ---------------------------------------------------------------- audience and issuer


@pytest.mark.parametrize(
    "aud", ["api://other", "api://tenantry-test/", "api://tenantry", [AUDIENCE], [AUDIENCE, "x"]]
)
async def test_an_audience_other_than_the_configured_one_is_refused(
    hs_verifier: TokenVerifier, aud: Any
) -> None:
    assert await refused(hs_verifier, hs_token(claims(aud=aud))) == "invalid audience"


@pytest.mark.parametrize(
    "iss",
    [
        "https://evil.example.com/",
        "https://login.example.com/",  # a prefix of the configured issuer
        ISSUER + "/evil",  # the configured issuer as a prefix
        ISSUER.upper(),
        [ISSUER],
    ],
)
async def test_an_issuer_other_than_the_configured_one_is_refused(
    hs_verifier: TokenVerifier, iss: Any
) -> None:
    assert await refused(hs_verifier, hs_sign_raw(claims(iss=iss))) == "invalid issuer"


# ---------------------------------------------------------------- algorithms and signatures


async def test_an_alg_none_token_is_refused_by_an_hs256_verifier(
    hs_verifier: TokenVerifier,
) -> None:
    for alg in ("none", "None", "NONE"):
        token = forge({"alg": alg, "typ": "JWT"}, claims())
        assert await refused(hs_verifier, token) == "unexpected algorithm"


async def test_an_alg_none_token_is_refused_by_an_rs256_verifier(
    rs_verifier: TokenVerifier, idp: FakeIdP
) -> None:
    token = forge({"alg": "none", "typ": "JWT", "kid": "key-a"}, claims())

    assert await refused(rs_verifier, token) == "unexpected algorithm"
    assert idp.calls == []


async def test_an_rs256_token_re_signed_as_hs256_with_the_public_key_as_secret_is_refused(
    rs_verifier: TokenVerifier, key_a: rsa.RSAPrivateKey
) -> None:
    public_pem = key_a.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    header = {"alg": "HS256", "typ": "JWT", "kid": "key-a"}
    signing_input = f"{b64json(header)}.{b64json(claims())}"
    signature = hmac.new(public_pem, signing_input.encode(), hashlib.sha256).digest()
    token = f"{signing_input}.{b64url(signature)}"

    assert await refused(rs_verifier, token) == "unexpected algorithm"


async def test_an_hs256_token_signed_with_another_secret_is_refused(
    hs_verifier: TokenVerifier,
) -> None:
    token = hs_token(claims(), secret="another-secret-that-is-also-long-enough")

    assert await refused(hs_verifier, token) == "invalid signature"


async def test_a_token_whose_payload_was_tampered_with_is_refused(
    hs_verifier: TokenVerifier, rs_verifier: TokenVerifier, key_a: rsa.RSAPrivateKey
) -> None:
    for verifier, token in [
        (hs_verifier, hs_token(claims())),
        (rs_verifier, rs_token(claims(), key_a, kid="key-a")),
    ]:
        header, _, signature = token.split(".")
        tampered = f"{header}.{b64json(claims(extension_tenantId='fabrikam'))}.{signature}"
        assert await refused(verifier, tampered) == "invalid signature"


async def test_an_rs256_token_signed_by_a_key_outside_the_jwks_is_refused(
    rs_verifier: TokenVerifier, attacker_key: rsa.RSAPrivateKey
) -> None:
    token = rs_token(claims(), attacker_key, kid="key-a")

    assert await refused(rs_verifier, token) == "invalid signature"


# ---------------------------------------------------------------- kid and key-location headers


async def test_an_rs256_token_without_a_kid_is_refused(
    rs_verifier: TokenVerifier, key_a: rsa.RSAPrivateKey
) -> None:
    assert await refused(rs_verifier, rs_token(claims(), key_a)) == "missing key id"


async def test_an_rs256_token_with_an_unknown_kid_is_refused(
    rs_verifier: TokenVerifier, key_a: rsa.RSAPrivateKey
) -> None:
    token = rs_token(claims(), key_a, kid="key-z")

    assert await refused(rs_verifier, token) == "unknown signing key"


@pytest.mark.parametrize(
    "kid",
    [
        "../../etc/passwd",
        "/dev/null",
        "..",
        ".hidden",
        "keys\\key-a",
        "https://evil.example.net/key.pem",
        "file:///etc/passwd",
        "key-a\x00",
        "key a",
        "",
        "k" * 500,
        123,
        ["key-a"],
        None,
    ],
)
async def test_a_malformed_or_path_like_kid_is_refused_without_any_fetch(
    rs_verifier: TokenVerifier, idp: FakeIdP, kid: Any
) -> None:
    header: dict[str, Any] = {"alg": "RS256", "typ": "JWT"}
    if kid is not None:
        header["kid"] = kid
    token = forge(header, claims(), b"\x00" * 256)

    with pytest.raises(AuthError):
        await rs_verifier.verify(token)
    assert idp.calls == []


async def test_jku_and_x5u_headers_never_redirect_key_lookup(
    rs_verifier: TokenVerifier,
    idp: FakeIdP,
    key_a: rsa.RSAPrivateKey,
    attacker_key: rsa.RSAPrivateKey,
) -> None:
    idp.documents[EVIL_URL] = {"keys": [jwk_of(attacker_key, "evil-key")]}
    pointing_elsewhere = {"jku": EVIL_URL, "x5u": EVIL_URL + "/cert.pem"}

    attack = rs_token(claims(), attacker_key, kid="evil-key", **pointing_elsewhere)
    assert await refused(rs_verifier, attack) == "unknown signing key"

    genuine = rs_token(claims(), key_a, kid="key-a", **pointing_elsewhere)
    assert (await rs_verifier.verify(genuine)).tenant_id == TENANT
    assert set(idp.calls) == {JWKS_URL}


async def test_an_embedded_jwk_or_x5c_header_is_never_trusted(
    rs_verifier: TokenVerifier, attacker_key: rsa.RSAPrivateKey
) -> None:
    embedded = jwk_of(attacker_key, "key-a")
    token = rs_token(claims(), attacker_key, kid="key-a", jwk=embedded, x5c=["MIIB"])

    assert await refused(rs_verifier, token) == "invalid signature"


# ---------------------------------------------------------------- tenant and roles claims


@pytest.mark.parametrize("tenant", [None, "", "   ", ["contoso"], 42, True, {"id": "contoso"}])
async def test_a_missing_or_non_string_tenant_claim_is_refused(
    hs_verifier: TokenVerifier, tenant: Any
) -> None:
    token = hs_token(claims(extension_tenantId=tenant))

    assert await refused(hs_verifier, token) == "missing or invalid tenant claim"


@pytest.mark.parametrize("roles", ["tenantry.admin", [1], [["user"]], {"user": True}])
async def test_roles_that_are_not_a_list_of_strings_are_refused(
    hs_verifier: TokenVerifier, roles: Any
) -> None:
    assert await refused(hs_verifier, hs_token(claims(roles=roles))) == "invalid roles claim"


# ---------------------------------------------------------------- JWKS caching and rotation


async def test_a_rotated_in_key_is_picked_up_by_a_refetch_after_the_cooldown(
    rs_verifier: TokenVerifier,
    idp: FakeIdP,
    clock: FakeClock,
    key_a: rsa.RSAPrivateKey,
    key_b: rsa.RSAPrivateKey,
) -> None:
    await rs_verifier.verify(rs_token(claims(), key_a, kid="key-a"))
    idp.documents[JWKS_URL] = {"keys": [jwk_of(key_a, "key-a"), jwk_of(key_b, "key-b")]}

    clock.advance(61)
    principal = await rs_verifier.verify(rs_token(claims(exp=int(NOW) + 600), key_b, kid="key-b"))

    assert principal.tenant_id == TENANT
    assert idp.calls == [JWKS_URL, JWKS_URL]


async def test_a_retired_key_stops_working_once_the_cache_expires(
    rs_verifier: TokenVerifier,
    idp: FakeIdP,
    clock: FakeClock,
    key_a: rsa.RSAPrivateKey,
    key_b: rsa.RSAPrivateKey,
) -> None:
    long_lived = claims(exp=int(NOW) + 3600)
    await rs_verifier.verify(rs_token(long_lived, key_a, kid="key-a"))
    idp.documents[JWKS_URL] = {"keys": [jwk_of(key_b, "key-b")]}

    clock.advance(100)
    await rs_verifier.verify(rs_token(long_lived, key_a, kid="key-a"))  # still cached
    assert len(idp.calls) == 1

    clock.advance(201)
    assert await refused(rs_verifier, rs_token(long_lived, key_a, kid="key-a")) == (
        "unknown signing key"
    )
    assert len(idp.calls) == 2


async def test_a_burst_of_unknown_kids_causes_at_most_one_fetch_per_cooldown(
    rs_verifier: TokenVerifier, idp: FakeIdP, clock: FakeClock, key_a: rsa.RSAPrivateKey
) -> None:
    await rs_verifier.verify(rs_token(claims(), key_a, kid="key-a"))
    flood = [rs_token(claims(), key_a, kid=f"random-{i}") for i in range(50)]

    for token in flood[:25]:
        await refused(rs_verifier, token)
    assert len(idp.calls) == 1  # still inside the cool-down of the first fetch

    clock.advance(60)
    results = await asyncio.gather(
        *(rs_verifier.verify(token) for token in flood[25:]), return_exceptions=True
    )
    assert all(isinstance(result, AuthError) for result in results)
    assert len(idp.calls) == 2

    clock.advance(30)
    await refused(rs_verifier, flood[0])
    assert len(idp.calls) == 2


async def test_concurrent_verifications_share_one_in_flight_fetch(
    clock: FakeClock, key_a: rsa.RSAPrivateKey
) -> None:
    idp = FakeIdP({JWKS_URL: {"keys": [jwk_of(key_a, "key-a")]}}, delay=0.05)
    verifier = TokenVerifier(rs_settings(), jwks_fetcher=idp, clock=clock)
    token = rs_token(claims(), key_a, kid="key-a")

    principals = await asyncio.gather(*(verifier.verify(token) for _ in range(20)))

    assert {p.subject for p in principals} == {"user-123"}
    assert idp.calls == [JWKS_URL]


async def test_a_jwks_outage_does_not_wipe_the_cached_keys(
    rs_verifier: TokenVerifier, idp: FakeIdP, clock: FakeClock, key_a: rsa.RSAPrivateKey
) -> None:
    long_lived = claims(exp=int(NOW) + 3600)
    await rs_verifier.verify(rs_token(long_lived, key_a, kid="key-a"))

    idp.down = True
    clock.advance(301)  # the cache is stale; the refetch fails
    principal = await rs_verifier.verify(rs_token(long_lived, key_a, kid="key-a"))

    assert principal.tenant_id == TENANT
    assert len(idp.calls) == 2


async def test_a_malformed_jwks_response_does_not_wipe_the_cached_keys(
    rs_verifier: TokenVerifier, idp: FakeIdP, clock: FakeClock, key_a: rsa.RSAPrivateKey
) -> None:
    long_lived = claims(exp=int(NOW) + 3600)
    await rs_verifier.verify(rs_token(long_lived, key_a, kid="key-a"))

    idp.documents[JWKS_URL] = {"keys": [{"kty": "RSA", "kid": "key-a", "n": "!!", "e": "AQAB"}]}
    clock.advance(301)

    assert (await rs_verifier.verify(rs_token(long_lived, key_a, kid="key-a"))).subject
    assert len(idp.calls) == 2


async def test_with_the_jwks_unreachable_and_nothing_cached_tokens_are_refused(
    rs_verifier: TokenVerifier, idp: FakeIdP, key_a: rsa.RSAPrivateKey
) -> None:
    idp.down = True

    reason = await refused(rs_verifier, rs_token(claims(), key_a, kid="key-a"))

    assert reason == "signing keys unavailable"


async def test_jwks_entries_not_meant_for_rs256_signatures_are_ignored(
    clock: FakeClock, key_a: rsa.RSAPrivateKey
) -> None:
    idp = FakeIdP(
        {
            JWKS_URL: {
                "keys": [
                    {**jwk_of(key_a, "enc-key"), "use": "enc"},
                    {**jwk_of(key_a, "ps-key"), "alg": "PS256"},
                    jwk_of(key_a, "key-a"),
                ]
            }
        }
    )
    verifier = TokenVerifier(rs_settings(), jwks_fetcher=idp, clock=clock)

    assert await refused(verifier, rs_token(claims(), key_a, kid="enc-key")) == (
        "unknown signing key"
    )
    assert await refused(verifier, rs_token(claims(), key_a, kid="ps-key")) == (
        "unknown signing key"
    )
    assert (await verifier.verify(rs_token(claims(), key_a, kid="key-a"))).subject


# ---------------------------------------------------------------- configuration and dev tokens


@pytest.mark.parametrize(
    "settings",
    [
        pytest.param(lambda: hs_settings(jwt_secret_key=None), id="hs256-without-secret"),
        pytest.param(lambda: hs_settings(jwt_secret_key="short"), id="hs256-short-secret"),
        pytest.param(lambda: rs_settings(jwt_jwks_url=None), id="rs256-without-key-source"),
    ],
)
def test_a_verifier_that_could_verify_nothing_fails_at_construction(settings: Any) -> None:
    with pytest.raises(RuntimeError):
        TokenVerifier(settings())


async def test_a_dev_token_round_trips_through_the_verifier() -> None:
    settings = hs_settings()
    token = issue_dev_token(
        settings, tenant_id=TENANT, subject="dev", roles=["user", "tenantry.admin"]
    )

    principal = await TokenVerifier(settings).verify(token)

    assert principal.subject == "dev"
    assert principal.tenant_id == TENANT
    assert principal.roles == frozenset({"user", "tenantry.admin"})


async def test_an_expired_dev_token_is_refused() -> None:
    settings = hs_settings()
    token = issue_dev_token(settings, tenant_id=TENANT, lifetime_seconds=60)
    verifier = TokenVerifier(settings, clock=lambda: time.time() + 60 + 31)

    assert await refused(verifier, token) == "token expired"


@pytest.mark.parametrize(
    "settings",
    [
        pytest.param(lambda: rs_settings(), id="rs256"),
        pytest.param(lambda: hs_settings(jwt_secret_key=None), id="no-secret"),
    ],
)
def test_dev_tokens_need_hs256_and_a_secret(settings: Any) -> None:
    with pytest.raises(RuntimeError):
        issue_dev_token(settings(), tenant_id=TENANT)


async def test_a_verified_token_is_remembered_only_until_it_expires() -> None:
    now = [1_000_000.0]
    settings = Settings(jwt_algorithm="HS256", jwt_secret_key="s" * 40, jwt_leeway_seconds=0)
    verifier = TokenVerifier(settings, clock=lambda: now[0])
    claims = {
        "iss": settings.jwt_issuer,
        "aud": settings.jwt_audience,
        "sub": "u",
        "extension_tenantId": "contoso",
        "exp": now[0] + 60,
    }
    token = jwt.encode(claims, "s" * 40, algorithm="HS256")
    first = await verifier.verify(token)
    assert await verifier.verify(token) is first
    tampered = token[:-2] + ("AA" if token[-2:] != "AA" else "BB")
    with pytest.raises(AuthError):
        await verifier.verify(tampered)
    now[0] += 61
    with pytest.raises(AuthError, match="expired"):
        await verifier.verify(token)
