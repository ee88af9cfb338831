"""The embedded index and Azure AI Search agree on what a word matches: English, Porter-stemmed.

The Azure side cannot run here; what can be checked is that the index definition the workers
PUT names `en.lucene` (Lucene's English analyzer: lower-case, stop words, Porter stemmer) for
every searchable text field, and that searches send no analyzer or mode that would change it.
The embedded side runs: each pair below must match (or not) there, as under `en.lucene`, which
stems but folds no accents.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from azure.core.credentials import AzureKeyCredential
from azure.search.documents.aio import SearchClient
from azure.search.documents.indexes.aio import SearchIndexClient

from shared.adapters.azure.search import AzureSearchIndex
from shared.adapters.azure.search_schema import TEXT_ANALYZER
from shared.adapters.local.search import SqliteSearchIndex
from shared.ports.search import SearchDocument
from shared.tenancy import Tenant, TenantRegistry
from tests.azure.transport import Answer, RecordingTransport, Sent

MATCHING = [
    ("refund", "Refunds are issued within five days."),
    ("refunds", "How to refund an order"),
    ("refunded", "Refunding a payment"),
    ("connection", "The client connected twice."),
    ("invoices", "One invoice per month."),
    ("running", "He runs every morning."),
]
NOT_MATCHING = [
    ("the", "The refund policy"),
    ("is a", "This is a refund."),
    ("refund", "A reference manual"),
    ("résumé", "resume writing"),
]


def _answer(sent: Sent) -> Answer:
    if sent.method == "PUT":
        return Answer(201, sent.json())
    if sent.path.endswith("search.index"):
        actions = sent.json()["value"]
        return Answer(200, {"value": [{"key": a["key"], "status": True} for a in actions]})
    return Answer(200, {"value": []})


async def test_the_azure_index_analyses_every_searchable_text_field_in_english_with_lucene() -> (
    None
):
    transport = RecordingTransport(_answer)
    key = AzureKeyCredential("k")
    index = AzureSearchIndex(
        SearchIndexClient("https://s.search.windows.net", key, transport=transport),
        lambda name: SearchClient("https://s.search.windows.net", name, key, transport=transport),
        TenantRegistry([Tenant(id="contoso")]),
        default_index="tenantry",
        dimensions=3,
    )
    await index.for_tenant("contoso").upsert([SearchDocument(id="d", content="Refunds")])
    await index.for_tenant("contoso").search("refund")
    await index.close()
    (put,) = [s for s in transport.sent if s.method == "PUT"]
    searchable = [
        f for f in put.json()["fields"] if f["type"] == "Edm.String" and f.get("searchable")
    ]
    assert {f["name"] for f in searchable} == {"title", "content"}
    assert TEXT_ANALYZER == "en.lucene"
    assert all(f["analyzer"] == TEXT_ANALYZER for f in searchable)
    query = [s for s in transport.sent if s.path.endswith("search.post.search")][-1].json()
    assert query["search"] == "refund"
    assert not {"queryType", "searchMode", "searchFields", "scoringProfile"} & query.keys()


@pytest.fixture
async def local(tmp_path: Path) -> SqliteSearchIndex:
    return SqliteSearchIndex(tmp_path / "search.sqlite3")


@pytest.mark.parametrize(("query", "text"), MATCHING)
async def test_a_word_finds_its_english_forms_in_the_embedded_index(
    local: SqliteSearchIndex, query: str, text: str
) -> None:
    tenant = local.for_tenant("contoso")
    await tenant.upsert([SearchDocument(id="doc", content=text)])
    hits = await tenant.search(query)
    await local.close()
    assert [h.id for h in hits] == ["doc"]


@pytest.mark.parametrize(("query", "text"), NOT_MATCHING)
async def test_stop_words_and_other_stems_match_nothing_in_the_embedded_index(
    local: SqliteSearchIndex, query: str, text: str
) -> None:
    tenant = local.for_tenant("contoso")
    await tenant.upsert([SearchDocument(id="doc", content=text)])
    hits = await tenant.search(query)
    await local.close()
    assert hits == []


OLD_SCHEMA = """
CREATE TABLE docs (seq INTEGER PRIMARY KEY, tenant_id TEXT NOT NULL, id TEXT NOT NULL,
    title TEXT NOT NULL, content TEXT NOT NULL, source TEXT NOT NULL, fields TEXT NOT NULL,
    vector BLOB, UNIQUE (tenant_id, id));
CREATE VIRTUAL TABLE docs_fts USING fts5(title, content, content='docs', content_rowid='seq',
    tokenize='unicode61 remove_diacritics 2');
CREATE TRIGGER docs_ai AFTER INSERT ON docs BEGIN
    INSERT INTO docs_fts (rowid, title, content) VALUES (new.seq, new.title, new.content);
END;
INSERT INTO docs (tenant_id, id, title, content, source, fields)
    VALUES ('contoso', 'old', '', 'Refunds before stemming', '', '{}');
"""


async def test_an_index_made_before_stemming_is_rebuilt_stemmed_on_open(tmp_path: Path) -> None:
    path = tmp_path / "search.sqlite3"
    with sqlite3.connect(path) as conn:
        conn.executescript(OLD_SCHEMA)
    conn.close()
    index = SqliteSearchIndex(path)
    tenant = index.for_tenant("contoso")
    assert [h.id for h in await tenant.search("refund")] == ["old"]
    await tenant.upsert([SearchDocument(id="new", content="refunding later")])
    assert sorted(h.id for h in await tenant.search("refunds")) == ["new", "old"]
    await index.close()
