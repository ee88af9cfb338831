"""Tenant items as stored and as shown: shared by the ingress (reads) and the workers (writes)."""

from __future__ import annotations

from typing import Any

APPLIED_BY = "_cmd"
"""Bookkeeping on each item: the last command that changed it, so a redelivery is a no-op."""


def collection_of(container: str) -> str:
    """The store collection behind a `/cosmos/{container}` path."""
    return f"items.{container}"


def present_item(doc: dict[str, Any]) -> dict[str, Any]:
    """An item as a client sees it: its fields, `metadata.tenantId`, `_etag`; no bookkeeping."""
    return {k: v for k, v in doc.items() if k == "_etag" or not k.startswith("_")}
