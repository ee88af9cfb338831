"""Foundry agent names: each tenant's agents under a prefix of its own.

A name is `<prefix>-<8 hex of the tenant>-<agent id>`, at most 63 characters of letters, digits
and hyphens; its reference is `name:version`. A reference that does not carry the tenant's
prefix was not issued for that tenant, and the engine refuses it without calling Foundry.
"""

from __future__ import annotations

import hashlib
import re

from shared.ports.engine import EngineError

_NOT_ALLOWED = re.compile(r"[^a-z0-9]+")


def tenant_prefix(prefix: str, tenant_id: str) -> str:
    """`<prefix>-<8 hex of the tenant id>-`."""
    clean = _NOT_ALLOWED.sub("-", prefix.lower()).strip("-") or "tenantry"
    return f"{clean[:20]}-{hashlib.sha256(tenant_id.encode()).hexdigest()[:8]}-"


def agent_name(prefix: str, tenant_id: str, agent_id: str) -> str:
    """The Foundry name of a tenant's agent."""
    slug = _NOT_ALLOWED.sub("-", agent_id.lower()).strip("-")
    head = tenant_prefix(prefix, tenant_id)
    return (head + slug)[:63].rstrip("-")


def agent_reference(ref: str, prefix: str, tenant_id: str) -> tuple[str, str]:
    """`(name, version)` of a reference issued for this tenant, else `EngineError`."""
    name, _, version = ref.partition(":")
    if not name.startswith(tenant_prefix(prefix, tenant_id)) or not version:
        raise EngineError("the agent reference was not issued for this tenant")
    return name, version
