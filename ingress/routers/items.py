"""`/cosmos/{container}`: the caller's JSON items in named collections, with etags."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Body, Header, Path, Request
from fastapi.responses import JSONResponse, Response

from ingress.deps import CallerDep
from ingress.json_body import JsonRoute
from ingress.pagination import PageDep
from ingress.read_models import one_or_404, page_of
from ingress.responses import PROBLEMS
from ingress.routers.common import ResourceId, command_route
from shared.contracts.commands import ItemBody, ItemCreate, ItemDelete, ItemUpdate
from shared.contracts.items import collection_of, present_item

router = APIRouter(prefix="/cosmos", tags=["items"], responses=PROBLEMS, route_class=JsonRoute)

Container = Annotated[
    str, Path(min_length=1, max_length=63, pattern=r"^[A-Za-z0-9][A-Za-z0-9_\-]*$")
]
IfMatch = Annotated[str | None, Header(alias="If-Match", max_length=128)]


@command_route(router.post, "/{container}", "Create an item (async job)")
async def create_item(
    container: Container,
    item: Annotated[ItemBody, Body()],
    request: Request,
    caller: CallerDep,
) -> Response:
    command = ItemCreate(container=container, item=item)
    return await caller.submit(request, command)


@router.get("/{container}", summary="List items, newest first")
async def list_items(container: Container, caller: CallerDep, page: PageDep) -> JSONResponse:
    return await page_of(page, caller.store, collection_of(container), present_item)


@router.get("/{container}/{item_id}", summary="Read an item (ETag in the header)")
async def get_item(container: Container, item_id: ResourceId, caller: CallerDep) -> JSONResponse:
    doc = await one_or_404(caller.store, collection_of(container), item_id, "Item")
    return JSONResponse(present_item(doc), headers={"ETag": str(doc["_etag"])})


@command_route(router.patch, "/{container}/{item_id}", "Merge-patch an item (async)")
async def update_item(
    container: Container,
    item_id: ResourceId,
    patch: Annotated[ItemBody, Body()],
    request: Request,
    caller: CallerDep,
    if_match: IfMatch = None,
) -> Response:
    command = ItemUpdate(container=container, item_id=item_id, patch=patch, if_match=if_match)
    return await caller.submit(request, command)


@command_route(router.delete, "/{container}/{item_id}", "Delete an item (async job)")
async def delete_item(
    container: Container,
    item_id: ResourceId,
    request: Request,
    caller: CallerDep,
    if_match: IfMatch = None,
) -> Response:
    command = ItemDelete(container=container, item_id=item_id, if_match=if_match)
    return await caller.submit(request, command)
