"""The async client: `AsyncTenantryClient` (install `tenantry-client[aio]` for aiohttp)."""

from tenantry_client.aio._client import AsyncTenantryClient

__all__ = ["AsyncTenantryClient"]
