"""A cache of the identity provider's RS256 signing keys (its JWKS), for `shared.tokens`.

Keys are looked up by `kid` only; a `kid` is never turned into a path or a URL. The key set is
fetched off the event loop, cached for `jwks_cache_seconds`, refetched for an unknown `kid` at most
once per `jwks_refetch_cooldown_seconds`, and kept when a fetch fails.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
from collections.abc import Callable, Mapping
from typing import Any

import httpx
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPublicKey
from jwt.algorithms import RSAAlgorithm

__all__ = ["JwksCache", "JwksFetcher", "fetch_json", "is_well_formed_kid"]

logger = logging.getLogger(__name__)

JwksFetcher = Callable[[str], dict[str, Any]]
"""Fetch a JSON document (a JWKS or an OpenID configuration) from a URL; runs in a worker thread."""

_KID_PATTERN = re.compile(r"[A-Za-z0-9_\-.+=]{1,128}")
_MIN_RSA_BITS = 2048
_MAX_DOCUMENT_BYTES = 1024 * 1024
_FETCH_TIMEOUT_SECONDS = 5.0


def is_well_formed_kid(kid: object) -> bool:
    """Whether `kid` looks like a key id: short, URL-safe characters, nothing path-like."""
    return (
        isinstance(kid, str)
        and _KID_PATTERN.fullmatch(kid) is not None
        and ".." not in kid
        and not kid.startswith(".")
    )


def fetch_json(url: str) -> dict[str, Any]:
    """GET `url` (no redirects, short timeout, bounded size) and return its JSON object."""
    with (
        httpx.Client(timeout=_FETCH_TIMEOUT_SECONDS, follow_redirects=False) as client,
        client.stream("GET", url, headers={"Accept": "application/json"}) as response,
    ):
        response.raise_for_status()
        body = bytearray()
        for chunk in response.iter_bytes():
            body.extend(chunk)
            if len(body) > _MAX_DOCUMENT_BYTES:
                raise ValueError("document too large")
    document = json.loads(bytes(body))
    if not isinstance(document, dict):
        raise ValueError("document is not a JSON object")
    return document


def _parse_jwks(document: object) -> dict[str, RSAPublicKey]:
    """The usable RS256 verification keys of a JWKS document, by `kid`; unusable entries skipped."""
    if not isinstance(document, Mapping) or not isinstance(document.get("keys"), list):
        raise ValueError("not a JWKS document")
    keys: dict[str, RSAPublicKey] = {}
    for entry in document["keys"]:
        if not isinstance(entry, Mapping) or entry.get("kty") != "RSA":
            continue
        kid = entry.get("kid")
        if not is_well_formed_kid(kid) or entry.get("use", "sig") != "sig":
            continue
        if entry.get("alg", "RS256") != "RS256":
            continue
        try:
            # Only the public parts: a private exponent published by mistake is never used.
            key = RSAAlgorithm.from_jwk({"kty": "RSA", "n": entry["n"], "e": entry["e"]})
        except Exception:  # noqa: S112 - one malformed entry must not spoil the set
            continue
        if isinstance(key, RSAPublicKey) and key.key_size >= _MIN_RSA_BITS:
            keys[str(kid)] = key
    if not keys:
        raise ValueError("JWKS holds no usable RS256 key")
    return keys


class JwksCache:
    """RS256 public keys by `kid`, fetched from a JWKS URL (given, or found by OpenID discovery).

    A fetch happens when the cache is empty, stale or lacks the `kid`, and at most once per
    `refetch_cooldown_seconds` (successful or not). Concurrent lookups share one in-flight fetch.
    A failed fetch keeps the keys already held.
    """

    def __init__(
        self,
        *,
        jwks_url: str | None,
        openid_config_url: str | None,
        fetcher: JwksFetcher,
        clock: Callable[[], float],
        cache_seconds: float,
        refetch_cooldown_seconds: float,
    ) -> None:
        if not jwks_url and not openid_config_url:
            raise ValueError("a JWKS URL or an OpenID configuration URL is required")
        self._jwks_url = jwks_url or None
        self._openid_config_url = openid_config_url
        self._fetcher = fetcher
        self._clock = clock
        self._cache_seconds = cache_seconds
        self._cooldown_seconds = refetch_cooldown_seconds
        self._keys: dict[str, RSAPublicKey] = {}
        self._fetched_at: float | None = None
        self._attempted_at: float | None = None
        self._inflight: asyncio.Task[None] | None = None
        self._discovered_jwks_url: str | None = None

    @property
    def has_keys(self) -> bool:
        """Whether any key is held (possibly stale, kept through a failed fetch)."""
        return bool(self._keys)

    async def get_key(self, kid: str) -> RSAPublicKey | None:
        """The key named `kid`, refetching the set if allowed; None if it is not known."""
        if not is_well_formed_kid(kid):
            return None
        now = self._clock()
        fresh = self._fetched_at is not None and now - self._fetched_at < self._cache_seconds
        if fresh and kid in self._keys:
            return self._keys[kid]
        task = self._current_fetch()
        if task is None and (
            self._attempted_at is None or now - self._attempted_at >= self._cooldown_seconds
        ):
            self._attempted_at = now
            task = asyncio.ensure_future(self._refresh())
            self._inflight = task
        if task is not None:
            # Shielded: one caller giving up must not cancel the fetch the others wait on.
            await asyncio.shield(task)
        return self._keys.get(kid)

    def _current_fetch(self) -> asyncio.Task[None] | None:
        task = self._inflight
        if task is None or task.done() or task.get_loop() is not asyncio.get_running_loop():
            return None
        return task

    async def _refresh(self) -> None:
        try:
            keys = await asyncio.to_thread(self._fetch_keys)
        except Exception as exc:
            logger.warning("JWKS fetch failed (%s); keeping %d cached keys", exc, len(self._keys))
            self._discovered_jwks_url = None
            return
        finally:
            self._inflight = None
        self._keys = keys
        self._fetched_at = self._clock()

    def _fetch_keys(self) -> dict[str, RSAPublicKey]:
        """Runs in a worker thread: resolve the JWKS URL if needed, fetch and parse the set."""
        url = self._jwks_url or self._discovered_jwks_url
        if url is None:
            assert self._openid_config_url is not None
            config = self._fetcher(self._openid_config_url)
            jwks_uri = config.get("jwks_uri") if isinstance(config, Mapping) else None
            if not isinstance(jwks_uri, str) or not jwks_uri.startswith(("https://", "http://")):
                raise ValueError("OpenID configuration has no usable jwks_uri")
            url = self._discovered_jwks_url = jwks_uri
        return _parse_jwks(self._fetcher(url))
