"""Onboarding and removing tenants: the registry file, secrets, and a purge that leaves every
other tenant's data exactly as it was (real embedded adapters)."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cli.main import app
from shared import onboarding
from shared.bootstrap import Services, bootstrap
from shared.ports.bus import OutgoingMessage
from shared.ports.engine import AgentDefinition
from shared.ports.search import SearchDocument
from shared.queues import COMMANDS, WEBHOOKS, endpoint_session
from shared.registry_file import RegistryFile
from shared.settings import Settings
from shared.tenancy import Tenant
from shared.webhooks.endpoints import ENDPOINTS

TENANTS = ("acme", "contoso")


def _settings(tmp_path: Path) -> Settings:
    registry = RegistryFile(tmp_path / "tenants.json")
    with registry.editing() as tenants:
        tenants.extend(Tenant(id=t) for t in TENANTS)
    return Settings(data_dir=tmp_path, tenants_file=registry.path)


async def _one_chunk() -> AsyncIterator[bytes]:
    yield b"quarterly numbers"


async def _fill(services: Services, tenant: str) -> None:
    """Give a tenant something in every place removal must reach."""
    store = services.store.for_tenant(tenant)
    await store.create("agents", {"id": f"asst_{tenant}", "name": tenant})
    await store.create(ENDPOINTS, {"id": f"wh_{tenant}", "url": "https://example.com/hook"})
    await services.engine.for_tenant(tenant).create_agent(
        AgentDefinition(agent_id=f"asst_{tenant}", name=tenant, instructions="", model="m")
    )
    await services.blobs.for_tenant(tenant).put(
        f"file_{tenant}", _one_chunk(), content_type="text/plain"
    )
    await services.search.for_tenant(tenant).upsert(
        [SearchDocument(id=f"doc_{tenant}", content="numbers")]
    )
    await services.secrets.for_tenant(tenant).set("api-key", f"key-of-{tenant}")

    def message(session: str, ident: str) -> OutgoingMessage:
        return OutgoingMessage(body=b"{}", session_id=session, message_id=ident)

    await services.bus.send(
        COMMANDS, [message(tenant, f"{tenant}-1"), message(tenant, f"{tenant}-2")]
    )
    await services.bus.send(
        WEBHOOKS, [message(endpoint_session(tenant, f"wh_{tenant}"), f"{tenant}-w")]
    )
    await services.bus.send(COMMANDS, [message(f"{tenant}:0", f"{tenant}-dead")])
    receiver = await services.bus.accept_session(COMMANDS, f"{tenant}:0")
    (dead,) = await receiver.receive(1)
    await receiver.dead_letter(dead, reason="Test", description="left for removal")
    await receiver.close()


async def test_removal_deletes_the_tenants_data_everywhere_and_says_what(tmp_path: Path) -> None:
    services = bootstrap(_settings(tmp_path))
    try:
        for tenant in TENANTS:
            await _fill(services, tenant)
        removal = await onboarding.remove(services, RegistryFile(tmp_path / "tenants.json"), "acme")
        assert removal.complete and removal.unregistered
        assert removal.deleted == {
            "pending commands": 2,
            "pending webhook deliveries": 1,
            "dead letters": 1,
            "store documents": 2,
            "engine records": 1,
            "blobs": 1,
            "search documents": 1,
            "secrets": 1,
        }
        acme = services.store.for_tenant("acme")
        assert await acme.get("agents", "asst_acme") is None
        assert await services.blobs.for_tenant("acme").info("file_acme") is None
        assert await services.search.for_tenant("acme").search("numbers") == []
        # contoso keeps everything
        contoso = services.store.for_tenant("contoso")
        assert await contoso.get("agents", "asst_contoso") is not None
        assert await services.blobs.for_tenant("contoso").info("file_contoso") is not None
        assert len(await services.search.for_tenant("contoso").search("numbers")) == 1
        assert await services.secrets.for_tenant("contoso").get("api-key") == "key-of-contoso"
        receiver = await services.bus.accept_session(COMMANDS, "contoso")
        assert len(await receiver.receive(10)) == 2
        await receiver.close()
        dead = await services.bus.peek_dead_letters(COMMANDS)
        assert [d.session_id for d in dead] == ["contoso:0"]
    finally:
        await services.close()
    assert [t.id for t in RegistryFile(tmp_path / "tenants.json").read()] == ["contoso"]


async def test_an_adapter_that_cannot_purge_is_named_not_skipped(tmp_path: Path) -> None:
    services = bootstrap(_settings(tmp_path))

    class NoPurge:
        """A blob store adapter without `purge_tenant`."""

    real_blobs = services.blobs
    services.blobs = NoPurge()  # type: ignore[assignment]
    try:
        removal = await onboarding.purge(services, Tenant(id="acme"))
    finally:
        services.blobs = real_blobs
        await services.close()
    assert removal.not_purged == ["blobs (NoPurge has no purge_tenant)"]
    assert not removal.complete


def test_a_tenant_id_can_be_registered_once(tmp_path: Path) -> None:
    registry = RegistryFile(tmp_path / "tenants.json")
    onboarding.register(registry, Tenant(id="acme"))
    with pytest.raises(onboarding.TenantExists):
        onboarding.register(registry, Tenant(id="acme"))
    assert onboarding.unregister(registry, "acme") is True
    assert onboarding.unregister(registry, "acme") is False
    assert json.loads(registry.path.read_text()) == []


def test_the_cli_adds_lists_and_removes_a_tenant(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("TENANTS", "TENANTS_FILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("ACME_KEY", "s3cr3t-value")
    runner = CliRunner()
    data = ["--data-dir", str(tmp_path)]
    added = runner.invoke(
        app,
        ["tenants", "add", "acme", "--display-name", "Acme", "--secret", "api-key=ACME_KEY", *data],
    )
    assert added.exit_code == 0, added.output
    assert "s3cr3t-value" not in added.output
    registered = json.loads((tmp_path / "tenants.json").read_text())
    assert [t["id"] for t in registered] == ["contoso", "fabrikam", "northwind", "acme"]
    listed = runner.invoke(app, ["tenants", "list", *data])
    assert "Acme" in listed.output
    own = json.dumps({"identity": {"kind": "managed_identity", "client_id": "0000-000a"}})
    with_identity = runner.invoke(app, ["tenants", "add", "initech", "--azure", own, *data])
    assert with_identity.exit_code == 0, with_identity.output
    (initech,) = [
        t for t in json.loads((tmp_path / "tenants.json").read_text()) if t["id"] == "initech"
    ]
    assert initech["azure"]["identity"]["kind"] == "managed_identity"
    again = runner.invoke(app, ["tenants", "add", "acme", *data])
    assert again.exit_code == 1 and "already registered" in again.output
    removed = runner.invoke(app, ["tenants", "remove", "acme", "--yes", *data])
    assert removed.exit_code == 0, removed.output
    assert "secrets" in removed.output and "Removed from" in removed.output
    registered = json.loads((tmp_path / "tenants.json").read_text())
    assert "acme" not in [t["id"] for t in registered]


def test_a_secret_value_never_comes_from_the_command_line(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        app, ["tenants", "add", "acme", "--secret", "api-key", "--data-dir", str(tmp_path)]
    )
    assert result.exit_code == 2
    assert not (tmp_path / "tenants.json").exists()
