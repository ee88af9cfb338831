"""How the store's collections and documents are laid out in Cosmos DB.

Every container is partitioned by `/tenantId`. A stored item wraps the caller's document in
`body`, so no field of a document can collide with Cosmos DB's or tenantry's own, and its Cosmos
id joins the collection and the document id (ids are unique per partition, not per collection).
"""

from __future__ import annotations

import re
import secrets
import time
from typing import Any

from azure.cosmos import PartitionKey

PARTITION_KEY_PATH = "/tenantId"
PARTITION_KEY = PartitionKey(path=PARTITION_KEY_PATH)

DOCUMENTS = "documents"
CONTAINER_OF: dict[str, str] = {"jobs": "jobs", "idempotency": "idempotency"}
"""Collections with a container of their own; every other collection lives in `documents`."""

CONTAINERS = (DOCUMENTS, *sorted(set(CONTAINER_OF.values())))

FIELD = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,63}$")
_UNSAFE = re.compile(r"[%/\\?#\x00-\x1f\x7f]")


def container_of(collection: str) -> str:
    """The container that holds a collection."""
    return CONTAINER_OF.get(collection, DOCUMENTS)


def cosmos_id(collection: str, doc_id: str) -> str:
    """The item id: `collection:doc_id`, with the characters Cosmos DB forbids in ids escaped."""
    if not collection or not doc_id:
        raise ValueError("a collection and a document id are required")

    def escape(text: str) -> str:
        return _UNSAFE.sub(lambda m: f"%{ord(m.group()):02X}", text)

    item_id = f"{escape(collection)}:{escape(doc_id)}"
    if len(item_id) > 255:
        raise ValueError("collection and id together are over Cosmos DB's 255-character id limit")
    return item_id


def sort_key() -> str:
    """Creation order: nanoseconds, then randomness so that two writers never tie."""
    return f"{time.time_ns():020d}{secrets.token_hex(4)}"


def wrap(tenant_id: str, collection: str, doc: dict[str, Any], order: str) -> dict[str, Any]:
    """The item stored for a document of a tenant."""
    doc_id = doc.get("id")
    if not isinstance(doc_id, str) or not doc_id:
        raise ValueError("a document needs a string id")
    body = {k: v for k, v in doc.items() if k != "_etag"}
    return {
        "id": cosmos_id(collection, doc_id),
        "tenantId": tenant_id,
        "collection": collection,
        "sortKey": order,
        "body": body,
    }


def unwrap(item: dict[str, Any]) -> dict[str, Any]:
    """The document a stored item holds, with its etag."""
    doc = dict(item["body"])
    doc["_etag"] = item["_etag"]
    return doc
