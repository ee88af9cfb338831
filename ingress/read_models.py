"""What a `GET` route reads from the tenant's read models: one document or a 404, or a page."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from fastapi.responses import JSONResponse

from ingress.pagination import PageRequest, fetch, paged
from ingress.problems import Problem
from shared.contracts.errors import ErrorCode
from shared.ports.store import Document, TenantStore


async def one_or_404(
    store: TenantStore, collection: str, doc_id: str, noun: str, **belongs_to: str
) -> Document:
    """The document `doc_id`, or 404 `"<noun> '<id>' was not found."`; with `belongs_to`
    (`thread_id=...`), one whose fields say it belongs there, else the same 404."""
    doc = await store.get(collection, doc_id)
    if doc is None or any(doc.get(field) != value for field, value in belongs_to.items()):
        raise Problem.of(ErrorCode.NOT_FOUND, f"{noun} '{doc_id}' was not found.")
    return doc


async def page_of(
    page: PageRequest,
    store: TenantStore,
    collection: str,
    show: Callable[[Document], dict[str, Any]],
    *,
    where: Mapping[str, str] | None = None,
    newest_first: bool = True,
) -> JSONResponse:
    """The page of `collection` the client asked for, each document as `show` presents it,
    with the link to the next page (a cursor the store cannot read is a 400)."""
    found = await fetch(
        lambda: store.list(
            collection,
            where=where,
            newest_first=newest_first,
            limit=page.limit,
            after=page.after,
        )
    )
    return paged(page, [show(doc) for doc in found.items], found.next_cursor)
