"""Queue names and session ids: the bus layout every runtime and the infrastructure agree on."""

from __future__ import annotations

import zlib

COMMANDS = "commands"
"""Tenant commands, sessions keyed by tenant (or `tenant:lane`)."""

MAX_LANES = 64
"""The most lanes a tenant may have (`Tenant.lanes`): sessions `tenant:0` to `tenant:63`."""

WEBHOOKS = "webhooks"
"""Webhook deliveries, sessions keyed by `tenant:endpoint`: a failing endpoint holds up no other."""


def session_for(tenant_id: str, *, lanes: int = 1, key: str | None = None) -> str:
    """The session a tenant's command goes to.

    With one lane it is the tenant id. With several, commands that share `key` (see
    `shared.ordering`) share a lane, so they stay in order, and other keys spread over
    `tenant:0` ... `tenant:<lanes - 1>`. The lane is a stable hash of the key (CRC-32), the same
    in every process and runtime. A command without a key goes to the tenant's own session.
    """
    if lanes <= 1 or key is None:
        return tenant_id
    return f"{tenant_id}:{zlib.crc32(key.encode()) % min(lanes, MAX_LANES)}"


def is_command_session(session_id: str, tenant_id: str) -> bool:
    """Whether `session_id` is one of the tenant's sessions on the commands queue.

    That is the tenant id itself or one of its lanes, `tenant:<n>` with `n` below `MAX_LANES`
    (not only below the tenant's lanes now: commands sent before its lanes were reduced are
    still the tenant's). Anything else, another tenant's session or an endpoint's, is not.
    """
    if session_id == tenant_id:
        return True
    owner, separator, lane = session_id.rpartition(":")
    return (
        separator == ":"
        and owner == tenant_id
        and lane.isascii()
        and lane.isdigit()
        and str(int(lane)) == lane
        and int(lane) < MAX_LANES
    )


def endpoint_session(tenant_id: str, endpoint_id: str) -> str:
    """The session of one webhook endpoint's deliveries."""
    return f"{tenant_id}:{endpoint_id}"


def tenant_of_session(session_id: str) -> str:
    """The tenant a session belongs to (tenant ids never hold `:`; see `shared.tenancy`)."""
    return session_id.split(":", 1)[0]
