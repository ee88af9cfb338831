"""Schemas of the answers FastAPI cannot see (routes that build their JSON by hand), for the
OpenAPI document: items, search hits, webhooks, operators' routes, readiness, command results."""

from __future__ import annotations

from typing import Any

Schema = dict[str, Any]


def _object(properties: dict[str, Schema], required: list[str], *, more: bool = False) -> Schema:
    return {
        "type": "object",
        "properties": properties,
        "required": required,
        "additionalProperties": more,
    }


STRING: Schema = {"type": "string"}
INTEGER: Schema = {"type": "integer"}
ANY_OBJECT: Schema = {"type": "object", "additionalProperties": True}
TENANT_METADATA: Schema = {"type": "object", "additionalProperties": True}

SCHEMAS: dict[str, Schema] = {
    "Item": _object(
        {"id": STRING, "_etag": STRING, "metadata": TENANT_METADATA},
        ["id"],
        more=True,
    ),
    "Deleted": _object({"id": STRING, "deleted": {"type": "boolean"}}, ["id", "deleted"]),
    "IndexResult": _object(
        {
            "value": {
                "type": "array",
                "items": _object({"key": STRING, "status": {"type": "boolean"}}, ["key"]),
            }
        },
        ["value"],
    ),
    "SearchHit": _object(
        {
            "@search.score": {"type": "number"},
            "id": STRING,
            "title": {"type": ["string", "null"]},
            "content": STRING,
            "source": ANY_OBJECT,
        },
        ["@search.score", "id", "content"],
        more=True,
    ),
    "WebhookEndpoint": _object(
        {
            "object": {"type": "string", "enum": ["webhook_endpoint"]},
            "id": STRING,
            "url": STRING,
            "events": {"type": "array", "items": STRING},
            "description": STRING,
            "status": {"type": "string", "enum": ["enabled", "disabled"]},
            "disabled_reason": STRING,
            "created_at": INTEGER,
            "secret_rotated_at": INTEGER,
            "metadata": TENANT_METADATA,
            "secret": {"type": "string", "description": "Only in the answer that created it."},
        },
        ["id", "url", "events", "status", "created_at"],
    ),
    "WebhookSecret": _object(
        {"id": STRING, "secret": STRING, "previousSecretExpiresAt": STRING},
        ["id", "secret", "previousSecretExpiresAt"],
    ),
    "WebhookDelivery": _object(
        {
            "object": {"type": "string", "enum": ["webhook_delivery"]},
            "id": STRING,
            "endpoint_id": STRING,
            "event_type": STRING,
            "job_id": STRING,
            "status": STRING,
            "attempts": {"type": "array", "items": ANY_OBJECT},
            "next_attempt_at": STRING,
            "created_at": INTEGER,
            "event": ANY_OBJECT,
        },
        ["id", "endpoint_id", "event_type", "status", "created_at"],
    ),
    "DeadLetter": _object(
        {
            "id": STRING,
            "queue": STRING,
            "sequenceNumber": INTEGER,
            "messageId": STRING,
            "sessionId": STRING,
            "tenantId": STRING,
            "type": {"type": ["string", "null"]},
            "reason": STRING,
            "description": STRING,
            "deliveryCount": INTEGER,
            "enqueuedTime": STRING,
            "deadLetteredTime": STRING,
            "body": {},
        },
        ["id", "queue", "reason"],
        more=True,
    ),
    "ReplayResult": ANY_OBJECT | {"description": "What was replayed: counts and dead letters."},
    "AuditEntry": ANY_OBJECT | {"description": "Who replayed or purged what, when, how many."},
    "Health": _object({"status": STRING}, ["status"]),
    "Readiness": ANY_OBJECT
    | {"description": "Each check (configuration, bus, store) and its state."},
}
"""Component schemas added to the document, by name."""

RESULTS: dict[str, tuple[int, str]] = {
    "createAgent": (201, "Agent"),
    "createThread": (201, "Thread"),
    "createMessage": (201, "Message"),
    "createRun": (201, "Run"),
    "uploadFile": (201, "File"),
    "createItem": (201, "Item"),
    "updateItem": (200, "Item"),
    "cancelRun": (200, "Run"),
    "indexDocuments": (200, "IndexResult"),
}
"""What a command answers when `Prefer: wait` saw it end: a creation 201, anything else 200;
the deletions answer `Deleted`."""

BODIES: dict[str, tuple[str, bool]] = {
    "listItems": ("Item", True),
    "getItem": ("Item", False),
    "searchDocuments": ("SearchHit", True),
    "register": ("WebhookEndpoint", False),
    "listEndpoints": ("WebhookEndpoint", True),
    "getEndpoint": ("WebhookEndpoint", False),
    "rotateSecret": ("WebhookSecret", False),
    "listDeliveries": ("WebhookDelivery", True),
    "redeliver": ("WebhookDelivery", False),
    "listDeadLetters": ("DeadLetter", True),
    "replayDeadLetters": ("ReplayResult", False),
    "auditLog": ("AuditEntry", True),
    "health": ("Health", False),
    "ready": ("Readiness", False),
}
"""The answer body of the routes that build their JSON by hand: schema name, and whether a list."""

EXAMPLES: dict[str, Schema] = {
    "AgentCreate": {"name": "Helper", "instructions": "Answer briefly.", "model": "gpt-4o"},
    "NewThread": {"metadata": {"channel": "web"}},
    "NewMessage": {"role": "user", "content": "What is the refund policy?"},
    "NewRun": {"agent_id": "asst_91a2c0d4e6f8a1b3c5d7e9f0"},
    "Job": {
        "id": "job_4f0c2a6e8b1d3f5a7c9e0b2d",
        "type": "agent.create",
        "status": "Succeeded",
        "createdDateTime": "2026-01-01T00:00:00Z",
        "lastUpdatedDateTime": "2026-01-01T00:00:01Z",
        "resourceLocation": "https://api.example.com/agents/asst_91a2c0d4e6f8a1b3c5d7e9f0",
        "result": {
            "id": "asst_91a2c0d4e6f8a1b3c5d7e9f0",
            "object": "assistant",
            "created_at": 1767225600,
            "name": "Helper",
            "instructions": "Answer briefly.",
            "model": "gpt-4o",
            "tools": [],
            "metadata": {"tenantId": "contoso"},
        },
    },
}
"""Examples for the request bodies and the job, shown by `/docs` and generators."""
