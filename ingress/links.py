"""Absolute URLs for the links the ingress hands out (`Operation-Location`, `Location`,
`resourceLocation`, `Link`), as Azure's clients expect them (API.md).

The base is `PUBLIC_BASE_URL` when it is set (the address clients use, behind any gateway);
otherwise the request's own scheme and `Host`. `X-Forwarded-Proto` and `X-Forwarded-Host` are
honoured only when the peer is one of `TRUSTED_PROXIES`: anyone else could otherwise make the
service hand its clients links to a host of their choosing.
"""

from __future__ import annotations

import ipaddress
import re
from functools import lru_cache
from typing import Any

from fastapi import Request

from shared.contracts.resources import Job

Network = ipaddress.IPv4Network | ipaddress.IPv6Network

HOST = re.compile(r"^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9](?:[A-Za-z0-9.\-]{0,252}))(:[0-9]{1,5})?$")
SCHEMES = ("http", "https")


@lru_cache(maxsize=16)
def trusted_networks(setting: str) -> tuple[Network, ...]:
    """The networks of a `TRUSTED_PROXIES` value: comma-separated addresses or CIDRs."""
    return tuple(
        ipaddress.ip_network(part.strip(), strict=False)
        for part in setting.split(",")
        if part.strip()
    )


def is_trusted(peer: str | None, setting: str) -> bool:
    """Whether the peer address is one of the trusted proxies."""
    if not peer or not setting:
        return False
    try:
        address = ipaddress.ip_address(peer)
    except ValueError:
        return False
    return any(address in network for network in trusted_networks(setting))


def _first(value: str | None) -> str | None:
    """The first (client-most) value of a comma-separated forwarded header."""
    if value is None:
        return None
    first = value.split(",", 1)[0].strip()
    return first or None


def base_url(request: Request) -> str:
    """The scheme and authority clients reach this service at, without a trailing slash."""
    settings = request.app.state.services.settings
    if settings.public_base_url:
        return str(settings.public_base_url).rstrip("/")
    scheme = request.url.scheme
    host = request.headers.get("host")
    peer = request.client.host if request.client else None
    if is_trusted(peer, settings.trusted_proxies):
        proto = _first(request.headers.get("x-forwarded-proto"))
        forwarded_host = _first(request.headers.get("x-forwarded-host"))
        if proto and proto.lower() in SCHEMES:
            scheme = proto.lower()
        if forwarded_host and HOST.match(forwarded_host):
            host = forwarded_host
    if not host or not HOST.match(host):
        server = request.scope.get("server") or ("localhost", None)
        host = server[0] if server[1] is None else f"{server[0]}:{server[1]}"
    return f"{scheme}://{host}"


def absolute(request: Request, path: str) -> str:
    """`path` (starting with `/`) as an absolute URL of this service; absolute URLs unchanged."""
    if "://" in path:
        return path
    return base_url(request) + path


def job_body(request: Request, job: Job | dict[str, Any]) -> dict[str, Any]:
    """A job as clients see it: its `resourceLocation` absolute."""
    body = (
        job.model_dump(mode="json", by_alias=True, exclude_none=True)
        if isinstance(job, Job)
        else dict(job)
    )
    location = body.get("resourceLocation")
    if isinstance(location, str):
        body["resourceLocation"] = absolute(request, location)
    return body
