"""Configuration: every setting documented, each adapter chosen by its setting, and a clear
refusal when an Azure adapter is chosen without the settings it needs."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from shared.bootstrap import ConfigurationError, bootstrap
from shared.settings import Settings
from tests.harness import settings_for

REPO_ROOT = Path(__file__).resolve().parents[2]
SETTINGS = sorted(name.upper() for name in Settings.model_fields)

AZURE_SETTINGS: dict[str, Any] = {
    "bus_adapter": "azure",
    "store_adapter": "azure",
    "engine_adapter": "azure",
    "blob_adapter": "azure",
    "search_adapter": "azure",
    "secrets_adapter": "azure",
    "servicebus_namespace": "tenantry.servicebus.windows.net",
    "cosmos_endpoint": "https://tenantry.documents.azure.com:443/",
    "foundry_project_endpoint": "https://tenantry.services.ai.azure.com/api/projects/main",
    "blob_account_url": "https://tenantry.blob.core.windows.net",
    "search_endpoint": "https://tenantry.search.windows.net",
    "keyvault_url": "https://tenantry-shared.vault.azure.net",
}


def test_every_setting_is_documented_in_the_env_example() -> None:
    text = (REPO_ROOT / ".env.example").read_text()
    documented = set(re.findall(r"^# ?([A-Z][A-Z0-9_]+)=", text, flags=re.MULTILINE))
    assert [name for name in SETTINGS if name not in documented] == []
    for name in SETTINGS:
        line = re.search(rf"^(.*)\n# ?{name}=", text, flags=re.MULTILINE)
        assert line is not None and line.group(1).startswith("#"), f"{name} has no comment"


def test_every_setting_is_named_in_the_readme() -> None:
    readme = (REPO_ROOT / "README.md").read_text()
    assert [name for name in SETTINGS if f"`{name}`" not in readme and name not in readme] == []


@pytest.mark.parametrize(
    ("adapter", "needs"),
    [
        ("bus_adapter", "SERVICEBUS_NAMESPACE or SERVICEBUS_CONNECTION_STRING"),
        ("store_adapter", "COSMOS_ENDPOINT"),
        ("engine_adapter", "FOUNDRY_PROJECT_ENDPOINT"),
        ("blob_adapter", "BLOB_ACCOUNT_URL"),
        ("search_adapter", "SEARCH_ENDPOINT"),
        ("secrets_adapter", "KEYVAULT_URL"),
    ],
)
def test_an_azure_adapter_without_its_settings_is_refused_with_what_to_set(
    tmp_path: Path, adapter: str, needs: str
) -> None:
    with pytest.raises(ConfigurationError) as refused:
        bootstrap(settings_for(tmp_path, **{adapter: "azure"}))
    assert f"{adapter.upper()}=azure needs {needs}" in str(refused.value)


def test_every_missing_setting_is_named_at_once(tmp_path: Path) -> None:
    choices = {k: v for k, v in AZURE_SETTINGS.items() if k.endswith("_adapter")}
    with pytest.raises(ConfigurationError) as refused:
        bootstrap(settings_for(tmp_path, **choices))
    message = str(refused.value)
    for needed in ("SERVICEBUS_NAMESPACE", "COSMOS_ENDPOINT", "FOUNDRY_PROJECT_ENDPOINT"):
        assert needed in message


def test_a_confidential_client_tenant_needs_the_shared_vault(tmp_path: Path) -> None:
    tenants = [
        {
            "id": "northwind",
            "azure": {
                "identity": {
                    "kind": "confidential_client",
                    "client_id": "app",
                    "directory": "dir",
                    "secret_name": "northwind-secret",
                }
            },
        }
    ]
    settings = settings_for(
        tmp_path,
        tenants=json.dumps(tenants),
        store_adapter="azure",
        cosmos_endpoint="https://x.documents.azure.com",
    )
    with pytest.raises(ConfigurationError, match="KEYVAULT_URL"):
        bootstrap(settings)


async def test_azure_settings_build_every_azure_adapter_without_connecting(
    tmp_path: Path,
) -> None:
    from shared.adapters.azure.blobs import AzureBlobStore
    from shared.adapters.azure.cosmos import CosmosStore
    from shared.adapters.azure.foundry import FoundryEngine
    from shared.adapters.azure.keyvault import KeyVaultSecretStore
    from shared.adapters.azure.search import AzureSearchIndex
    from shared.adapters.azure.servicebus import ServiceBusBus

    services = bootstrap(settings_for(tmp_path, credentials="managed_identity", **AZURE_SETTINGS))
    try:
        assert isinstance(services.bus, ServiceBusBus)
        assert isinstance(services.store, CosmosStore)
        assert isinstance(services.engine, FoundryEngine)
        assert isinstance(services.blobs, AzureBlobStore)
        assert isinstance(services.search, AzureSearchIndex)
        assert isinstance(services.secrets, KeyVaultSecretStore)
        scope = services.scope("contoso")
        assert scope.store.tenant_id == "contoso"
    finally:
        await services.close()


def test_the_local_defaults_import_no_azure_sdk(tmp_path: Path) -> None:
    import subprocess
    import sys

    code = (
        "import sys, json\n"
        "from shared.bootstrap import bootstrap\n"
        "from shared.settings import Settings\n"
        f"bootstrap(Settings(data_dir={str(tmp_path)!r}))\n"
        "print(json.dumps(sorted(m for m in sys.modules if m.startswith('azure'))))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO_ROOT, capture_output=True, text=True, check=True
    )
    assert json.loads(result.stdout.strip().splitlines()[-1]) == []
