"""User search filters: field names checked, values rendered so they can only narrow a query.

Every adapter checks a `FieldFilter` with `check_filter`; the Azure AI Search adapter renders the
tenant filter and the user's with `odata_filter`, which quotes strings the way OData requires
(a quote is doubled), so no value can close its literal and add an `or` of its own.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence

from shared.contracts.metadata import TENANT_FIELDS
from shared.ports.search import FieldFilter, InvalidFilter

FIELD_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_]{0,63}")
"""A filterable field: an OData identifier (letters, digits, `_`), starting with a letter."""

RESERVED_FIELDS = frozenset({"id", "content", "vector", "embedding", "key"})
"""Fields a user cannot filter on (the key, the text, the vectors)."""

ODATA_WORDS = frozenset(
    {
        "and",
        "or",
        "not",
        "eq",
        "ne",
        "gt",
        "ge",
        "lt",
        "le",
        "true",
        "false",
        "null",
        "any",
        "all",
        "in",
        "has",
        "search",
        "geo",
        "ismatch",
        "ismatchscoring",
    }
)
"""OData keywords and Azure AI Search functions, never accepted as field names."""

MAX_VALUE_CHARS = 1024


DECLARED_FIELDS = frozenset({"title", "source"})
"""Fields every document has: filterable, but not a client's own field name."""


def _check_identifier(name: str) -> str:
    if not isinstance(name, str) or FIELD_NAME.fullmatch(name) is None:
        raise ValueError("a field name is a letter followed by letters, digits or '_'")
    lowered = name.lower()
    if lowered in ODATA_WORDS or lowered in RESERVED_FIELDS or lowered in TENANT_FIELDS:
        raise ValueError(f"'{name}' is a reserved name")
    return name


def check_field_name(name: str) -> str:
    """A client's own document field name, else ValueError (reserved, or not an identifier)."""
    _check_identifier(name)
    if name.lower() in DECLARED_FIELDS:
        raise ValueError(f"'{name}' is a reserved name")
    return name


def check_filter(item: FieldFilter) -> FieldFilter:
    """The filter if its field may be filtered on and its value is usable, else `InvalidFilter`."""
    name = item.name
    try:
        _check_identifier(name)
    except ValueError as exc:
        raise InvalidFilter(f"cannot filter on {name!r}: {exc}"[:300]) from None
    value = item.value
    if isinstance(value, str):
        if len(value) > MAX_VALUE_CHARS:
            raise InvalidFilter(f"a filter value is at most {MAX_VALUE_CHARS} characters")
        if "\x00" in value:
            raise InvalidFilter("a filter value cannot hold a NUL character")
    elif isinstance(value, float) and not math.isfinite(value):
        raise InvalidFilter("a number in a filter must be finite")
    elif not isinstance(value, bool | int | float):
        raise InvalidFilter("a filter value is a string, a number or a boolean")
    return item


def odata_literal(value: str | int | float | bool) -> str:
    """An OData literal: strings quoted with `'` doubled, booleans and finite numbers as is."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise InvalidFilter("a number in a filter must be finite")
        return repr(value)
    if isinstance(value, str):
        return "'" + value.replace("'", "''") + "'"
    raise InvalidFilter("a filter value is a string, a number or a boolean")


def odata_filter(
    tenant_id: str, filters: Sequence[FieldFilter] = (), *, tenant_field: str = "tenantId"
) -> str:
    """`tenantId eq '<tenant>'` AND each user filter in parentheses: a query can only narrow.

    `tenant_field` is the index's tenant field (code, not input); it must be a plain identifier.
    """
    if FIELD_NAME.fullmatch(tenant_field) is None:
        raise ValueError("the tenant field must be a plain identifier")
    if not isinstance(tenant_id, str) or not tenant_id:
        raise ValueError("a tenant id is required")
    clauses = [f"{tenant_field} eq {odata_literal(tenant_id)}"]
    for item in filters:
        check_filter(item)
        clauses.append(f"({item.name} eq {odata_literal(item.value)})")
    return " and ".join(clauses)
