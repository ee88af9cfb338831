"""The search contract: what every `SearchIndex` adapter keeps.

Keys are namespaced by tenant, every query is filtered by the tenant inside the adapter, user
filters only narrow, and vector and hybrid modes either work (an embedder is configured) or
raise `EmbedderMissing`. Each adapter gives a factory in `SEARCH_INDEXES`; the Azure AI Search
adapter adds its own (through the SDK's HTTP transport) and runs the same tests.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager as AsyncContextManager
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import pytest

from shared.adapters.local.embedder import LocalEmbedder
from shared.adapters.local.search import SqliteSearchIndex
from shared.ports.search import (
    EmbedderMissing,
    FieldFilter,
    InvalidFilter,
    SearchDocument,
    SearchIndex,
)


@dataclass
class Indexed:
    """An index under test and whether it has an embedder."""

    index: SearchIndex
    vectors: bool


IndexFactory = Callable[[Path], AsyncContextManager[Indexed]]


@cache
def minilm() -> LocalEmbedder:
    """One real local model for the whole session (it loads in about a second)."""
    return LocalEmbedder()


def _sqlite(with_vectors: bool) -> IndexFactory:
    @contextlib.asynccontextmanager
    async def factory(tmp_path: Path) -> AsyncIterator[Indexed]:
        index = SqliteSearchIndex(
            tmp_path / "search.sqlite3", embedder=minilm() if with_vectors else None
        )
        try:
            yield Indexed(index, with_vectors)
        finally:
            await index.close()

    return factory


SEARCH_INDEXES: dict[str, IndexFactory] = {
    "sqlite": _sqlite(False),
    "sqlite+minilm": _sqlite(True),
}
WITH_VECTORS = ["sqlite+minilm"]
"""The factories whose index has an embedder (the vector tests run on these only)."""


@pytest.fixture(params=sorted(SEARCH_INDEXES))
async def indexed(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Indexed]:
    async with SEARCH_INDEXES[request.param](tmp_path) as opened:
        yield opened


@pytest.fixture(params=WITH_VECTORS)
async def vectored(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Indexed]:
    async with SEARCH_INDEXES[request.param](tmp_path) as opened:
        assert opened.vectors
        yield opened


def doc(doc_id: str, content: str, **kwargs: object) -> SearchDocument:
    return SearchDocument(id=doc_id, content=content, **kwargs)  # type: ignore[arg-type]


async def ids(index: SearchIndex, tenant: str, query: str, **kwargs: object) -> list[str]:
    hits = await index.for_tenant(tenant).search(query, **kwargs)  # type: ignore[arg-type]
    return [hit.id for hit in hits]


CORPUS = [
    doc("d1", "The quarterly revenue report shows growth in every region."),
    doc("d2", "Holiday schedule: the office is closed on public holidays."),
    doc("d3", "Revenue, revenue, revenue: the revenue forecast for next year.", title="Revenue"),
    doc("d4", "Instructions for resetting a forgotten password."),
]


async def test_a_text_search_ranks_by_bm25_best_first(indexed: Indexed) -> None:
    await indexed.index.for_tenant("contoso").upsert(CORPUS)
    hits = await indexed.index.for_tenant("contoso").search("revenue", top=10)
    assert [h.id for h in hits] == ["d3", "d1"]
    assert hits[0].score > hits[1].score > 0
    assert (hits[0].title, hits[0].source) == ("Revenue", "")


async def test_the_seed_isolation_case_finds_nothing_of_another_tenant(indexed: Indexed) -> None:
    await indexed.index.for_tenant("contoso").upsert([doc("doc1", "Contoso confidential document")])
    assert await ids(indexed.index, "fabrikam", "confidential") == []
    assert await ids(indexed.index, "contoso", "confidential") == ["doc1"]


async def test_two_tenants_indexing_the_same_id_keep_their_own(indexed: Indexed) -> None:
    index = indexed.index
    await index.for_tenant("contoso").upsert([doc("doc1", "contoso alpha text")])
    await index.for_tenant("fabrikam").upsert([doc("doc1", "fabrikam beta text")])
    [mine] = await index.for_tenant("contoso").search("text")
    [theirs] = await index.for_tenant("fabrikam").search("text")
    assert (mine.content, theirs.content) == ("contoso alpha text", "fabrikam beta text")
    assert await ids(index, "contoso", "beta") == []
    assert await index.for_tenant("fabrikam").delete(["doc1"]) == 1
    assert await ids(index, "contoso", "alpha") == ["doc1"]


async def test_an_upsert_replaces_the_document_of_that_id(indexed: Indexed) -> None:
    tenant = indexed.index.for_tenant("contoso")
    await tenant.upsert([doc("d", "original wording")])
    await tenant.upsert([doc("d", "replacement phrasing")])
    assert await ids(indexed.index, "contoso", "original") == []
    assert await ids(indexed.index, "contoso", "replacement") == ["d"]


async def test_delete_removes_only_the_named_documents_and_counts_them(indexed: Indexed) -> None:
    tenant = indexed.index.for_tenant("contoso")
    await tenant.upsert(CORPUS)
    assert await tenant.delete(["d1", "d3", "nope"]) == 2
    assert await ids(indexed.index, "contoso", "revenue") == []
    assert await tenant.delete([]) == 0


async def test_delete_source_removes_a_files_chunks_in_this_tenant_only(indexed: Indexed) -> None:
    index = indexed.index
    chunks = [doc(f"file_a-{i}", f"chunk {i} of the manual", source="file_a") for i in range(3)]
    await index.for_tenant("contoso").upsert([*chunks, doc("keep", "manual kept")])
    await index.for_tenant("fabrikam").upsert([doc("file_a-0", "their manual", source="file_a")])
    assert await index.for_tenant("contoso").delete_source("file_a") == 3
    assert await ids(index, "contoso", "manual") == ["keep"]
    assert await ids(index, "fabrikam", "manual") == ["file_a-0"]


async def test_a_match_all_query_lists_only_this_tenants_documents(indexed: Indexed) -> None:
    await indexed.index.for_tenant("contoso").upsert(CORPUS)
    await indexed.index.for_tenant("fabrikam").upsert([doc("f1", "theirs")])
    assert sorted(await ids(indexed.index, "contoso", "*", top=50)) == ["d1", "d2", "d3", "d4"]


async def test_top_limits_the_hits(indexed: Indexed) -> None:
    await indexed.index.for_tenant("contoso").upsert(
        [doc(f"n{i}", f"common word number {i}") for i in range(20)]
    )
    assert len(await ids(indexed.index, "contoso", "common", top=7)) == 7


@pytest.mark.parametrize(
    "query",
    [
        '"',
        '"revenue',
        "revenue*",
        "NEAR(revenue growth)",
        "title:revenue",
        "revenue AND",
        "-(",
        "^",
    ],
)
async def test_query_syntax_in_user_text_is_just_words(indexed: Indexed, query: str) -> None:
    await indexed.index.for_tenant("contoso").upsert(CORPUS)
    found = await ids(indexed.index, "contoso", query)
    assert set(found) <= {"d1", "d3"}


async def test_a_title_filter_narrows_and_a_quoted_operator_cannot_widen(indexed: Indexed) -> None:
    await indexed.index.for_tenant("contoso").upsert(CORPUS)
    index = indexed.index
    assert await ids(index, "contoso", "revenue", filters=[FieldFilter("title", "Revenue")]) == [
        "d3"
    ]
    for value in [
        "Revenue' or title ne 'x",
        "x' or 1 eq 1 or title eq '",
        "Revenue') or (title ne '",
        "' or tenantId ne '",
        "Revenue\u2019 or true",
        "%' OR '1'='1",
    ]:
        assert await ids(index, "contoso", "revenue", filters=[FieldFilter("title", value)]) == []


async def test_custom_fields_come_back_and_filter_by_type(indexed: Indexed) -> None:
    tenant = indexed.index.for_tenant("contoso")
    await tenant.upsert(
        [
            doc("a", "policy text", fields={"category": "hr", "year": 2024, "public": True}),
            doc("b", "policy text", fields={"category": "it", "year": 2025, "public": False}),
        ]
    )
    [hit] = await tenant.search("policy", filters=[FieldFilter("category", "hr")])
    assert (hit.id, dict(hit.fields)) == ("a", {"category": "hr", "year": 2024, "public": True})
    assert await ids(indexed.index, "contoso", "policy", filters=[FieldFilter("year", 2025)]) == [
        "b"
    ]
    assert await ids(indexed.index, "contoso", "policy", filters=[FieldFilter("public", True)]) == [
        "a"
    ]
    assert (
        await ids(indexed.index, "contoso", "policy", filters=[FieldFilter("year", "2025")]) == []
    )
    both = [FieldFilter("category", "hr"), FieldFilter("year", 2025)]
    assert await ids(indexed.index, "contoso", "policy", filters=both) == []


@pytest.mark.parametrize(
    "name", ["tenantId", "TENANT_ID", "id", "content", "or", "title eq 'x' or title", "1abc", "a-b"]
)
async def test_a_filter_on_a_reserved_or_malformed_field_is_refused(
    indexed: Indexed, name: str
) -> None:
    with pytest.raises(InvalidFilter):
        await indexed.index.for_tenant("contoso").search("x", filters=[FieldFilter(name, "v")])


async def test_vector_and_hybrid_modes_need_an_embedder(indexed: Indexed) -> None:
    tenant = indexed.index.for_tenant("contoso")
    await tenant.upsert(CORPUS)
    for mode in ("vector", "hybrid"):
        if indexed.vectors:
            assert await tenant.search("revenue", mode=mode)  # type: ignore[arg-type]
        else:
            with pytest.raises(EmbedderMissing):
                await tenant.search("revenue", mode=mode)  # type: ignore[arg-type]


async def test_a_vector_search_finds_meaning_without_shared_words(vectored: Indexed) -> None:
    await vectored.index.for_tenant("contoso").upsert(CORPUS)
    found = await ids(vectored.index, "contoso", "I cannot log in, how do I recover my login?")
    assert "d4" not in found  # no word in common with the question
    assert (await ids(vectored.index, "contoso", "I cannot log in", mode="vector"))[0] == "d4"
    [best, *_] = await ids(vectored.index, "contoso", "money earned this year", mode="hybrid")
    assert best in {"d1", "d3"}


async def test_a_vector_search_never_reaches_another_tenant(vectored: Indexed) -> None:
    index = vectored.index
    await index.for_tenant("contoso").upsert([doc("secret", "The merger with Northwind closes.")])
    await index.for_tenant("fabrikam").upsert([doc("mine", "Recipes for apple pie.")])
    for mode in ("vector", "hybrid"):
        assert await ids(index, "fabrikam", "merger with Northwind", mode=mode) == ["mine"]


async def test_a_filter_narrows_a_vector_search_too(vectored: Indexed) -> None:
    tenant = vectored.index.for_tenant("contoso")
    await tenant.upsert(CORPUS)
    found = await tenant.search(
        "password", mode="vector", filters=[FieldFilter("title", "Revenue")]
    )
    assert [h.id for h in found] == ["d3"]
