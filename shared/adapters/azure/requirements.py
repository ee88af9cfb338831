"""Which settings each Azure adapter needs, checked before anything is built or connects.

Imports no Azure SDK, so the check (and its message) works before the `azure` extra is installed.
"""

from __future__ import annotations

from shared.settings import Settings
from shared.tenancy import TenantRegistry

ADAPTER_SETTINGS: dict[str, tuple[str, ...]] = {
    "BUS_ADAPTER": ("SERVICEBUS_NAMESPACE or SERVICEBUS_CONNECTION_STRING",),
    "STORE_ADAPTER": ("COSMOS_ENDPOINT",),
    "ENGINE_ADAPTER": ("FOUNDRY_PROJECT_ENDPOINT",),
    "BLOB_ADAPTER": ("BLOB_ACCOUNT_URL",),
    "SEARCH_ADAPTER": ("SEARCH_ENDPOINT",),
    "SECRETS_ADAPTER": ("KEYVAULT_URL",),
}
"""The settings each adapter choice needs when it is `azure`."""


def chosen(settings: Settings) -> list[str]:
    """The adapter settings that choose `azure`, e.g. `["BUS_ADAPTER", "STORE_ADAPTER"]`."""
    return [name for name in ADAPTER_SETTINGS if getattr(settings, name.lower()) == "azure"]


def missing_settings(settings: Settings, registry: TenantRegistry) -> list[str]:
    """What the chosen Azure adapters need and the settings lack, one line each."""
    present = {
        "SERVICEBUS_NAMESPACE or SERVICEBUS_CONNECTION_STRING": bool(
            settings.servicebus_namespace or settings.servicebus_connection_string
        ),
        "COSMOS_ENDPOINT": bool(settings.cosmos_endpoint),
        "FOUNDRY_PROJECT_ENDPOINT": bool(settings.foundry_project_endpoint),
        "BLOB_ACCOUNT_URL": bool(settings.blob_account_url),
        "SEARCH_ENDPOINT": bool(settings.search_endpoint),
        "KEYVAULT_URL": bool(settings.keyvault_url),
    }
    missing = [
        f"{adapter}=azure needs {needed}"
        for adapter in chosen(settings)
        for needed in ADAPTER_SETTINGS[adapter]
        if not present[needed]
    ]
    if chosen(settings) and not settings.keyvault_url:
        from shared.adapters.azure.tenant_identity import identity_of

        clients = [t.id for t in registry if identity_of(t).kind == "confidential_client"]
        if clients:
            missing.append(
                f"tenants {', '.join(clients)} bring their own app registration, whose "
                "secrets are read from the shared vault: set KEYVAULT_URL"
            )
    return missing
