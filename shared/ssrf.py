"""The SSRF guard for webhook targets: a public https address, checked once, then connected to.

`check_target` parses the URL, resolves the host once and refuses it unless every address it
resolves to is public. The caller connects to `Target.address`, the address that was checked,
never to a second resolution of the name (no DNS rebinding). `WEBHOOK_ALLOW_HOSTS` names the
exceptions an operator allows for development: host names, or networks in CIDR notation.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import httpx

if TYPE_CHECKING:
    from shared.settings import Settings

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
Resolver = Callable[[str, int], Awaitable[list[IPAddress]]]
"""(host, port) -> the addresses the host resolves to; raises `OSError` if it does not."""

MAX_URL_LENGTH = 2048
CLOUD_METADATA = ipaddress.ip_address("169.254.169.254")
AZURE_PLATFORM = ipaddress.ip_address("168.63.129.16")
CGNAT = ipaddress.ip_network("100.64.0.0/10")
NAT64 = (ipaddress.ip_network("64:ff9b::/96"), ipaddress.ip_network("64:ff9b:1::/48"))


class TargetRefused(Exception):
    """A webhook URL the service will not call; `reason` says why in a few words."""

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(detail)
        self.reason = reason
        self.detail = detail


@dataclass(frozen=True)
class Target:
    """A checked webhook target: the URL as given and the address to connect to."""

    url: str
    scheme: str
    host: str
    port: int
    address: IPAddress


def refused_family(address: IPAddress) -> str | None:
    """Why an address may not be called (the family it is in), or None for a public address."""
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return "IPv4-mapped IPv6"
        if any(address in net for net in NAT64):
            return "NAT64"
    checks: list[tuple[bool, str]] = [
        (address == CLOUD_METADATA, "cloud metadata"),
        (address == AZURE_PLATFORM, "platform (Azure wire server)"),
        (address.is_unspecified, "unspecified"),
        (address.is_loopback, "loopback"),
        (address.is_link_local, "link-local"),
        (isinstance(address, ipaddress.IPv4Address) and address in CGNAT, "CGNAT"),
        (address.is_multicast, "multicast"),
        (address.is_reserved, "reserved"),
        (address.is_private, "private"),
        (not address.is_global, "reserved"),
    ]
    return next((family for matched, family in checks if matched), None)


@dataclass(frozen=True)
class TargetPolicy:
    """What targets are allowed: https only by default, public addresses, named exceptions."""

    require_https: bool = True
    allowed_hosts: frozenset[str] = frozenset()
    allowed_networks: tuple[IPNetwork, ...] = field(default_factory=tuple)

    @classmethod
    def parse(cls, allow_list: str, *, require_https: bool = True) -> TargetPolicy:
        """A policy from `WEBHOOK_ALLOW_HOSTS` (comma-separated hosts or CIDRs)."""
        hosts: set[str] = set()
        networks: list[IPNetwork] = []
        for entry in (part.strip() for part in allow_list.split(",")):
            if not entry:
                continue
            try:
                networks.append(ipaddress.ip_network(entry, strict=False))
            except ValueError:
                hosts.add(_normal_host(entry))
        return cls(require_https, frozenset(hosts), tuple(networks))

    @classmethod
    def from_settings(cls, settings: Settings) -> TargetPolicy:
        """The policy the settings describe."""
        return cls.parse(settings.webhook_allow_hosts, require_https=settings.webhook_require_https)

    def allows(self, host: str, address: IPAddress) -> bool:
        """Whether the operator named this host or a network holding this address."""
        return host in self.allowed_hosts or any(address in net for net in self.allowed_networks)


def _normal_host(host: str) -> str:
    return host.strip().lower().rstrip(".")


def parse_url(url: str, policy: TargetPolicy) -> tuple[str, str, int]:
    """Scheme, host and port of a webhook URL, or `TargetRefused` for a malformed or http one."""
    if len(url) > MAX_URL_LENGTH:
        raise TargetRefused("invalid", f"The URL is longer than {MAX_URL_LENGTH} characters.")
    try:
        parsed = httpx.URL(url)
    except (httpx.InvalidURL, TypeError) as exc:
        raise TargetRefused("invalid", "The URL is not valid.") from exc
    if parsed.scheme not in ("https", "http") or not parsed.host:
        raise TargetRefused("invalid", "The URL must be absolute, with https and a host.")
    if parsed.scheme == "http" and policy.require_https:
        raise TargetRefused(
            "insecure",
            "Webhook URLs must use https (for a local receiver over http, the operator sets "
            "WEBHOOK_REQUIRE_HTTPS=false).",
        )
    if parsed.userinfo:
        raise TargetRefused("invalid", "The URL must not carry credentials.")
    port = parsed.port or (443 if parsed.scheme == "https" else 80)
    return parsed.scheme, _normal_host(parsed.host), port


async def system_resolver(host: str, port: int) -> list[IPAddress]:
    """The addresses the operating system resolves `host` to (raises `OSError`)."""
    infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    found: list[IPAddress] = []
    for *_, sockaddr in infos:
        address = ipaddress.ip_address(str(sockaddr[0]).split("%", 1)[0])
        if address not in found:
            found.append(address)
    return found


async def _addresses(host: str, port: int, resolve: Resolver) -> list[IPAddress]:
    """An IP literal as it is; a name resolved once."""
    try:
        return [ipaddress.ip_address(host)]
    except ValueError:
        pass
    try:
        addresses = await resolve(host, port)
    except OSError as exc:
        raise TargetRefused("unresolvable", f"The host '{host}' cannot be resolved.") from exc
    if not addresses:
        raise TargetRefused("unresolvable", f"The host '{host}' has no address.")
    return addresses


async def check_target(
    url: str, policy: TargetPolicy, resolve: Resolver = system_resolver
) -> Target:
    """The checked target of `url`, or `TargetRefused` saying which rule refused it.

    An IP literal is checked as it is; a name is resolved once, and every address it resolves
    to must be allowed (one private answer among public ones is enough to refuse it).
    """
    scheme, host, port = parse_url(url, policy)
    addresses = await _addresses(host, port, resolve)
    for address in addresses:
        family = refused_family(address)
        if family is not None and not policy.allows(host, address):
            raise TargetRefused(
                family,
                f"The host '{host}' is a {family} address; webhooks may not call it unless the "
                "operator allows it in WEBHOOK_ALLOW_HOSTS.",
            )
    return Target(url=url, scheme=scheme, host=host, port=port, address=addresses[0])
