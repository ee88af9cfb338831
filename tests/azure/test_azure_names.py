"""Every Azure name tenantry derives from a tenant id keeps the service's naming rules.

Tenant ids are anything the registry accepts (`shared.tenancy.TENANT_ID`); the rules are the
services' own, as their documentation states them.
"""

from __future__ import annotations

import re

from hypothesis import given
from hypothesis import strategies as st

from shared.adapters.azure.blob_sas import container_name
from shared.adapters.azure.foundry_names import agent_name, tenant_prefix
from shared.adapters.azure.keyvault import shared_vault_prefix
from shared.adapters.azure.search_schema import document_key
from shared.queues import MAX_LANES, endpoint_session, session_for
from shared.tenancy import TENANT_ID, Tenant

BLOB_CONTAINER = re.compile(r"[a-z0-9](?:[a-z0-9]|-(?=[a-z0-9])){2,62}")
"""Storage: 3-63 lowercase letters, digits and hyphens; starts and ends with a letter or a digit;
no two hyphens in a row."""
KEY_VAULT_SECRET = re.compile(r"[0-9A-Za-z-]{1,127}")
"""Key Vault: 1-127 letters, digits and hyphens."""
FOUNDRY_AGENT = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?")
"""Foundry agents: up to 63 letters, digits and hyphens, starting and ending alphanumeric."""
SEARCH_KEY = re.compile(r"[A-Za-z0-9_\-=]{1,1024}")
"""AI Search document keys: letters, digits, `_`, `-`, `=`; at most 1024 characters."""
SESSION_ID_MAX = 128
"""Service Bus session ids: at most 128 characters."""

tenant_ids = st.from_regex(TENANT_ID, fullmatch=True)
ids = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), min_size=1, max_size=60)


@given(tenant_ids)
def test_a_tenants_container_name_is_a_valid_blob_container_name(tenant_id: str) -> None:
    assert BLOB_CONTAINER.fullmatch(container_name(Tenant(id=tenant_id)))


def test_a_long_id_cut_at_a_hyphen_gives_no_double_hyphen() -> None:
    tenant_id = "a" * 44 + "-b"
    name = container_name(Tenant(id=tenant_id))
    assert "--" not in name and BLOB_CONTAINER.fullmatch(name)


@given(tenant_ids, st.from_regex(r"[0-9A-Za-z-]{1,64}", fullmatch=True))
def test_a_tenants_secret_names_in_the_shared_vault_are_valid(tenant_id: str, name: str) -> None:
    prefix = shared_vault_prefix(Tenant(id=tenant_id))
    assert KEY_VAULT_SECRET.fullmatch(prefix + name)
    assert prefix.endswith("--") and "--" not in prefix[:-2]


@given(
    tenant_ids,
    st.text(min_size=0, max_size=40),
    st.from_regex(r"asst_[0-9a-z]{1,40}", fullmatch=True),
)
def test_a_tenants_agent_names_are_valid_foundry_names(
    tenant_id: str, prefix: str, agent_id: str
) -> None:
    name = agent_name(prefix, tenant_id, agent_id)
    assert FOUNDRY_AGENT.fullmatch(name)
    assert name.startswith(tenant_prefix(prefix, tenant_id))


@given(tenant_ids, ids)
def test_a_tenants_document_keys_are_valid_search_keys(tenant_id: str, doc_id: str) -> None:
    assert SEARCH_KEY.fullmatch(document_key(tenant_id, doc_id))


@given(tenant_ids, st.integers(1, MAX_LANES), st.text(max_size=40))
def test_a_tenants_session_ids_fit_service_bus(tenant_id: str, lanes: int, key: str) -> None:
    assert len(session_for(tenant_id, lanes=lanes, key=key)) <= SESSION_ID_MAX
    assert len(endpoint_session(tenant_id, "we_" + "f" * 32)) <= SESSION_ID_MAX
