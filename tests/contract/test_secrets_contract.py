"""The secrets contract: every `SecretStore` adapter keeps each tenant's secrets to itself.

`ADAPTERS` lists the adapters the suite runs against; the local one's own promises (an
owner-only file, Key Vault's name alphabet) follow the shared part.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from shared.adapters.local.secrets import LocalSecretStore
from shared.ports.secrets import SecretMissing, SecretStore

ADAPTERS = ["local"]


@pytest.fixture(params=ADAPTERS)
async def secrets(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[SecretStore]:
    store = LocalSecretStore(tmp_path / "secrets.sqlite3")
    yield store
    await store.close()


async def test_a_secret_set_is_read_back_and_replaced(secrets: SecretStore) -> None:
    mine = secrets.for_tenant("contoso")
    await mine.set("webhook-a", "one")
    assert await mine.get("webhook-a") == "one"
    await mine.set("webhook-a", "two")
    assert await mine.get("webhook-a") == "two"


async def test_a_missing_secret_raises_secret_missing(secrets: SecretStore) -> None:
    with pytest.raises(SecretMissing):
        await secrets.for_tenant("contoso").get("nothing-here")


async def test_deleting_removes_and_deleting_again_is_no_error(secrets: SecretStore) -> None:
    mine = secrets.for_tenant("contoso")
    await mine.set("webhook-a", "one")
    await mine.delete("webhook-a")
    await mine.delete("webhook-a")
    with pytest.raises(SecretMissing):
        await mine.get("webhook-a")


async def test_a_tenant_never_sees_or_changes_another_tenants_secret(
    secrets: SecretStore,
) -> None:
    await secrets.for_tenant("contoso").set("webhook-a", "contoso's")
    theirs = secrets.for_tenant("fabrikam")
    with pytest.raises(SecretMissing):
        await theirs.get("webhook-a")
    await theirs.set("webhook-a", "fabrikam's")
    await theirs.delete("webhook-a")
    assert await secrets.for_tenant("contoso").get("webhook-a") == "contoso's"


# --- the local adapter -----------------------------------------------------------------------


async def test_the_local_file_and_its_journal_are_readable_by_the_owner_only(
    tmp_path: Path,
) -> None:
    path = tmp_path / "data" / "secrets.sqlite3"
    store = LocalSecretStore(path)
    await store.for_tenant("contoso").set("webhook-a", "value")
    modes = {
        p.name: os.stat(p).st_mode & 0o777
        for p in path.parent.iterdir()
        if p.name.startswith("secrets.sqlite3")
    }
    await store.close()
    assert {"secrets.sqlite3", "secrets.sqlite3-wal"} <= modes.keys()
    assert set(modes.values()) == {0o600}, modes


async def test_an_existing_wider_file_is_tightened_when_opened(tmp_path: Path) -> None:
    path = tmp_path / "secrets.sqlite3"
    path.touch(mode=0o644)
    os.chmod(path, 0o644)
    store = LocalSecretStore(path)
    await store.for_tenant("contoso").set("webhook-a", "value")
    await store.close()
    assert os.stat(path).st_mode & 0o777 == 0o600


async def test_names_outside_key_vaults_alphabet_are_refused(tmp_path: Path) -> None:
    store = LocalSecretStore(tmp_path / "secrets.sqlite3")
    for name in ("has_underscore", "", "x" * 128, "dots.are.out"):
        with pytest.raises(ValueError):
            await store.for_tenant("contoso").set(name, "v")
    await store.close()
