"""Every link the ingress hands out is absolute (API.md), built from `PUBLIC_BASE_URL`, else from
the request, trusting `X-Forwarded-*` only from `TRUSTED_PROXIES`; and every link is followable.

The matrix runs one flow that produces every kind of link (`Operation-Location`, `Location` on a
waited creation and on a webhook, `resourceLocation` in a job and in the job list, `Link` on
paged lists) under each way of deciding the base, and checks them all, so a route that forgets
to make its link absolute fails here whichever base is in force.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import httpx
import pytest

from ingress.links import is_trusted
from tests.harness import running, settings_for

FORWARDED = {"X-Forwarded-Proto": "https", "X-Forwarded-Host": "public.example.com"}
LINK = re.compile(r"<([^>]*)>")

CASES: list[tuple[str, dict[str, Any], dict[str, str], str]] = [
    ("request host", {}, {}, "http://tenantry"),
    ("forwarded by an untrusted peer", {}, FORWARDED, "http://tenantry"),
    (
        "forwarded by a trusted proxy",
        {"trusted_proxies": "10.0.0.0/8, 127.0.0.1"},
        FORWARDED,
        "https://public.example.com",
    ),
    (
        "a hostile forwarded host from a trusted proxy",
        {"trusted_proxies": "127.0.0.1"},
        {"X-Forwarded-Proto": "gopher", "X-Forwarded-Host": "evil.example/x?@"},
        "http://tenantry",
    ),
    (
        "public base url wins over everything",
        {"public_base_url": "https://api.example.com", "trusted_proxies": "127.0.0.1"},
        FORWARDED,
        "https://api.example.com",
    ),
    (
        "public base url with a path (a gateway prefix)",
        {"public_base_url": "https://gw.example.com/tenantry/"},
        {},
        "https://gw.example.com/tenantry",
    ),
]


def _links(response: httpx.Response) -> list[str]:
    found = [
        response.headers[name]
        for name in ("Operation-Location", "Location")
        if name in response.headers
    ]
    found += LINK.findall(response.headers.get("Link", ""))
    body = response.json() if response.content else None
    rows = body if isinstance(body, list) else [body]
    found += [
        row["resourceLocation"]
        for row in rows
        if isinstance(row, dict) and isinstance(row.get("resourceLocation"), str)
    ]
    return found


@pytest.mark.parametrize(
    ("overrides", "headers", "expected"),
    [case[1:] for case in CASES],
    ids=[case[0] for case in CASES],
)
async def test_every_link_is_absolute_on_the_expected_base_and_followable(
    tmp_path: Path, overrides: dict[str, Any], headers: dict[str, str], expected: str
) -> None:
    settings = settings_for(
        tmp_path, webhook_allow_hosts="127.0.0.1", webhook_require_https=False, **overrides
    )
    async with running(settings) as harness:
        auth = harness.auth("contoso") | headers
        client = harness.client
        responses = [await client.post("/agents/", headers=auth, json={"name": "a"})]
        waited = await client.post(
            "/agents/", headers=auth | {"Prefer": "wait=10"}, json={"name": "b"}
        )
        assert waited.status_code == 201
        responses.append(waited)
        first_job = responses[0].json()["id"]
        await harness.wait_for_jobs("contoso", [first_job])
        responses.append(await client.get(f"/jobs/{first_job}", headers=auth))
        responses.append(await client.get("/jobs", headers=auth, params={"limit": 1}))
        responses.append(await client.get("/agents/", headers=auth, params={"limit": 1}))
        hook = {"url": "http://127.0.0.1:9/hook", "events": ["job.succeeded"]}
        registered = await client.post("/webhooks", headers=auth, json=hook)
        assert registered.status_code == 201, registered.text
        responses.append(registered)

        links = [link for response in responses for link in _links(response)]
        kinds = {"/jobs/", "/agents/", "/webhooks/", "after="}
        assert all(any(kind in link for link in links) for kind in kinds), links
        for link in links:
            assert link.startswith(expected + "/"), (link, expected)
            # what the gateway or proxy at `expected` forwards to the ingress
            followed = await client.get(link.removeprefix(expected), headers=auth)
            assert followed.status_code == 200, (link, followed.text)


@pytest.mark.parametrize(
    ("peer", "setting", "trusted"),
    [
        ("127.0.0.1", "127.0.0.1", True),
        ("10.1.2.3", "10.0.0.0/8", True),
        ("10.1.2.3", "10.0.0.0/16", False),
        ("::1", "127.0.0.1, ::1", True),
        ("192.168.0.1", "", False),
        (None, "0.0.0.0/0", False),
        ("not-an-ip", "0.0.0.0/0", False),
    ],
)
def test_a_peer_is_trusted_only_when_inside_a_configured_network(
    peer: str | None, setting: str, trusted: bool
) -> None:
    assert is_trusted(peer, setting) is trusted
