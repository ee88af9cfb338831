"""The AI Search adapter through the SDK's HTTP transport: the exact requests it sends."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from typing import Any

import pytest
from azure.core.credentials import AzureKeyCredential
from azure.search.documents.aio import SearchClient
from azure.search.documents.indexes.aio import SearchIndexClient

from shared.adapters.azure.search import AzureSearchIndex
from shared.adapters.azure.search_schema import document_key
from shared.ports.search import EmbedderMissing, FieldFilter, InvalidFilter, SearchDocument
from shared.tenancy import Tenant, TenantRegistry
from tests.azure.transport import Answer, RecordingTransport, Sent

ENDPOINT = "https://tenantry.search.windows.net"
API_VERSION = "2026-04-01"
REGISTRY = TenantRegistry(
    [
        Tenant(id="contoso"),
        Tenant(id="northwind"),
        Tenant.model_validate({"id": "fabrikam", "azure": {"search_index": "fabrikam-own"}}),
    ]
)


class Service:
    """Answers the index, indexing and search calls; search results are set by the test."""

    def __init__(self) -> None:
        self.results: list[dict[str, Any]] = []
        self.missing_index = False

    def __call__(self, sent: Sent) -> Answer:
        if self.missing_index and sent.method == "POST":
            return Answer(404, {"error": {"code": "", "message": "The index was not found."}})
        if sent.method == "PUT":
            self.missing_index = False
            return Answer(201, sent.json())
        if sent.path.endswith("search.index"):
            actions = sent.json()["value"]
            return Answer(
                200,
                {"value": [{"key": a["key"], "status": True, "statusCode": 200} for a in actions]},
            )
        return Answer(200, {"value": self.results})


class FixedEmbedder:
    dimensions = 3

    async def embed(self, texts: Sequence[str]) -> list[list[float]]:
        return [[float(len(t)), 0.5, 0.25] for t in texts]

    async def close(self) -> None:
        return None


@pytest.fixture
def service() -> Service:
    return Service()


@pytest.fixture
def transport(service: Service) -> RecordingTransport:
    return RecordingTransport(service)


def _index(transport: RecordingTransport, embedder: Any = None) -> AzureSearchIndex:
    key = AzureKeyCredential("admin-key")
    return AzureSearchIndex(
        SearchIndexClient(ENDPOINT, key, transport=transport),
        lambda name: SearchClient(ENDPOINT, name, key, transport=transport),
        REGISTRY,
        default_index="tenantry",
        dimensions=3,
        embedder=embedder,
    )


@pytest.fixture
async def index(transport: RecordingTransport) -> AsyncIterator[AzureSearchIndex]:
    built = _index(transport, FixedEmbedder())
    yield built
    await built.close()


def searches(transport: RecordingTransport) -> list[Sent]:
    return [s for s in transport.sent if s.path.endswith("search.post.search")]


async def test_searching_writes_no_index_definition_even_before_the_index_exists(
    transport: RecordingTransport, service: Service
) -> None:
    service.missing_index = True
    index = _index(transport, FixedEmbedder())
    assert await index.for_tenant("contoso").search("hello") == []
    assert await index.for_tenant("contoso").delete(["a"]) == 0
    assert await index.for_tenant("contoso").delete_source("file_1") == 0
    await index.close()
    assert transport.sent, "the searches were sent"
    assert all(s.method == "POST" and "/docs/" in s.path for s in transport.sent)


async def test_the_first_write_creates_or_updates_the_schema_once_with_key_tenant_and_vector(
    index: AzureSearchIndex, transport: RecordingTransport
) -> None:
    await index.for_tenant("contoso").upsert([SearchDocument(id="a", content="x")])
    await index.for_tenant("northwind").upsert([SearchDocument(id="b", content="y")])
    puts = [s for s in transport.sent if s.method == "PUT"]
    assert len(puts) == 1
    (put,) = puts
    assert transport.sent[0] is put, "the schema is written before the first document"
    assert put.path == "/indexes('tenantry')" and put.query["api-version"] == [API_VERSION]
    fields = {f["name"]: f for f in put.json()["fields"]}
    assert fields["key"]["key"] is True
    assert fields["key"]["sortable"] is True and fields["key"]["filterable"] is True
    assert fields["tenantId"]["filterable"] is True
    assert fields["vector"]["dimensions"] == 3
    assert fields["vector"]["vectorSearchProfile"] == "tenantry-vector"
    assert put.headers["api-key"] == "admin-key"


async def test_documents_are_indexed_under_tenant_namespaced_keys_with_vectors(
    index: AzureSearchIndex, transport: RecordingTransport
) -> None:
    await index.for_tenant("contoso").upsert(
        [SearchDocument(id="doc1", content="confidential", fields={"team": "red"})]
    )
    await index.for_tenant("northwind").upsert([SearchDocument(id="doc1", content="other")])
    posts = [s for s in transport.sent if s.path.endswith("search.index")]
    contoso, northwind = (post.json()["value"][0] for post in posts)
    assert contoso["@search.action"] == "mergeOrUpload"
    assert contoso["key"] == document_key("contoso", "doc1") != northwind["key"]
    assert (contoso["tenantId"], contoso["docId"]) == ("contoso", "doc1")
    assert contoso["attributes"] == ['team="red"']
    assert contoso["vector"] == [12.0, 0.5, 0.25]


async def test_every_query_is_filtered_by_the_tenant(
    index: AzureSearchIndex, transport: RecordingTransport
) -> None:
    await index.for_tenant("northwind").search("report")
    (sent,) = searches(transport)
    assert sent.path == "/indexes('tenantry')/docs/search.post.search"
    assert sent.query["api-version"] == [API_VERSION]
    body = sent.json()
    assert body["filter"] == "tenantId eq 'northwind'"
    assert body["search"] == "report"
    assert body["top"] == 10


async def test_user_filters_only_narrow_the_tenant_filter_and_cannot_break_out(
    index: AzureSearchIndex, transport: RecordingTransport
) -> None:
    attack = "x') or true or ('"
    await index.for_tenant("contoso").search("q", filters=[FieldFilter("team", attack)])
    (sent,) = searches(transport)
    assert sent.json()["filter"] == (
        "tenantId eq 'contoso' and attributes/any(a: a eq 'team=\"x'') or true or (''\"')"
    )
    with pytest.raises(InvalidFilter):
        await index.for_tenant("contoso").search("q", filters=[FieldFilter("tenantId", "x")])


async def test_vector_search_prefilters_by_tenant(
    index: AzureSearchIndex, transport: RecordingTransport
) -> None:
    await index.for_tenant("contoso").search("abc", mode="vector", top=5)
    body = searches(transport)[0].json()
    assert body["filter"] == "tenantId eq 'contoso'"
    assert body["vectorFilterMode"] == "preFilter"
    assert "search" not in body
    assert body["vectorQueries"] == [
        {"kind": "vector", "k": 5, "fields": "vector", "vector": [3.0, 0.5, 0.25]}
    ]


async def test_hits_come_back_with_their_ids_scores_and_fields(
    index: AzureSearchIndex, service: Service
) -> None:
    service.results = [
        {
            "@search.score": 2.5,
            "key": document_key("contoso", "doc1"),
            "docId": "doc1",
            "content": "text",
            "title": "T",
            "source": "file_1",
            "attributes": ['team="red"', "rank=3"],
        }
    ]
    (hit,) = await index.for_tenant("contoso").search("text")
    assert (hit.id, hit.score, hit.source, dict(hit.fields)) == (
        "doc1",
        2.5,
        "file_1",
        {"team": "red", "rank": 3},
    )


async def test_a_tenant_with_its_own_index_uses_it_and_is_still_filtered(
    index: AzureSearchIndex, transport: RecordingTransport
) -> None:
    await index.for_tenant("fabrikam").search("x")
    (sent,) = searches(transport)
    assert sent.path == "/indexes('fabrikam-own')/docs/search.post.search"
    assert sent.json()["filter"] == "tenantId eq 'fabrikam'"


async def test_deleting_finds_the_tenants_keys_first_and_counts_them(
    index: AzureSearchIndex, transport: RecordingTransport, service: Service
) -> None:
    service.results = [{"key": document_key("contoso", "a")}]
    assert await index.for_tenant("contoso").delete(["a", "b'"]) == 1
    lookup = searches(transport)[0].json()
    assert lookup["filter"] == "tenantId eq 'contoso' and (docId eq 'a' or docId eq 'b''')"
    delete = [s for s in transport.sent if s.path.endswith("search.index")][-1].json()
    assert delete == {"value": [{"@search.action": "delete", "key": document_key("contoso", "a")}]}


async def test_vector_search_without_an_embedder_is_refused(transport: RecordingTransport) -> None:
    index = _index(transport)
    with pytest.raises(EmbedderMissing):
        await index.for_tenant("contoso").search("q", mode="hybrid")
    await index.close()


class KeyedService(Service):
    """Holds many keys of one tenant and answers `key gt` / `orderby key` pages as the service
    does; refuses `skip` past 100,000 as the service does."""

    def __init__(self, keys: list[str]) -> None:
        super().__init__()
        self.keys = sorted(keys)

    def __call__(self, sent: Sent) -> Answer:
        if not sent.path.endswith("search.post.search"):
            return super().__call__(sent)
        body = sent.json()
        if body.get("skip", 0) > 100_000:
            return Answer(400, {"error": {"code": "", "message": "skip over 100000"}})
        assert body.get("orderby") == "key asc"
        after = ""
        if " and key gt '" in body["filter"]:
            after = body["filter"].rsplit(" and key gt '", 1)[1].rstrip("'")
        skip = body.get("skip", 0)
        page = [k for k in self.keys if k > after][skip : skip + body["top"]]
        return Answer(200, {"value": [{"key": k} for k in page]})


async def test_listing_keys_pages_by_key_so_it_goes_past_the_services_skip_limit() -> None:
    keys = sorted(document_key("contoso", f"doc{n:06d}") for n in range(2_500))
    service = KeyedService(keys)
    transport = RecordingTransport(service)
    index = _index(transport)
    assert await index.for_tenant("contoso").delete_source("file_1") == 2_500
    await index.close()
    lookups = searches(transport)
    assert len(lookups) == 3
    assert all("skip" not in s.json() for s in lookups)
    assert lookups[1].json()["filter"].endswith(f"key gt '{keys[999]}'")
    deleted = [
        action["key"]
        for s in transport.sent
        if s.path.endswith("search.index")
        for action in s.json()["value"]
    ]
    assert deleted == keys
