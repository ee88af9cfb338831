"""`Idempotency-Key`: the same key and body return the original job, for at least 24 hours."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from ingress.problems import Problem
from shared.contracts.errors import ErrorCode
from shared.ports.store import ETAG, EtagMismatch, TenantStore

KEYS = "idempotency"
STALE_ACCEPTING = timedelta(seconds=30)
"""A reservation still 'accepting' after this was left by a crashed request: take it over."""


def request_hash(command_type: str, data: dict[str, Any]) -> str:
    """A fingerprint of what was asked, to tell a retry from a different request."""
    canonical = json.dumps([command_type, data], sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def check_key(key: str) -> str:
    """Refuse keys that are empty, too long, or not printable ASCII."""
    if not 0 < len(key) <= 255 or not key.isascii() or not key.isprintable():
        raise Problem(
            400,
            "InvalidIdempotencyKey",
            "Idempotency-Key must be 1 to 255 printable ASCII characters.",
        )
    return key


@dataclass(frozen=True)
class Reservation:
    """A key's claim on a job id; `replay` when the key was already accepted before."""

    doc_id: str
    job_id: str
    replay: bool


async def reserve(
    store: TenantStore, key: str, fingerprint: str, job_id: str, now: datetime, retention: timedelta
) -> Reservation:
    """Claim the key for a new job, or find the job it already names (409/422 as API.md says)."""
    doc_id = "idem_" + hashlib.sha256(key.encode()).hexdigest()
    fresh = {
        "id": doc_id,
        "request": fingerprint,
        "job_id": job_id,
        "state": "accepting",
        "at": now.isoformat(),
    }
    stored, is_new = await store.create_if_absent(KEYS, fresh)
    if is_new:
        return Reservation(doc_id, job_id, replay=False)
    age = now - datetime.fromisoformat(stored["at"])
    if age > retention:
        return await _take_over(store, stored, fresh, Reservation(doc_id, job_id, replay=False))
    if stored["request"] != fingerprint:
        raise Problem(
            422, "IdempotencyKeyReused", "This Idempotency-Key was used with a different request."
        )
    if stored["state"] == "accepted":
        return Reservation(doc_id, stored["job_id"], replay=True)
    if age < STALE_ACCEPTING:
        raise Problem.of(
            ErrorCode.CONFLICT,
            "A request with this Idempotency-Key is still being accepted.",
            headers={"Retry-After": "1"},
        )
    # the first request died while accepting: finish it under the same job id
    taken = {**fresh, "job_id": stored["job_id"]}
    return await _take_over(store, stored, taken, Reservation(doc_id, stored["job_id"], False))


async def _take_over(
    store: TenantStore, stored: dict[str, Any], doc: dict[str, Any], reservation: Reservation
) -> Reservation:
    try:
        await store.replace(KEYS, doc, if_match=str(stored[ETAG]))
    except EtagMismatch as exc:
        raise Problem.of(
            ErrorCode.CONFLICT,
            "A request with this Idempotency-Key is still being accepted.",
            headers={"Retry-After": "1"},
        ) from exc
    return reservation


async def confirm(store: TenantStore, reservation: Reservation, now: datetime) -> None:
    """The command is enqueued and its job recorded: later requests replay it."""
    doc = await store.get(KEYS, reservation.doc_id)
    if doc is not None and doc.get("state") != "accepted":
        await store.upsert(
            KEYS,
            {
                **{k: v for k, v in doc.items() if k != ETAG},
                "state": "accepted",
                "at": now.isoformat(),
            },
        )


async def release(store: TenantStore, reservation: Reservation) -> None:
    """Nothing was enqueued: forget the key so a retry starts afresh."""
    await store.delete(KEYS, reservation.doc_id)
