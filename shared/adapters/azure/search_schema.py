"""The Azure AI Search index schema and how a tenant's document maps onto it.

Keys are namespaced by the tenant (`base64url(tenant \\x1f id)`, valid key characters), so two
tenants indexing `doc1` keep two documents; `tenantId` is filterable and every query filters on
it; `vector` holds the embedding for vector and hybrid queries; user fields are kept as
`name=value` strings in the filterable `attributes` collection. The key is sortable, so a long
listing pages by key rather than by `skip` (which the service caps at 100,000).

Text is analysed by `en.lucene`, chosen on purpose: Lucene's English analyzer lower-cases,
drops English stop words and Porter-stems, which is what the embedded index does with FTS5's
`porter` tokenizer (`shared.adapters.local.search_sql`), so "refund" finds "Refunds" on both.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Mapping
from typing import Any

from azure.search.documents.indexes.models import (
    HnswAlgorithmConfiguration,
    SearchableField,
    SearchField,
    SearchIndex,
    SimpleField,
    VectorSearch,
    VectorSearchProfile,
)

from shared.ports.search import SearchDocument, SearchHit

VECTOR_PROFILE = "tenantry-vector"
VECTOR_ALGORITHM = "tenantry-hnsw"
STRING = "Edm.String"
STRINGS = "Collection(Edm.String)"
SINGLES = "Collection(Edm.Single)"
TEXT_ANALYZER = "en.lucene"
"""Lucene's English analyzer: the Porter stemmer, as the embedded index uses."""
SELECT = ["key", "docId", "content", "title", "source", "attributes"]


def index_schema(name: str, dimensions: int) -> SearchIndex:
    """The index definition, the same on every create-or-update."""
    return SearchIndex(
        name=name,
        fields=[
            SimpleField(name="key", type=STRING, key=True, filterable=True, sortable=True),
            SimpleField(name="tenantId", type=STRING, filterable=True),
            SimpleField(name="docId", type=STRING, filterable=True),
            SimpleField(name="source", type=STRING, filterable=True),
            SearchableField(name="title", type=STRING, analyzer_name=TEXT_ANALYZER),
            SearchableField(name="content", type=STRING, analyzer_name=TEXT_ANALYZER),
            SimpleField(
                name="attributes",
                type=STRINGS,
                filterable=True,
            ),
            SearchField(
                name="vector",
                type=SINGLES,
                searchable=True,
                vector_search_dimensions=dimensions,
                vector_search_profile_name=VECTOR_PROFILE,
            ),
        ],
        vector_search=VectorSearch(
            algorithms=[HnswAlgorithmConfiguration(name=VECTOR_ALGORITHM)],
            profiles=[
                VectorSearchProfile(
                    name=VECTOR_PROFILE, algorithm_configuration_name=VECTOR_ALGORITHM
                )
            ],
        ),
    )


def document_key(tenant_id: str, doc_id: str) -> str:
    """The tenant-namespaced key of a document."""
    return base64.urlsafe_b64encode(f"{tenant_id}\x1f{doc_id}".encode()).decode()


def attribute(name: str, value: str | int | float | bool) -> str:
    """A user field as stored (and as filtered on): `name=<JSON value>`."""
    return f"{name}={json.dumps(value)}"


def to_index(
    tenant_id: str, document: SearchDocument, vector: list[float] | None
) -> dict[str, Any]:
    """The index document for a tenant's document."""
    doc: dict[str, Any] = {
        "key": document_key(tenant_id, document.id),
        "tenantId": tenant_id,
        "docId": document.id,
        "source": document.source,
        "title": document.title,
        "content": document.content,
        "attributes": [attribute(k, v) for k, v in sorted(document.fields.items())],
    }
    if vector is not None:
        doc["vector"] = vector
    return doc


def _fields(attributes: list[str] | None) -> Mapping[str, Any]:
    fields: dict[str, Any] = {}
    for item in attributes or []:
        name, _, value = item.partition("=")
        fields[name] = json.loads(value)
    return fields


def to_hit(result: Mapping[str, Any]) -> SearchHit:
    """A search result as the port's hit."""
    return SearchHit(
        id=str(result["docId"]),
        content=str(result.get("content") or ""),
        title=str(result.get("title") or ""),
        source=str(result.get("source") or ""),
        score=float(result.get("@search.score") or 0.0),
        fields=_fields(result.get("attributes")),
    )
