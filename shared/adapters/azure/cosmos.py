"""The `Store` port on Azure Cosmos DB (`azure-cosmos`, async).

Every container is partitioned by `/tenantId`; a `CosmosTenantStore` passes its tenant as the
partition key to every call, and its queries are fixed texts that also say `c.tenantId =
@tenantId`, with every value bound as a parameter. Optimistic concurrency uses the item etags.
"""

from __future__ import annotations

import base64
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from typing import Any

from azure.core import MatchConditions
from azure.core.exceptions import ServiceRequestError, ServiceResponseError
from azure.cosmos.aio import ContainerProxy, CosmosClient, DatabaseProxy
from azure.cosmos.exceptions import (
    CosmosAccessConditionFailedError,
    CosmosHttpResponseError,
    CosmosResourceExistsError,
    CosmosResourceNotFoundError,
)

from shared.adapters.azure.cosmos_layout import (
    CONTAINERS,
    FIELD,
    PARTITION_KEY,
    container_of,
    cosmos_id,
    sort_key,
    unwrap,
    wrap,
)
from shared.ports.store import (
    Document,
    DocumentExists,
    DocumentMissing,
    EtagMismatch,
    Page,
    StoreUnavailable,
)

_RETRIES = 5


@asynccontextmanager
async def _reachable() -> AsyncIterator[None]:
    """Connection failures and server errors as `StoreUnavailable`."""
    try:
        yield
    except (ServiceRequestError, ServiceResponseError) as exc:
        raise StoreUnavailable(f"Cosmos DB cannot be reached: {exc}") from exc
    except CosmosHttpResponseError as exc:
        if exc.status_code is not None and (exc.status_code >= 500 or exc.status_code == 429):
            raise StoreUnavailable(f"Cosmos DB answered {exc.status_code}") from exc
        raise


def _cursor(order: str) -> str:
    return base64.urlsafe_b64encode(order.encode()).decode().rstrip("=")


def _order(cursor: str) -> str:
    try:
        return base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
    except (ValueError, UnicodeDecodeError) as exc:
        raise ValueError("invalid cursor") from exc


class CosmosStore:
    """One database whose containers the deployment made (`infra/modules/cosmos.bicep`).

    Reaching a container is local (no request), and no request path creates one: creating a
    database or a container is a control-plane write, which the apps' data-plane roles do not
    grant. `create_containers` makes them where nothing else does (an emulator, a development
    account).
    """

    def __init__(self, client: CosmosClient, database: str) -> None:
        self._client = client
        self._database_name = database
        self._containers: dict[str, ContainerProxy] = {}

    async def container(self, name: str) -> ContainerProxy:
        """The container's client (made once, without a request)."""
        if name not in self._containers:
            database = self._client.get_database_client(self._database_name)
            self._containers[name] = database.get_container_client(name)
        return self._containers[name]

    async def create_containers(self) -> None:
        """Create the database and every container, partitioned by `/tenantId`, if absent."""
        async with _reachable():
            database = await self._client.create_database_if_not_exists(self._database_name)
            for name in CONTAINERS:
                await database.create_container_if_not_exists(name, partition_key=PARTITION_KEY)

    def for_tenant(self, tenant_id: str) -> CosmosTenantStore:
        """A view bound to one tenant's partition."""
        if not tenant_id:
            raise ValueError("a tenant id is required: it is the partition key")
        return CosmosTenantStore(self, tenant_id)

    async def ping(self) -> None:
        """Raise `StoreUnavailable` unless the database answers."""
        try:
            database: DatabaseProxy = self._client.get_database_client(self._database_name)
            async with _reachable():
                await database.read()
        except CosmosHttpResponseError as exc:
            raise StoreUnavailable(f"Cosmos DB: {exc.status_code} {exc.reason}") from exc

    async def close(self) -> None:
        """Close the client's connections."""
        await self._client.close()


class CosmosTenantStore:
    """One tenant's partition; the tenant is the partition key of every call."""

    def __init__(self, store: CosmosStore, tenant_id: str) -> None:
        self._store = store
        self._tenant = tenant_id

    @property
    def tenant_id(self) -> str:
        return self._tenant

    async def _read(self, collection: str, doc_id: str) -> dict[str, Any] | None:
        container = await self._store.container(container_of(collection))
        try:
            async with _reachable():
                item: dict[str, Any] = await container.read_item(
                    cosmos_id(collection, doc_id), partition_key=self._tenant
                )
        except CosmosResourceNotFoundError:
            return None
        if item.get("tenantId") != self._tenant or item.get("collection") != collection:
            return None  # never another partition's or collection's item, whatever the server did
        return item

    async def get(self, collection: str, doc_id: str) -> Document | None:
        """The document, or None."""
        item = await self._read(collection, doc_id)
        return None if item is None else unwrap(item)

    async def create(self, collection: str, doc: Document) -> Document:
        """Insert (raises `DocumentExists`)."""
        stored, is_new = await self.create_if_absent(collection, doc)
        if not is_new:
            raise DocumentExists(f"{collection}/{doc['id']}")
        return stored

    async def create_if_absent(self, collection: str, doc: Document) -> tuple[Document, bool]:
        """Insert unless present; the stored document and whether it is new."""
        item = wrap(self._tenant, collection, doc, sort_key())
        container = await self._store.container(container_of(collection))
        for _ in range(_RETRIES):
            try:
                async with _reachable():
                    created: dict[str, Any] = await container.create_item(item)
                return unwrap(created), True
            except CosmosResourceExistsError:
                existing = await self._read(collection, doc["id"])
                if existing is not None:
                    return unwrap(existing), False
        raise StoreUnavailable(f"{collection}/{doc['id']} kept appearing and disappearing")

    async def upsert(self, collection: str, doc: Document) -> Document:
        """Insert or overwrite, keeping the original creation order."""
        for _ in range(_RETRIES):
            current = await self._read(collection, doc["id"])
            if current is None:
                stored, is_new = await self.create_if_absent(collection, doc)
                if is_new:
                    return stored
                continue
            try:
                return await self._replace(collection, doc, current, str(current["_etag"]))
            except (EtagMismatch, DocumentMissing):
                continue
        raise StoreUnavailable(f"{collection}/{doc['id']} kept changing during an upsert")

    async def replace(
        self, collection: str, doc: Document, *, if_match: str | None = None
    ) -> Document:
        """Overwrite an existing document, only if its etag matches `if_match` when given."""
        for _ in range(_RETRIES):
            current = await self._read(collection, doc["id"])
            if current is None:
                raise DocumentMissing(f"{collection}/{doc['id']}")
            if if_match not in (None, "*") and if_match != current["_etag"]:
                raise EtagMismatch(f"{collection}/{doc['id']}")
            try:
                return await self._replace(collection, doc, current, str(current["_etag"]))
            except EtagMismatch:
                if if_match not in (None, "*"):
                    raise
        raise StoreUnavailable(f"{collection}/{doc['id']} kept changing during a replace")

    async def _replace(
        self, collection: str, doc: Document, current: dict[str, Any], etag: str
    ) -> Document:
        item = wrap(self._tenant, collection, doc, str(current["sortKey"]))
        container = await self._store.container(container_of(collection))
        try:
            async with _reachable():
                replaced: dict[str, Any] = await container.replace_item(
                    item["id"],
                    item,
                    etag=etag,
                    match_condition=MatchConditions.IfNotModified,
                )
        except CosmosAccessConditionFailedError as exc:
            raise EtagMismatch(f"{collection}/{doc['id']}") from exc
        except CosmosResourceNotFoundError as exc:
            raise DocumentMissing(f"{collection}/{doc['id']}") from exc
        return unwrap(replaced)

    async def delete(self, collection: str, doc_id: str, *, if_match: str | None = None) -> bool:
        """Remove; False if absent (raises `EtagMismatch`)."""
        container = await self._store.container(container_of(collection))
        conditions: dict[str, Any] = {}
        if if_match not in (None, "*"):
            conditions = {"etag": if_match, "match_condition": MatchConditions.IfNotModified}
        if await self._read(collection, doc_id) is None:
            return False
        try:
            async with _reachable():
                await container.delete_item(
                    cosmos_id(collection, doc_id), partition_key=self._tenant, **conditions
                )
        except CosmosResourceNotFoundError:
            return False
        except CosmosAccessConditionFailedError as exc:
            raise EtagMismatch(f"{collection}/{doc_id}") from exc
        return True

    async def list(
        self,
        collection: str,
        *,
        where: Mapping[str, str] | None = None,
        newest_first: bool = True,
        limit: int = 20,
        after: str | None = None,
    ) -> Page:
        """A page in creation order, filtered by equality on top-level fields (bound values)."""
        if not 1 <= limit <= 1000:
            raise ValueError("limit must be between 1 and 1000")
        clauses = ["c.tenantId = @tenantId", "c.collection = @collection"]
        parameters: list[dict[str, Any]] = [
            {"name": "@tenantId", "value": self._tenant},
            {"name": "@collection", "value": collection},
        ]
        for index, (name, value) in enumerate((where or {}).items()):
            if not FIELD.match(name):
                raise ValueError(f"not a field name: {name!r}")
            clauses.append(f'c.body["{name}"] = @v{index}')
            parameters.append({"name": f"@v{index}", "value": value})
        if after is not None:
            clauses.append("c.sortKey < @after" if newest_first else "c.sortKey > @after")
            parameters.append({"name": "@after", "value": _order(after)})
        direction = "DESC" if newest_first else "ASC"
        # Fixed clauses and checked field names only; every value is a bound parameter.
        query = (
            f"SELECT TOP {int(limit) + 1} * FROM c WHERE {' AND '.join(clauses)} "  # noqa: S608
            f"ORDER BY c.sortKey {direction}"
        )
        container = await self._store.container(container_of(collection))
        async with _reachable():
            items = [
                item
                async for item in container.query_items(
                    query, parameters=parameters, partition_key=self._tenant
                )
            ]
        items = [i for i in items if i.get("tenantId") == self._tenant][: limit + 1]
        more = len(items) > limit
        items = items[:limit]
        cursor = _cursor(str(items[-1]["sortKey"])) if more and items else None
        return Page([unwrap(item) for item in items], cursor)
