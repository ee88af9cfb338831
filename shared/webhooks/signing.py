"""Webhook signing secrets (`whsec_...`) and Standard Webhooks signatures.

An endpoint's secrets live in the tenant's secret store, never in a read model, as a keyring:
the current secret and, during the overlap after a rotation, the previous ones with their
expiry. Every key of the ring that has not expired signs, so a receiver that knows either the
old or the new secret verifies the same delivery.

Each rotation writes the ring under a new name (a fresh key id), and the endpoint's record, read
fresh for every delivery, names it: a secret store that caches values (Key Vault's adapter does)
can never hand a worker the ring from before a rotation, and two racing rotations never write
the same secret.
"""

from __future__ import annotations

import base64
import math
import secrets
from datetime import UTC, datetime

from pydantic import BaseModel
from standardwebhooks import Webhook

from shared.ports.secrets import SecretMissing, TenantSecrets

SECRET_PREFIX = "whsec_"  # noqa: S105 - the Standard Webhooks prefix, not a secret
SECRET_BYTES = 32


def new_secret() -> str:
    """A fresh signing secret: `whsec_` and 32 random bytes in base64."""
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(SECRET_BYTES)).decode()


class SigningKey(BaseModel):
    secret: str
    expires_at: float | None = None
    """Unix time after which this key no longer signs; None for the current key."""


class Keyring(BaseModel):
    """The keys of one endpoint, the current one first."""

    keys: list[SigningKey]

    def signing(self, now: float) -> list[str]:
        """The secrets that sign at `now`."""
        return [k.secret for k in self.keys if k.expires_at is None or k.expires_at > now]

    def rotated(self, secret: str, now: float, overlap_seconds: float) -> Keyring:
        """A ring where `secret` is current and the keys signing now keep signing a while."""
        until = now + overlap_seconds
        previous = [
            SigningKey(secret=k.secret, expires_at=min(k.expires_at or until, until))
            for k in self.keys
            if (k.expires_at is None or k.expires_at > now) and overlap_seconds > 0
        ]
        return Keyring(keys=[SigningKey(secret=secret), *previous])


def new_key_id() -> str:
    """A fresh name part for a keyring written by a registration or a rotation."""
    return secrets.token_hex(6)


def secret_name(endpoint_id: str, key_id: str) -> str:
    """The name of one of an endpoint's keyrings in the tenant's secrets (Key Vault's
    alphabet: letters, digits and dashes)."""
    return f"webhook-{endpoint_id.replace('_', '-')}-{key_id}"


async def load_keyring(store: TenantSecrets, endpoint_id: str, key_id: str) -> Keyring | None:
    """The endpoint's keyring of that id, or None if there is none."""
    try:
        return Keyring.model_validate_json(await store.get(secret_name(endpoint_id, key_id)))
    except SecretMissing:
        return None


async def save_keyring(store: TenantSecrets, endpoint_id: str, key_id: str, ring: Keyring) -> None:
    """Write one of the endpoint's keyrings."""
    await store.set(secret_name(endpoint_id, key_id), ring.model_dump_json())


def signed_headers(webhook_id: str, at: datetime, body: str, keys: list[str]) -> dict[str, str]:
    """The Standard Webhooks headers for `body`: one `v1,` signature per key, space-separated."""
    at = at.astimezone(UTC)
    return {
        "webhook-id": webhook_id,
        "webhook-timestamp": str(math.floor(at.timestamp())),
        "webhook-signature": " ".join(Webhook(key).sign(webhook_id, at, body) for key in keys),
    }
