"""Builds the Azure adapters the settings choose, around one tenant-credential provider.

Called by `shared.bootstrap` only when some adapter setting says `azure`; imported lazily, so a
process on the embedded defaults never imports an Azure SDK. Nothing connects here.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from azure.core.credentials import AzureKeyCredential
from azure.core.credentials_async import AsyncTokenCredential
from azure.identity.aio import DefaultAzureCredential, ManagedIdentityCredential

from shared.adapters.azure.credentials import MsalClientCredential, TenantCredentials
from shared.adapters.azure.tenant_identity import TenantIdentity
from shared.ports.blobs import BlobStore
from shared.ports.bus import Bus
from shared.ports.engine import AgentEngine
from shared.ports.search import Embedder, SearchIndex
from shared.ports.secrets import SecretStore
from shared.ports.store import Store
from shared.settings import Settings
from shared.tenancy import TenantRegistry

if TYPE_CHECKING:
    from azure.keyvault.secrets.aio import SecretClient


def _required(value: str | None, name: str) -> str:
    if not value:
        raise ValueError(f"{name} is not set")
    return value


class AzureAdapters:
    """The Azure side of one process: the credentials, and a builder per port."""

    def __init__(self, settings: Settings, registry: TenantRegistry) -> None:
        self.settings = settings
        self.registry = registry
        self.client_secret_vault: SecretClient | None = None
        """The shared vault's client that reads the tenants' app secrets: one for all tenants."""
        self.credentials = TenantCredentials(
            registry,
            self._shared_credential(),
            managed_identity=lambda identity: ManagedIdentityCredential(
                client_id=identity.client_id
            ),
            confidential_client=self._confidential_client,
        )

    def _shared_credential(self) -> AsyncTokenCredential:
        settings = self.settings
        if settings.credentials == "managed_identity":
            return ManagedIdentityCredential(client_id=settings.managed_identity_client_id)
        return DefaultAzureCredential(
            managed_identity_client_id=settings.managed_identity_client_id,
            authority=settings.azure_authority_host,
        )

    def _confidential_client(self, identity: TenantIdentity) -> AsyncTokenCredential:
        from azure.keyvault.secrets.aio import SecretClient

        if self.client_secret_vault is None:
            self.client_secret_vault = SecretClient(
                _required(self.settings.keyvault_url, "KEYVAULT_URL"), self.credentials.shared
            )
        vault = self.client_secret_vault

        async def read_secret(name: str) -> str:
            secret = await vault.get_secret(name)
            return str(secret.value)

        return MsalClientCredential(
            identity, read_secret, authority_host=self.settings.azure_authority_host
        )

    def bus(self) -> Bus:
        """Service Bus, by connection string or by namespace and the shared identity."""
        from azure.servicebus.aio import ServiceBusClient

        from shared.adapters.azure.servicebus import ServiceBusBus

        if self.settings.servicebus_connection_string is not None:
            client = ServiceBusClient.from_connection_string(
                self.settings.servicebus_connection_string.get_secret_value()
            )
        else:
            client = ServiceBusClient(
                _required(self.settings.servicebus_namespace, "SERVICEBUS_NAMESPACE"),
                self.credentials.shared,
            )
        return ServiceBusBus(client)

    def store(self) -> Store:
        """Cosmos DB, by key or by the shared identity (isolation is the partition key)."""
        from azure.cosmos.aio import CosmosClient

        from shared.adapters.azure.cosmos import CosmosStore

        key = self.settings.cosmos_key
        credential: Any = key.get_secret_value() if key else self.credentials.shared
        client = CosmosClient(
            _required(self.settings.cosmos_endpoint, "COSMOS_ENDPOINT"), credential
        )
        return CosmosStore(client, self.settings.cosmos_database)

    def engine(self) -> AgentEngine:
        """Foundry agents, each tenant's project client on that tenant's credential."""
        from azure.ai.projects.aio import AIProjectClient

        from shared.adapters.azure.foundry import FoundryEngine

        endpoint = _required(self.settings.foundry_project_endpoint, "FOUNDRY_PROJECT_ENDPOINT")
        return FoundryEngine(
            lambda tenant_id: AIProjectClient(endpoint, self.credentials.for_tenant(tenant_id)),
            agent_prefix=self.settings.foundry_agent_prefix,
        )

    def blobs(self) -> BlobStore:
        """Blob Storage: containers per tenant, reached through short-lived container SAS."""
        from azure.storage.blob.aio import BlobServiceClient

        from shared.adapters.azure.blob_sas import AccountKeySas, SasIssuer, UserDelegationSas
        from shared.adapters.azure.blobs import AzureBlobStore

        url = _required(self.settings.blob_account_url, "BLOB_ACCOUNT_URL")
        key = self.settings.blob_account_key
        issuer: SasIssuer
        if key is not None:
            service = BlobServiceClient(url, credential=key.get_secret_value())
            issuer = AccountKeySas(str(service.account_name), key.get_secret_value())
        else:
            service = BlobServiceClient(url, credential=self.credentials.shared)
            issuer = UserDelegationSas(service)
        return AzureBlobStore(
            service, self.registry, issuer, sas_minutes=self.settings.blob_sas_minutes
        )

    def search(self, embedder: Embedder | None) -> SearchIndex:
        """AI Search: the shared index (or a tenant's own), filtered by tenant in the adapter."""
        from azure.search.documents.aio import SearchClient
        from azure.search.documents.indexes.aio import SearchIndexClient

        from shared.adapters.azure.search import AzureSearchIndex

        endpoint = _required(self.settings.search_endpoint, "SEARCH_ENDPOINT")
        api_key = self.settings.search_api_key
        credential: Any = (
            AzureKeyCredential(api_key.get_secret_value()) if api_key else self.credentials.shared
        )
        dimensions = embedder.dimensions if embedder else self.settings.search_vector_dimensions
        return AzureSearchIndex(
            SearchIndexClient(endpoint, credential),
            lambda index: SearchClient(endpoint, index, credential),
            self.registry,
            default_index=self.settings.search_index,
            dimensions=dimensions,
            embedder=embedder,
        )

    def secrets(self) -> SecretStore:
        """Key Vault: the tenant's own vault, or the shared one with tenant-prefixed names."""
        from shared.adapters.azure.keyvault import KeyVaultSecretStore

        return KeyVaultSecretStore(
            self.registry,
            self.credentials,
            shared_vault_url=self.settings.keyvault_url,
            cache_seconds=self.settings.secrets_cache_seconds,
        )

    async def close(self) -> None:
        """Close the credentials and the client-secret vault (the adapters close their own)."""
        if self.client_secret_vault is not None:
            await self.client_secret_vault.close()
            self.client_secret_vault = None
        await self.credentials.close()
