"""Queue names and session ids: the bus layout every runtime and the infrastructure agree on."""

from __future__ import annotations

import zlib

COMMANDS = "commands"
"""Tenant commands, sessions keyed by tenant (or `tenant:lane`)."""

WEBHOOKS = "webhooks"
"""Webhook deliveries, sessions keyed by `tenant:endpoint`: a failing endpoint holds up no other."""


def session_for(tenant_id: str, *, lanes: int = 1, key: str | None = None) -> str:
    """The session a tenant's command goes to.

    With one lane it is the tenant id. With several, commands that share `key` (a thread id)
    share a lane, so they stay in order, and other keys spread over `tenant:lane`.
    """
    if lanes <= 1 or key is None:
        return tenant_id
    return f"{tenant_id}:{zlib.crc32(key.encode()) % lanes}"


def endpoint_session(tenant_id: str, endpoint_id: str) -> str:
    """The session of one webhook endpoint's deliveries."""
    return f"{tenant_id}:{endpoint_id}"


def tenant_of_session(session_id: str) -> str:
    """The tenant a session belongs to."""
    return session_id.split(":", 1)[0]
