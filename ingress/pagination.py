"""Lists: `limit` and `after` in, a JSON array and a `Link: <...>; rel="next"` header out."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Annotated, Any, TypeVar

from fastapi import Depends, Query, Request
from fastapi.responses import JSONResponse

from ingress.links import absolute
from ingress.problems import Problem

T = TypeVar("T")


@dataclass(frozen=True)
class PageRequest:
    """The page a client asked for, and the request that asked (the next page's link is its
    URL with another `after`)."""

    limit: int
    after: str | None
    request: Request


async def page_request(
    request: Request,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    after: Annotated[str | None, Query(max_length=256, pattern=r"^[A-Za-z0-9_\-]+$")] = None,
) -> PageRequest:
    """The page a client asked for."""
    return PageRequest(limit, after, request)


PageDep = Annotated[PageRequest, Depends(page_request)]


async def fetch(load: Callable[[], Awaitable[T]]) -> T:
    """Run a store listing; a cursor the store cannot read is the client's 400."""
    try:
        return await load()
    except ValueError as exc:
        raise Problem(400, "InvalidCursor", "The `after` cursor is not valid.") from exc


def paged(page: PageRequest, items: list[dict[str, Any]], next_cursor: str | None) -> JSONResponse:
    """The items of `page` as a JSON array, with an absolute link to the next page when there
    is one."""
    headers = {}
    if next_cursor is not None:
        url = page.request.url.include_query_params(after=next_cursor)
        headers["Link"] = f'<{absolute(page.request, f"{url.path}?{url.query}")}>; rel="next"'
    return JSONResponse(items, headers=headers)
