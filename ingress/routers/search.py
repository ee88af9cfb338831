"""`/search/documents`: index, search and delete the caller's documents.

A search is read straight from the tenant's slice of the index. Filters are plain query
parameters (`?title=Handbook`), each `field eq value`, combined with AND and with the tenant's
own filter inside the adapter; no filter expression is ever taken from the client.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Body, Depends, Path, Query, Request
from fastapi.responses import JSONResponse, Response
from pydantic import AfterValidator

from ingress.deps import CallerDep
from ingress.json_body import JsonRoute
from ingress.problems import Problem
from ingress.responses import PROBLEMS
from ingress.routers.common import command_route
from shared.contracts.commands import (
    FILE_CHUNK_PREFIX,
    DocumentBatch,
    DocumentDelete,
    DocumentsIndex,
)
from shared.ports.search import EmbedderMissing, FieldFilter, InvalidFilter, SearchHit, TenantIndex

router = APIRouter(prefix="/search", tags=["search"], responses=PROBLEMS, route_class=JsonRoute)

SEARCH_PARAMETERS = frozenset({"query", "top", "mode"})
MAX_FILTERS = 8


def _not_a_chunk(doc_id: str) -> str:
    if doc_id.startswith(FILE_CHUNK_PREFIX):
        raise ValueError("the chunks of a file are removed by deleting the file")
    return doc_id


DocId = Annotated[
    str,
    Path(min_length=1, max_length=128, pattern=r"^[A-Za-z0-9_\-.]+$"),
    AfterValidator(_not_a_chunk),
]


async def get_index(caller: CallerDep) -> TenantIndex:
    """The caller's slice of the index (bound to the verified tenant)."""
    return caller.scope.search


IndexDep = Annotated[TenantIndex, Depends(get_index)]


def hit_json(hit: SearchHit) -> dict[str, Any]:
    """A hit as Azure AI Search shows one: its fields and `@search.score`."""
    body: dict[str, Any] = {"@search.score": hit.score, **hit.fields}
    body.update(id=hit.id, title=hit.title, content=hit.content)
    if hit.source:
        body["source"] = hit.source
    return body


def user_filters(request: Request) -> list[FieldFilter]:
    """Every query parameter but `query`, `top` and `mode`, as `field eq value`."""
    filters = [
        FieldFilter(name, value)
        for name, value in request.query_params.multi_items()
        if name not in SEARCH_PARAMETERS
    ]
    if len(filters) > MAX_FILTERS:
        raise Problem(400, "InvalidFilter", f"At most {MAX_FILTERS} filters.")
    return filters


@command_route(router.post, "/documents", "Index documents (async job)")
async def index_documents(
    documents: Annotated[DocumentBatch, Body()],
    request: Request,
    caller: CallerDep,
) -> Response:
    command = DocumentsIndex(documents=documents)
    return await caller.submit(request, command)


@router.get("/documents", summary="Search the caller's documents")
async def search_documents(
    request: Request,
    index: IndexDep,
    query: Annotated[str, Query(min_length=1, max_length=1000)] = "*",
    top: Annotated[int, Query(ge=1, le=100)] = 10,
    mode: Annotated[Literal["text", "vector", "hybrid"], Query()] = "text",
) -> JSONResponse:
    filters = user_filters(request)
    try:
        hits = await index.search(query, mode=mode, top=top, filters=filters)
    except EmbedderMissing as exc:
        raise Problem(
            400,
            "EmbedderNotConfigured",
            f"`mode={mode}` needs an embedding model, and none is configured (EMBEDDER); "
            "`mode=text` works without one.",
        ) from exc
    except InvalidFilter as exc:
        raise Problem(400, "InvalidFilter", str(exc)) from exc
    return JSONResponse([hit_json(hit) for hit in hits])


@command_route(router.delete, "/documents/{doc_id}", "Delete a document (async job)")
async def delete_document(doc_id: DocId, request: Request, caller: CallerDep) -> Response:
    command = DocumentDelete(doc_id=doc_id)
    return await caller.submit(request, command)
