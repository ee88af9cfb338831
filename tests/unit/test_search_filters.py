"""The OData filter the Azure AI Search adapter sends: the tenant's clause AND the user's, each
value one literal, whatever it holds.

The tests read the rendered filter back with a small OData tokenizer: if a value could close its
literal, the token stream would show an extra `or`, `eq` or parenthesis.
"""

from __future__ import annotations

import math
import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from shared.ports.search import FieldFilter, InvalidFilter
from shared.search_filters import check_field_name, check_filter, odata_filter, odata_literal

_TOKEN = re.compile(r"\s*(?:(?P<string>'(?:[^']|'')*')|(?P<paren>[()])|(?P<word>[^\s()']+))")


def tokens(expression: str) -> list[tuple[str, str]]:
    """OData tokens: ('string', decoded value), ('paren', p) or ('word', w); fails on leftovers."""
    found: list[tuple[str, str]] = []
    position = 0
    while position < len(expression):
        match = _TOKEN.match(expression, position)
        assert match is not None and match.end() > position, expression[position:]
        kind = match.lastgroup
        assert kind is not None
        text = match.group(kind)
        found.append((kind, text[1:-1].replace("''", "'") if kind == "string" else text))
        position = match.end()
    return found


def expected(tenant: str, filters: list[tuple[str, str]]) -> list[tuple[str, str]]:
    stream = [("word", "tenantId"), ("word", "eq"), ("string", tenant)]
    for name, value in filters:
        stream += [
            ("word", "and"),
            ("paren", "("),
            ("word", name),
            ("word", "eq"),
            ("string", value),
            ("paren", ")"),
        ]
    return stream


def test_the_tenant_clause_comes_first_and_user_clauses_are_anded_in_parentheses() -> None:
    rendered = odata_filter("contoso", [FieldFilter("title", "Q3"), FieldFilter("year", 2024)])
    assert rendered == "tenantId eq 'contoso' and (title eq 'Q3') and (year eq 2024)"


def test_with_no_user_filter_only_the_tenant_clause_remains() -> None:
    assert odata_filter("contoso") == "tenantId eq 'contoso'"


@pytest.mark.parametrize(
    ("value", "literal"),
    [
        ("O'Brien", "'O''Brien'"),
        ("''", "''''''"),
        ("x' or tenantId ne 'y", "'x'' or tenantId ne ''y'"),
        ("a') or (1 eq 1", "'a'') or (1 eq 1'"),
        ("", "''"),
        (True, "true"),
        (False, "false"),
        (42, "42"),
        (-7, "-7"),
        (2.5, "2.5"),
    ],
)
def test_literals_are_rendered_as_odata_requires(
    value: str | int | float | bool, literal: str
) -> None:
    assert odata_literal(value) == literal


@pytest.mark.parametrize(
    "value",
    [
        "x' or tenantId eq 'fabrikam",
        "x') or (tenantId eq 'fabrikam",
        "x' or 1 eq 1 or title eq '",
        "' or search.ismatch('*') or '",
        "x\u2019 or true",
        "x\uff07 or true",
        "naïve résumé 日本語 ' or '",
        "x'\n or true",
        "x%27 or true",
    ],
)
def test_a_hostile_value_stays_one_literal(value: str) -> None:
    rendered = odata_filter("contoso", [FieldFilter("title", value)])
    assert tokens(rendered) == expected("contoso", [("title", value)])


@given(
    tenant=st.from_regex(r"[A-Za-z0-9][A-Za-z0-9_.:\-]{0,20}", fullmatch=True),
    values=st.lists(st.text(alphabet=st.characters(blacklist_characters="\x00")), max_size=4),
)
def test_no_value_of_any_characters_can_widen_the_filter(tenant: str, values: list[str]) -> None:
    filters = [(f"field{i}", value) for i, value in enumerate(values)]
    rendered = odata_filter(tenant, [FieldFilter(name, value) for name, value in filters])
    assert tokens(rendered) == expected(tenant, filters)
    assert [w for k, w in tokens(rendered) if k == "word" and w in ("or", "not")] == []


def test_a_tenant_id_with_a_quote_is_escaped_too() -> None:
    assert tokens(odata_filter("a'b")) == expected("a'b", [])


@pytest.mark.parametrize(
    "name",
    [
        "tenantId",
        "TenantID",
        "tenant_id",
        "id",
        "content",
        "or",
        "and",
        "eq",
        "not",
        "search",
        "title eq 'x' or title",
        "title)",
        "(title",
        "1title",
        "_title",
        "ti-tle",
        "títle",
        "",
        "x" * 65,
    ],
)
def test_a_field_name_that_is_not_a_plain_identifier_or_is_reserved_is_refused(name: str) -> None:
    with pytest.raises(InvalidFilter):
        odata_filter("contoso", [FieldFilter(name, "v")])


@pytest.mark.parametrize("value", [math.nan, math.inf, -math.inf, "x\x00y", "v" * 1025, None, [1]])
def test_an_unusable_value_is_refused(value: object) -> None:
    with pytest.raises(InvalidFilter):
        check_filter(FieldFilter("title", value))  # type: ignore[arg-type]


def test_the_tenant_field_must_be_a_plain_identifier() -> None:
    with pytest.raises(ValueError, match="identifier"):
        odata_filter("contoso", tenant_field="tenantId or true")


def test_title_and_source_filter_but_are_not_a_clients_own_field_names() -> None:
    assert check_filter(FieldFilter("source", "file_1")).name == "source"
    for name in ("title", "Source"):
        with pytest.raises(ValueError, match="reserved"):
            check_field_name(name)
    assert check_field_name("category") == "category"
