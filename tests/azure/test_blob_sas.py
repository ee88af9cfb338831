"""User-delegation SAS: a token never claims an expiry its signing key does not have.

Through the SDK's HTTP transport: the delegation-key service echoes the expiry asked for, or
refuses, as the test says; every SAS issued is checked against the key that signed it.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs

import pytest
from azure.core.exceptions import HttpResponseError
from azure.storage.blob.aio import BlobServiceClient

from shared.adapters.azure.blob_sas import UserDelegationSas
from tests.azure.transport import Answer, RecordingTransport, Sent, StaticToken

REFUSED = (
    b"<?xml version='1.0' encoding='utf-8'?><Error><Code>AuthorizationFailure</Code>"
    b"<Message>This request is not authorized.</Message></Error>"
)


class DelegationKeys:
    """Grants a key for exactly the window asked for, unless told to refuse the next request."""

    def __init__(self) -> None:
        self.refuse_next = False

    def __call__(self, sent: Sent) -> Answer:
        if self.refuse_next:
            self.refuse_next = False
            return Answer(403, REFUSED, {"content-type": "application/xml"})
        body = sent.body.decode()
        start = re.search(r"<Start>(.*?)</Start>", body)
        expiry = re.search(r"<Expiry>(.*?)</Expiry>", body)
        assert start and expiry
        xml = (
            "<?xml version='1.0' encoding='utf-8'?><UserDelegationKey>"
            "<SignedOid>11111111-1111-1111-1111-111111111111</SignedOid>"
            "<SignedTid>22222222-2222-2222-2222-222222222222</SignedTid>"
            f"<SignedStart>{start.group(1)}</SignedStart>"
            f"<SignedExpiry>{expiry.group(1)}</SignedExpiry>"
            "<SignedService>b</SignedService><SignedVersion>2025-01-05</SignedVersion>"
            "<Value>c2lnbmluZy1rZXktb2YtdGhlLWRlbGVnYXRpb24=</Value></UserDelegationKey>"
        )
        return Answer(200, xml.encode(), {"content-type": "application/xml"})


def _when(stamp: str) -> datetime:
    return datetime.strptime(stamp, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)


def assert_key_outlives_token(sas: str) -> None:
    fields = {k: v[0] for k, v in parse_qs(sas).items()}
    assert _when(fields["se"]) <= _when(fields["ske"]), fields


async def test_after_a_refused_key_refresh_the_next_token_gets_a_key_that_outlives_it() -> None:
    keys = DelegationKeys()
    transport = RecordingTransport(keys)
    client = BlobServiceClient(
        "https://tenantry.blob.core.windows.net", credential=StaticToken(), transport=transport
    )
    issuer = UserDelegationSas(client, key_hours=1.0)
    now = datetime.now(UTC)
    assert_key_outlives_token(await issuer.container_sas("t-a-1", now + timedelta(minutes=15)))

    beyond_the_key = now + timedelta(hours=2)
    keys.refuse_next = True
    with pytest.raises(HttpResponseError):
        await issuer.container_sas("t-a-1", beyond_the_key)
    sas = await issuer.container_sas("t-a-1", beyond_the_key)
    await client.close()

    assert_key_outlives_token(sas)
    assert len(transport.sent) == 3, "the refused refresh is tried again, not assumed done"


async def test_a_key_that_still_covers_the_token_is_reused() -> None:
    transport = RecordingTransport(DelegationKeys())
    client = BlobServiceClient(
        "https://tenantry.blob.core.windows.net", credential=StaticToken(), transport=transport
    )
    issuer = UserDelegationSas(client, key_hours=6.0)
    now = datetime.now(UTC)
    for minutes in (15, 30, 60, 300):
        assert_key_outlives_token(
            await issuer.container_sas("t-a-1", now + timedelta(minutes=minutes))
        )
    await client.close()
    assert len(transport.sent) == 1
