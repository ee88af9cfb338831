"""The Azure RBAC permission each request of the SDKs needs, from the request itself.

Names are those of Azure's resource provider operations ("Azure permissions" in the Azure RBAC
documentation, https://learn.microsoft.com/azure/role-based-access-control/permissions/), and,
per service, the data-plane authorization tables: Storage "Permissions for calling data
operations", Cosmos DB "Data actions", AI Search "Role-based access for data plane
operations", Key Vault "Azure RBAC secret data actions". A permission is either a control-plane
`action` or a `dataAction`; roles list them apart, and a request needs its one to be granted.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

SERVICEBUS = "servicebus"
COSMOS = "cosmos"
BLOB = "blob"
SEARCH = "search"
KEYVAULT = "keyvault"
FOUNDRY = "foundry"
TOKEN = "token"  # a credential fetching a token: no role needed

BLOBS = "Microsoft.Storage/storageAccounts/blobServices"
DOCDB = "Microsoft.DocumentDB/databaseAccounts"
ITEMS = f"{DOCDB}/sqlDatabases/containers/items"
SEARCH_SERVICE = "Microsoft.Search/searchServices"
SECRETS = "Microsoft.KeyVault/vaults/secrets"
AGENTS = "Microsoft.CognitiveServices/accounts/AIServices/agents"


@dataclass(frozen=True)
class Permission:
    """What one request needs: the service, `action` or `dataAction`, the operation, the entity."""

    service: str
    kind: str
    operation: str
    entity: str = ""


def _data(service: str, operation: str, entity: str = "") -> Permission:
    return Permission(service, "dataAction", operation, entity)


def _action(service: str, operation: str, entity: str = "") -> Permission:
    return Permission(service, "action", operation, entity)


def service_of(user_agent: str, host: str) -> str | None:
    """The service an azure-core request is for, from the SDK's user agent."""
    agent = user_agent.lower()
    for marker, service in (
        ("azsdk-python-cosmos", COSMOS),
        ("azsdk-python-storage-blob", BLOB),
        ("azsdk-python-search-documents", SEARCH),
        ("azsdk-python-keyvault-secrets", KEYVAULT),
        ("azsdk-python-ai-projects", FOUNDRY),
        ("azsdk-python-identity", TOKEN),
    ):
        if marker in agent:
            return service
    if host.endswith((".services.ai.azure.com", ".openai.azure.com")):
        return FOUNDRY
    return None


def servicebus(link: str, queue: str) -> Permission:
    """Opening a sender (`send`) or receiver (`receive`) link on a queue or its dead letters."""
    return _data(SERVICEBUS, f"Microsoft.ServiceBus/namespaces/messages/{link}/action", queue)


def _blob(method: str, path: str, query: dict[str, list[str]]) -> Permission:
    if query.get("comp") == ["userdelegationkey"]:
        return _action(BLOB, f"{BLOBS}/generateUserDelegationKey/action")
    parts = [p for p in path.split("/") if p]
    if parts and parts[0] == "devstoreaccount1":  # Azurite puts the account in the path
        parts = parts[1:]
    container = parts[0] if parts else ""
    if query.get("restype") == ["container"]:
        if query.get("comp") == ["list"]:
            return _data(BLOB, f"{BLOBS}/containers/blobs/read", container)
        if method == "PUT" and not query.get("comp"):
            return _action(BLOB, f"{BLOBS}/containers/write", container)
        if method == "DELETE":
            return _action(BLOB, f"{BLOBS}/containers/delete", container)
        return _action(BLOB, f"{BLOBS}/containers/read", container)
    verb = {"GET": "read", "HEAD": "read", "DELETE": "delete"}.get(method, "write")
    return _data(BLOB, f"{BLOBS}/containers/blobs/{verb}", container)


def _cosmos(method: str, path: str, headers: dict[str, str]) -> Permission:
    parts = [unquote(p) for p in path.split("/") if p]
    lowered = {k.lower(): v.lower() for k, v in headers.items()}
    if method == "POST" and parts == ["dbs"]:
        return _action(COSMOS, f"{DOCDB}/sqlDatabases/write")
    if method == "POST" and len(parts) == 3 and parts[2] == "colls":
        return _action(COSMOS, f"{DOCDB}/sqlDatabases/containers/write", parts[1])
    if len(parts) >= 5 and parts[4] == "docs":
        container = parts[3]
        if len(parts) == 5 and method == "POST":
            if lowered.get("x-ms-documentdb-isquery") == "true" or "query+json" in lowered.get(
                "content-type", ""
            ):
                return _data(COSMOS, f"{DOCDB}/sqlDatabases/containers/executeQuery", container)
            if lowered.get("x-ms-documentdb-is-upsert") == "true":
                return _data(COSMOS, f"{ITEMS}/upsert", container)
            return _data(COSMOS, f"{ITEMS}/create", container)
        if len(parts) == 5 and method == "GET":
            return _data(COSMOS, f"{DOCDB}/sqlDatabases/containers/readChangeFeed", container)
        verb = {"GET": "read", "HEAD": "read", "DELETE": "delete"}.get(method, "replace")
        return _data(COSMOS, f"{ITEMS}/{verb}", container)
    if method in ("GET", "HEAD"):
        return _data(COSMOS, f"{DOCDB}/readMetadata")
    return _action(COSMOS, f"{DOCDB}/sqlDatabases/{method.lower()}")


def _search(method: str, path: str, body: bytes) -> Permission:
    match = re.match(r"/indexes(?:\('([^']*)'\)|/([^/]+))?(/docs.*)?$", unquote(path))
    index = (match.group(1) or match.group(2) or "") if match else ""
    docs = match.group(3) if match else None
    if docs is None:
        verb = {"GET": "read", "DELETE": "delete"}.get(method, "write")
        return _action(SEARCH, f"{SEARCH_SERVICE}/indexes/{verb}", index)
    if docs.endswith("search.index"):
        actions = {
            a.get("@search.action", "upload") for a in json.loads(body or b"{}").get("value", [])
        }
        verb = "delete" if actions == {"delete"} else "write"
        return _data(SEARCH, f"{SEARCH_SERVICE}/indexes/documents/{verb}", index)
    return _data(SEARCH, f"{SEARCH_SERVICE}/indexes/documents/read", index)


def _keyvault(method: str, path: str) -> Permission:
    parts = [p for p in path.split("/") if p]
    if parts[:1] == ["deletedsecrets"]:
        operation = "purge/action" if method == "DELETE" else "readMetadata/action"
    elif method == "GET":
        operation = "getSecret/action" if len(parts) >= 2 else "readMetadata/action"
    elif method == "PUT":
        operation = "setSecret/action"
    elif method == "DELETE":
        operation = "delete"
    else:
        operation = "update/action"
    return _data(KEYVAULT, f"{SECRETS}/{operation}", parts[1] if len(parts) > 1 else "")


def _foundry(method: str) -> Permission:
    verb = {"GET": "read", "DELETE": "delete"}.get(method, "write")
    return _data(FOUNDRY, f"{AGENTS}/{verb}")


def http(method: str, url: str, headers: dict[str, Any], body: bytes) -> Permission | None:
    """The permission an HTTP request needs; None when it is not one of the services here."""
    split = urlsplit(url)
    user_agent = str(next((v for k, v in headers.items() if k.lower() == "user-agent"), ""))
    service = service_of(user_agent, split.hostname or "")
    query = parse_qs(split.query)
    if service == BLOB:
        return _blob(method, split.path, query)
    if service == COSMOS:
        return _cosmos(method, split.path, {k: str(v) for k, v in headers.items()})
    if service == SEARCH:
        return _search(method, split.path, body)
    if service == KEYVAULT:
        return _keyvault(method, split.path)
    if service == FOUNDRY:
        return _foundry(method)
    if service == TOKEN:
        return Permission(TOKEN, "none", "token")
    return None
