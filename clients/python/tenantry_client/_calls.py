"""An operation's call, sans I/O: the request it sends and how its answer reads.

The operations (`_operations.py`) build these values; the sync and async clients only send them.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine, Mapping
from dataclasses import dataclass
from typing import Any, Generic, Protocol, TypeVar

from azure.core.async_paging import AsyncItemPaged
from azure.core.paging import ItemPaged
from azure.core.pipeline import PipelineResponse
from azure.core.polling import AsyncLROPoller, LROPoller
from azure.core.rest import HttpRequest

from tenantry_client._models import Model
from tenantry_client._paging import next_link
from tenantry_client._requests import read

T = TypeVar("T")
M = TypeVar("M", bound=Model)
SyncResult = TypeVar("SyncResult", covariant=True)
AsyncResult = TypeVar("AsyncResult", covariant=True)


class LoadedResponse(Protocol):
    """An HTTP answer whose body has been read, from the sync or the async transport."""

    @property
    def headers(self) -> Mapping[str, str]: ...

    @property
    def content(self) -> bytes: ...

    def json(self) -> Any: ...


Parse = Callable[[LoadedResponse], T]


class Call(Generic[SyncResult, AsyncResult]):
    """A call of an operation; its types are what the sync and the async client return for it."""


@dataclass(frozen=True)
class Direct(Call[T, Coroutine[Any, Any, T]]):
    """A request the service answers with the result itself."""

    request: HttpRequest
    parse: Parse[T]


@dataclass(frozen=True)
class LongRunning(Call[LROPoller[T], Coroutine[Any, Any, AsyncLROPoller[T]]]):
    """A command, answered 202 with its job; `parse` reads what the ended job leads to."""

    request: HttpRequest
    parse: Parse[T]

    def result(self, response: PipelineResponse[HttpRequest, Any]) -> T:
        """The poller's result, read from the answer the ended job leads to."""
        return self.parse(response.http_response)


@dataclass(frozen=True)
class Paged(Call[ItemPaged[M], AsyncItemPaged[M]]):
    """A list of `model`s, a page an answer, continued by each page's `Link: rel="next"`."""

    path: str
    model: type[M]
    params: dict[str, Any] | None = None

    def request(self, link: str | None) -> HttpRequest:
        """The request of the page at `link` (the first page when `None`)."""
        return read(link) if link else read(self.path, self.params)

    def page(self, response: LoadedResponse) -> tuple[str | None, list[M]]:
        """The link to the next page, if any, and the items of this one."""
        items = [self.model.from_dict(entry) for entry in response.json()]
        return next_link(response.headers.get("Link")), items


def as_model(model: type[M]) -> Parse[M]:
    """Read an answer as one `model`."""

    def parse(response: LoadedResponse) -> M:
        return model.from_dict(response.json())

    return parse


def as_json(response: LoadedResponse) -> Any:
    """Read an answer as its JSON."""
    return response.json()


def as_bytes(response: LoadedResponse) -> bytes:
    """Read an answer as its bytes."""
    return response.content


def as_nothing(response: LoadedResponse) -> None:
    """Read nothing of an answer (a deletion's)."""
    return None
