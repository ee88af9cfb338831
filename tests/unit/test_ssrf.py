"""The SSRF guard: every refused address family, names that resolve to them, redirects, rebinding.

Refusals are checked twice: by `check_target` itself, and through the dispatcher with a network
backend that records every connection it opens, to show that nothing was contacted.
"""

from __future__ import annotations

import ipaddress
from collections.abc import AsyncIterator, Iterable
from pathlib import Path
from typing import Any

import httpcore
import pytest

from shared.bootstrap import Services, bootstrap
from shared.ssrf import IPAddress, TargetPolicy, TargetRefused, check_target
from shared.webhooks import deliveries
from tests.delivery import Delivery
from tests.webhook_receiver import Answer, Receiver
from tests.webhook_support import message_for, register, webhook_settings
from workers.webhooks.dispatcher import Dispatcher

REFUSED = [
    ("https://127.0.0.1/hook", "loopback"),
    ("https://127.1.2.3/hook", "loopback"),
    ("https://[::1]/hook", "loopback"),
    ("https://10.0.0.1/hook", "private"),
    ("https://172.16.5.4/hook", "private"),
    ("https://192.168.1.1/hook", "private"),
    ("https://[fd00::1]/hook", "private"),
    ("https://169.254.10.10/hook", "link-local"),
    ("https://[fe80::1]/hook", "link-local"),
    ("https://100.64.0.1/hook", "CGNAT"),
    ("https://100.127.255.254/hook", "CGNAT"),
    ("https://224.0.0.1/hook", "multicast"),
    ("https://[ff02::1]/hook", "multicast"),
    ("https://[::ffff:127.0.0.1]/hook", "IPv4-mapped IPv6"),
    ("https://[::ffff:10.0.0.1]/hook", "IPv4-mapped IPv6"),
    ("https://[::ffff:8.8.8.8]/hook", "IPv4-mapped IPv6"),
    ("https://[64:ff9b::a00:1]/hook", "NAT64"),
    ("https://169.254.169.254/latest/meta-data", "cloud metadata"),
    ("https://168.63.129.16/machine", "platform (Azure wire server)"),
    ("https://0.0.0.0/hook", "unspecified"),
    ("https://[::]/hook", "unspecified"),
    ("https://240.0.0.1/hook", "reserved"),
    ("https://255.255.255.255/hook", "reserved"),
]


def resolver(table: dict[str, list[str]]) -> Any:
    """A resolver answering from `table`, counting its calls."""
    calls: list[str] = []

    async def resolve(host: str, port: int) -> list[IPAddress]:
        calls.append(host)
        if host not in table:
            raise OSError(f"unknown host {host}")
        return [ipaddress.ip_address(a) for a in table[host]]

    resolve.calls = calls  # type: ignore[attr-defined]
    return resolve


class RecordingBackend(httpcore.AsyncNetworkBackend):
    """The real network, with a record of every TCP connection opened."""

    def __init__(self) -> None:
        self.connected: list[tuple[str, int]] = []
        self._inner = httpcore.AnyIOBackend()

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        self.connected.append((host, port))
        return await self._inner.connect_tcp(host, port, timeout=timeout)

    async def sleep(self, seconds: float) -> None:
        await self._inner.sleep(seconds)


@pytest.mark.parametrize(("url", "family"), REFUSED)
async def test_every_refused_address_family_is_refused_by_name(url: str, family: str) -> None:
    with pytest.raises(TargetRefused) as refused:
        await check_target(url, TargetPolicy())
    assert refused.value.reason == family


async def test_plain_http_is_refused_unless_the_operator_turns_https_off() -> None:
    with pytest.raises(TargetRefused) as refused:
        await check_target("http://93.184.216.34/hook", TargetPolicy())
    assert refused.value.reason == "insecure"
    target = await check_target("http://93.184.216.34/hook", TargetPolicy(require_https=False))
    assert str(target.address) == "93.184.216.34"


async def test_a_public_address_is_allowed_and_is_the_address_to_connect_to() -> None:
    target = await check_target(
        "https://hooks.example.com:8443/x?y=1",
        TargetPolicy(),
        resolver({"hooks.example.com": ["93.184.216.34"]}),
    )
    assert (target.host, target.port, str(target.address)) == (
        "hooks.example.com",
        8443,
        "93.184.216.34",
    )


async def test_a_name_that_resolves_to_a_private_address_is_refused() -> None:
    with pytest.raises(TargetRefused) as refused:
        await check_target(
            "https://intranet.example.com/hook",
            TargetPolicy(),
            resolver({"intranet.example.com": ["10.1.2.3"]}),
        )
    assert refused.value.reason == "private"


async def test_one_private_answer_among_public_ones_is_enough_to_refuse() -> None:
    table = {"mixed.example.com": ["93.184.216.34", "169.254.169.254"]}
    with pytest.raises(TargetRefused) as refused:
        await check_target("https://mixed.example.com/hook", TargetPolicy(), resolver(table))
    assert refused.value.reason == "cloud metadata"


async def test_numeric_spellings_of_loopback_are_resolved_and_refused() -> None:
    for url in ("https://2130706433/hook", "https://0x7f000001/hook", "https://localhost/"):
        with pytest.raises(TargetRefused) as refused:
            await check_target(url, TargetPolicy())
        assert refused.value.reason == "loopback", url


async def test_credentials_and_unresolvable_hosts_are_refused() -> None:
    with pytest.raises(TargetRefused):
        await check_target("https://user:pw@93.184.216.34/", TargetPolicy())
    with pytest.raises(TargetRefused) as refused:
        await check_target("https://nowhere.invalid/", TargetPolicy(), resolver({}))
    assert refused.value.reason == "unresolvable"


async def test_the_allow_list_admits_hosts_by_name_and_networks_by_cidr() -> None:
    policy = TargetPolicy.parse("hooks.internal, 10.20.0.0/16 ,", require_https=False)
    table = {"hooks.internal": ["10.9.9.9"], "other.internal": ["10.9.9.9"]}
    assert str((await check_target("http://hooks.internal/", policy, resolver(table))).address)
    assert str((await check_target("http://10.20.1.2/", policy)).address) == "10.20.1.2"
    with pytest.raises(TargetRefused):
        await check_target("http://other.internal/", policy, resolver(table))
    with pytest.raises(TargetRefused):
        await check_target("http://10.21.0.1/", policy)


# --- through the dispatcher: nothing is contacted ------------------------------------------


@pytest.fixture
async def services(tmp_path: Path) -> AsyncIterator[Services]:
    built = bootstrap(
        webhook_settings(tmp_path, webhook_require_https=True, webhook_allow_hosts="")
    )
    yield built
    await built.close()


@pytest.mark.parametrize(("url", "family"), REFUSED)
async def test_the_dispatcher_contacts_no_refused_address(
    services: Services, url: str, family: str
) -> None:
    network = RecordingBackend()
    endpoint, _ = await register(services, "contoso", url)
    message = message_for("contoso", endpoint)

    settlement = await Dispatcher(services, network_backend=network).process(Delivery.of(message))

    assert settlement.action == "complete"  # a retry is scheduled instead
    assert network.connected == []
    logged = await deliveries.get(services.store.for_tenant("contoso"), message.delivery_id)
    assert logged is not None and logged.status == "pending"
    assert logged.attempts[-1].error is not None and family in logged.attempts[-1].error


async def test_a_loopback_receiver_not_on_the_allow_list_receives_nothing(
    services: Services,
) -> None:
    with Receiver() as receiver:
        endpoint, _ = await register(services, "contoso", receiver.url.replace("http", "https"))
        await Dispatcher(services).process(Delivery.of(message_for("contoso", endpoint)))
    assert receiver.requests == []


async def test_a_name_resolving_to_a_private_address_is_not_contacted(
    services: Services,
) -> None:
    network = RecordingBackend()
    services.resolver = resolver({"hooks.example.com": ["192.168.7.7"]})
    endpoint, _ = await register(services, "contoso", "https://hooks.example.com/hook")
    message = message_for("contoso", endpoint)

    await Dispatcher(services, network_backend=network).process(Delivery.of(message))

    assert network.connected == []
    logged = await deliveries.get(services.store.for_tenant("contoso"), message.delivery_id)
    assert logged is not None and "private" in (logged.attempts[-1].error or "")


async def test_a_redirect_to_a_private_address_is_not_followed(tmp_path: Path) -> None:
    services = bootstrap(webhook_settings(tmp_path, webhook_allow_hosts="127.0.0.1"))
    with Receiver("127.0.0.2") as inside, Receiver() as outside:
        outside.answer(Answer(302, {"Location": inside.url}))
        endpoint, _ = await register(services, "contoso", outside.url)
        message = message_for("contoso", endpoint)
        await Dispatcher(services).process(Delivery.of(message))
    assert len(outside.requests) == 1
    assert inside.requests == []
    logged = await deliveries.get(services.store.for_tenant("contoso"), message.delivery_id)
    assert logged is not None and logged.status == "pending"
    assert logged.attempts[-1].status_code == 302
    assert "not followed" in (logged.attempts[-1].error or "")
    await services.close()


async def test_the_connection_goes_to_the_checked_address_even_if_the_name_rebinds(
    tmp_path: Path,
) -> None:
    services = bootstrap(webhook_settings(tmp_path, webhook_allow_hosts="hooks.test"))
    answers = iter([["127.0.0.1"], ["10.6.6.6"], ["10.6.6.6"]])

    async def rebinding(host: str, port: int) -> list[IPAddress]:
        return [ipaddress.ip_address(a) for a in next(answers)]

    services.resolver = rebinding
    network = RecordingBackend()
    with Receiver() as receiver:
        endpoint, secret = await register(
            services, "contoso", f"http://hooks.test:{receiver.port}/"
        )
        await Dispatcher(services, network_backend=network).process(
            Delivery.of(message_for("contoso", endpoint))
        )
    [received] = receiver.requests
    assert network.connected == [("127.0.0.1", receiver.port)]
    assert received.headers["host"] == f"hooks.test:{receiver.port}"
    received.verify(secret)
    await services.close()
