"""The `SearchIndex` port on Azure AI Search (`azure-search-documents`, async).

Every query, delete and lookup of a `AzureTenantIndex` is filtered by its tenant inside the
adapter (`tenantId eq '<tenant>'`, OData-escaped by `shared.search_filters`); user filters are
ANDed on and can only narrow it. A tenant may have an index of its own (`azure.search_index` in
the registry); the tenant filter applies there too.

No control-plane write happens on a request path: reads (the ingress's searches, the lookups
before a delete) never touch the index definition, and an index that does not exist yet simply
has no documents. The schema is created or updated once per process before the first write,
by the workers, whose identity holds the right to (the ingress's only reads documents).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence

from azure.core.exceptions import ResourceNotFoundError
from azure.search.documents.aio import SearchClient
from azure.search.documents.indexes.aio import SearchIndexClient
from azure.search.documents.models import VectorFilterMode, VectorizedQuery, VectorQuery

from shared.adapters.azure.client_pool import ClientPool
from shared.adapters.azure.search_schema import SELECT, document_key, index_schema, to_hit, to_index
from shared.adapters.azure.tenant_identity import azure_settings
from shared.ports.search import (
    Embedder,
    EmbedderMissing,
    FieldFilter,
    SearchDocument,
    SearchHit,
    SearchMode,
)
from shared.search_filters import check_filter, odata_filter, odata_literal
from shared.tenancy import TenantRegistry

MAX_TOP = 1000
PAGE = 1000

ClientFactory = Callable[[str], SearchClient]
"""The search client of an index, by index name."""


def user_filters(filters: Sequence[FieldFilter]) -> list[str]:
    """User filters on the `attributes` collection, each value an escaped OData literal."""
    from shared.adapters.azure.search_schema import attribute

    return [
        f"attributes/any(a: a eq {odata_literal(attribute(f.name, f.value))})"
        for f in map(check_filter, filters)
    ]


class AzureSearchIndex:
    """All tenants' documents in the shared index (or a tenant's own); tenant-bound views."""

    def __init__(
        self,
        index_client: SearchIndexClient,
        search_client: ClientFactory,
        registry: TenantRegistry,
        *,
        default_index: str,
        dimensions: int,
        embedder: Embedder | None = None,
    ) -> None:
        self._index_client = index_client
        self._clients: ClientPool[str, SearchClient] = ClientPool(search_client)
        self._registry = registry
        self._default_index = default_index
        self._dimensions = dimensions
        self.embedder = embedder
        self._schema_written: set[str] = set()
        self._lock = asyncio.Lock()

    def index_of(self, tenant_id: str) -> str:
        """The index a tenant's documents live in (KeyError for a tenant not in the registry)."""
        tenant = self._registry.get(tenant_id)
        if tenant is None:
            raise KeyError(tenant_id)
        own = azure_settings(tenant).get("search_index")
        return own if isinstance(own, str) and own else self._default_index

    def for_tenant(self, tenant_id: str) -> AzureTenantIndex:
        """The slice of one tenant of the registry."""
        return AzureTenantIndex(self, tenant_id, self.index_of(tenant_id))

    async def client(self, index: str) -> SearchClient:
        """The index's client; reading through it writes nothing to the service's schema."""
        async with self._lock:
            return self._clients.get(index)

    async def writable_client(self, index: str) -> SearchClient:
        """The index's client, after creating or updating its schema once in this process.

        Only writers (the workers) come here: it needs `indexes/write` on the service.
        """
        async with self._lock:
            if index not in self._schema_written:
                await self._index_client.create_or_update_index(
                    index_schema(index, self._dimensions)
                )
                self._schema_written.add(index)
        return await self.client(index)

    async def close(self) -> None:
        """Close the clients."""
        await self._clients.close()
        await self._index_client.close()


class AzureTenantIndex:
    """One tenant's documents; the tenant filter is part of every request."""

    def __init__(self, index: AzureSearchIndex, tenant_id: str, index_name: str) -> None:
        self._index = index
        self._tenant = tenant_id
        self._name = index_name
        self._filter = odata_filter(tenant_id)

    async def upsert(self, documents: Sequence[SearchDocument]) -> None:
        """Index (or re-index) documents under the tenant's keys, embedded when possible."""
        if not documents:
            return
        vectors: list[list[float] | None] = [None] * len(documents)
        if self._index.embedder is not None:
            vectors = list(await self._index.embedder.embed([d.content for d in documents]))
        client = await self._index.writable_client(self._name)
        await client.merge_or_upload_documents(
            [to_index(self._tenant, d, v) for d, v in zip(documents, vectors, strict=True)]
        )

    async def _keys(self, narrowing: str) -> list[str]:
        """The tenant's keys matching `narrowing`, paged by key (`skip` stops at 100,000)."""
        client = await self._index.client(self._name)
        keys: list[str] = []
        after = ""
        while True:
            clauses = [self._filter, narrowing]
            if keys:
                clauses.append(f"key gt {odata_literal(after)}")
            try:
                results = await client.search(
                    search_text="*",
                    filter=" and ".join(clauses),
                    select=["key"],
                    order_by=["key asc"],
                    top=PAGE,
                )
                page = [str(result["key"]) async for result in results]
            except ResourceNotFoundError:
                return keys  # no index yet: nothing was ever indexed
            keys += page
            if len(page) < PAGE:
                return keys
            after = page[-1]

    async def _delete_keys(self, keys: list[str]) -> int:
        if keys:
            client = await self._index.client(self._name)
            await client.delete_documents([{"key": key} for key in keys])
        return len(keys)

    async def delete(self, ids: Sequence[str]) -> int:
        """Remove the tenant's documents with these ids; how many there were."""
        if not ids:
            return 0
        wanted = " or ".join(f"docId eq {odata_literal(i)}" for i in ids)
        found = set(await self._keys(f"({wanted})"))
        keys = [
            document_key(self._tenant, i) for i in ids if document_key(self._tenant, i) in found
        ]
        return await self._delete_keys(keys)

    async def delete_source(self, source: str) -> int:
        """Remove the tenant's documents that came from `source`."""
        return await self._delete_keys(await self._keys(f"source eq {odata_literal(source)}"))

    async def search(
        self,
        query: str,
        *,
        mode: SearchMode = "text",
        top: int = 10,
        filters: Sequence[FieldFilter] = (),
    ) -> list[SearchHit]:
        """The tenant's best matches by text, vector or both (`EmbedderMissing`)."""
        top = max(1, min(top, MAX_TOP))
        clauses = [self._filter, *user_filters(filters)]
        vector_queries: list[VectorQuery] | None = None
        if mode in ("vector", "hybrid"):
            if self._index.embedder is None:
                raise EmbedderMissing("vector and hybrid search need an embedder (EMBEDDER)")
            (vector,) = await self._index.embedder.embed([query])
            vector_queries = [
                VectorizedQuery(vector=vector, k_nearest_neighbors=top, fields="vector")
            ]
        client = await self._index.client(self._name)
        try:
            results = await client.search(
                search_text=None if mode == "vector" else query,
                filter=" and ".join(clauses),
                vector_queries=vector_queries,
                vector_filter_mode=VectorFilterMode.PRE_FILTER if vector_queries else None,
                select=SELECT,
                top=top,
            )
            return [to_hit(result) async for result in results]
        except ResourceNotFoundError:
            return []  # the workers create the index with the first document
