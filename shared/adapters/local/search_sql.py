"""The embedded search index's schema, and the SQL of its text queries and user filters.

Nothing a user types becomes SQL or FTS5 syntax: a query is reduced to its words, each quoted as
an FTS5 string, and a filter's field name is checked and its value bound as a parameter.

Text is analysed as Azure AI Search's `en.lucene` analyzer does (the Azure index's schema
chooses it, `shared.adapters.azure.search_schema`): lower-cased, accents kept (no folding),
English stop words dropped from the query, Porter-stemmed (FTS5's `porter` tokenizer), so
"refund" finds "Refunds" on both. An index made before stemming is rebuilt once into the
stemmed table.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from shared.ports.search import FieldFilter, InvalidFilter
from shared.search_filters import check_filter

SCHEMA = """
CREATE TABLE IF NOT EXISTS docs (
    seq INTEGER PRIMARY KEY,
    tenant_id TEXT NOT NULL,
    id TEXT NOT NULL,
    title TEXT NOT NULL,
    content TEXT NOT NULL,
    source TEXT NOT NULL,
    fields TEXT NOT NULL,
    vector BLOB,
    UNIQUE (tenant_id, id)
);
CREATE INDEX IF NOT EXISTS docs_by_source ON docs (tenant_id, source);
DROP TRIGGER IF EXISTS docs_ai;
DROP TRIGGER IF EXISTS docs_ad;
DROP TRIGGER IF EXISTS docs_au;
DROP TABLE IF EXISTS docs_fts;
CREATE VIRTUAL TABLE IF NOT EXISTS docs_text USING fts5(
    title, content, content='docs', content_rowid='seq',
    tokenize='porter unicode61 remove_diacritics 0'
);
INSERT INTO docs_text (docs_text) SELECT 'rebuild'
    WHERE EXISTS (SELECT 1 FROM docs) AND NOT EXISTS (SELECT 1 FROM docs_text_docsize);
CREATE TRIGGER IF NOT EXISTS docs_text_ai AFTER INSERT ON docs BEGIN
    INSERT INTO docs_text (rowid, title, content) VALUES (new.seq, new.title, new.content);
END;
CREATE TRIGGER IF NOT EXISTS docs_text_ad AFTER DELETE ON docs BEGIN
    INSERT INTO docs_text (docs_text, rowid, title, content)
    VALUES ('delete', old.seq, old.title, old.content);
END;
CREATE TRIGGER IF NOT EXISTS docs_text_au AFTER UPDATE ON docs BEGIN
    INSERT INTO docs_text (docs_text, rowid, title, content)
    VALUES ('delete', old.seq, old.title, old.content);
    INSERT INTO docs_text (rowid, title, content) VALUES (new.seq, new.title, new.content);
END;
CREATE TABLE IF NOT EXISTS tenant_versions (
    tenant_id TEXT PRIMARY KEY,
    version INTEGER NOT NULL
);
"""

COLUMNS = "d.seq, d.id, d.title, d.content, d.source, d.fields"
"""What a hit is read from, in this order."""

BM25_WEIGHTS = "2.0, 1.0"
"""A word in the title counts twice as much as one in the content."""

MAX_QUERY_WORDS = 32
MATCH_ALL = "*"

_WORD = re.compile(r"\w+", re.UNICODE)
ENGLISH_STOP_WORDS = frozenset(
    {
        *("a", "an", "and", "are", "as", "at", "be", "but", "by", "for", "if", "in", "into"),
        *("is", "it", "no", "not", "of", "on", "or", "such", "that", "the", "their", "then"),
        *("there", "these", "they", "this", "to", "was", "will", "with"),
    }
)
"""Lucene's English stop words (`EnglishAnalyzer`), which `en.lucene` drops from queries."""
_BUILT_IN = {"title": "d.title", "source": "d.source"}


def fts_query(query: str) -> str | None:
    """The FTS5 query for a user's words: each one quoted, any of them matching; None if none."""
    words = [w for w in _WORD.findall(query.lower()) if w not in ENGLISH_STOP_WORDS]
    words = words[:MAX_QUERY_WORDS]
    if not words:
        return None
    return " OR ".join(f'"{word}"' for word in dict.fromkeys(words))


def filter_sql(filters: Sequence[FieldFilter]) -> tuple[str, list[object]]:
    """`AND ...` conditions on the `d` alias for the user's filters, and their parameters."""
    clauses: list[str] = []
    params: list[object] = []
    for item in filters:
        check_filter(item)
        value = item.value
        column = _BUILT_IN.get(item.name)
        if column is not None:
            if not isinstance(value, str):
                raise InvalidFilter(f"'{item.name}' is text: filter it with a string")
            clauses.append(f"{column} = ?")
            params.append(value)
            continue
        path = f'$."{item.name}"'
        if isinstance(value, bool):
            clauses.append("json_type(d.fields, ?) = ?")
            params += [path, "true" if value else "false"]
            continue
        types = _json_types(value)
        marks = ",".join("?" for _ in types)
        clauses.append(f"json_type(d.fields, ?) IN ({marks}) AND json_extract(d.fields, ?) = ?")
        params += [path, *types, path, value]
    return "".join(f" AND {clause}" for clause in clauses), params


def _json_types(value: str | int | float) -> tuple[str, ...]:
    """The JSON types a stored field may have to equal `value`."""
    if isinstance(value, str):
        return ("text",)
    if isinstance(value, int):
        return ("integer",)
    return ("integer", "real")
