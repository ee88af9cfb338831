"""Webhook endpoints: a tenant's registrations, kept in its partition (the secret is not)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field

from shared.contracts.resources import without_store_fields
from shared.ids import new_id
from shared.optimistic import replace_if_unchanged
from shared.ports.store import ETAG, EtagMismatch, TenantStore
from shared.tenancy import TenantScope
from shared.webhooks.events import EventType
from shared.webhooks.signing import (
    Keyring,
    SigningKey,
    load_keyring,
    new_key_id,
    new_secret,
    save_keyring,
    secret_name,
)

ENDPOINTS = "webhooks"


class Endpoint(BaseModel):
    """One registered endpoint as stored."""

    id: str
    url: str
    events: list[EventType]
    description: str = ""
    status: Literal["enabled", "disabled"] = "enabled"
    disabled_reason: str | None = None
    created_at: int
    secret_rotated_at: int | None = None
    key_id: str = Field(default_factory=new_key_id)
    """Which of its keyrings signs (see `shared.webhooks.signing`)."""

    def subscribes_to(self, event_type: str) -> bool:
        """Whether this endpoint wants events of this type and is enabled."""
        return self.status == "enabled" and event_type in self.events

    def present(self, tenant_id: str) -> dict[str, Any]:
        """The endpoint as a client sees it."""
        return {
            "object": "webhook_endpoint",
            **self.model_dump(mode="json", exclude_none=True, exclude={"key_id"}),
            "metadata": {"tenantId": tenant_id},
        }


def _endpoint(doc: dict[str, Any]) -> Endpoint:
    return Endpoint.model_validate(without_store_fields(doc))


async def count(store: TenantStore, limit: int) -> int:
    """How many endpoints the tenant has (counting stops past `limit`)."""
    return len((await store.list(ENDPOINTS, limit=limit + 1)).items)


async def register(
    scope: TenantScope, url: str, events: list[EventType], description: str, now: int
) -> tuple[Endpoint, str]:
    """Create an endpoint and its secret; the secret is returned once and kept only as a secret.

    The secret is written first, so an endpoint never exists without one.
    """
    endpoint = Endpoint(
        id=new_id("wh"),
        url=url,
        events=sorted(set(events)),
        description=description,
        created_at=now,
    )
    secret = new_secret()
    ring = Keyring(keys=[SigningKey(secret=secret)])
    await save_keyring(scope.secrets, endpoint.id, endpoint.key_id, ring)
    await scope.store.create(ENDPOINTS, endpoint.model_dump(mode="json"))
    return endpoint, secret


async def get(store: TenantStore, endpoint_id: str) -> Endpoint | None:
    """The tenant's endpoint, or None."""
    doc = await store.get(ENDPOINTS, endpoint_id)
    return None if doc is None else _endpoint(doc)


async def listing(
    store: TenantStore, *, limit: int, after: str | None = None
) -> tuple[list[Endpoint], str | None]:
    """A page of the tenant's endpoints, newest first, and the next cursor."""
    page = await store.list(ENDPOINTS, limit=limit, after=after)
    return [_endpoint(doc) for doc in page.items], page.next_cursor


async def enabled(store: TenantStore, *, limit: int = 100) -> list[Endpoint]:
    """The tenant's enabled endpoints (there are at most `webhook_max_endpoints`)."""
    page = await store.list(ENDPOINTS, where={"status": "enabled"}, limit=limit)
    return [_endpoint(doc) for doc in page.items]


async def delete(scope: TenantScope, endpoint_id: str) -> bool:
    """Remove the endpoint, then its keyring; False if the tenant has no such endpoint."""
    endpoint = await get(scope.store, endpoint_id)
    if endpoint is None or not await scope.store.delete(ENDPOINTS, endpoint_id):
        return False
    await scope.secrets.delete(secret_name(endpoint_id, endpoint.key_id))
    return True


async def disable(store: TenantStore, endpoint_id: str, reason: str) -> None:
    """Stop deliveries to the endpoint (a 410 from it, for instance), saying why."""
    for _ in range(5):
        doc = await store.get(ENDPOINTS, endpoint_id)
        if doc is None or doc.get("status") == "disabled":
            return
        changed = _endpoint(doc).model_copy(
            update={"status": "disabled", "disabled_reason": reason}
        )
        if await replace_if_unchanged(store, ENDPOINTS, changed.model_dump(mode="json"), doc):
            return


class RotationConflict(Exception):
    """Another rotation of the same endpoint won the race; nothing of this one took effect."""


async def rotate(scope: TenantScope, endpoint_id: str, now: int, overlap_seconds: float) -> str:
    """Give the endpoint a new secret; the old one keeps signing for `overlap_seconds`.

    The new ring is written under a new key id, then the endpoint is moved to it only if no one
    changed it meanwhile (else `RotationConflict`, and the new ring is removed), then the ring
    before is removed. Raises `KeyError` if the tenant has no such endpoint.
    """
    doc = await scope.store.get(ENDPOINTS, endpoint_id)
    if doc is None:
        raise KeyError(endpoint_id)
    endpoint = _endpoint(doc)
    ring = await load_keyring(scope.secrets, endpoint.id, endpoint.key_id) or Keyring(keys=[])
    secret, key_id = new_secret(), new_key_id()
    await save_keyring(
        scope.secrets, endpoint.id, key_id, ring.rotated(secret, now, overlap_seconds)
    )
    moved = endpoint.model_copy(update={"secret_rotated_at": now, "key_id": key_id})
    try:
        await scope.store.replace(ENDPOINTS, moved.model_dump(mode="json"), if_match=doc[ETAG])
    except EtagMismatch as exc:
        await scope.secrets.delete(secret_name(endpoint.id, key_id))
        raise RotationConflict(endpoint_id) from exc
    await scope.secrets.delete(secret_name(endpoint.id, endpoint.key_id))
    return secret
