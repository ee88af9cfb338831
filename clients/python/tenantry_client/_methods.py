"""An operation (`_operations.py`) as a method of both clients: a descriptor that builds the
call and has the client send it, awaited on the async client.

`SyncSender` and `AsyncSender` are what each client implements: how it sends each kind of call.
Their types give every method its sync or async signature, checked by mypy.
"""

from __future__ import annotations

import inspect
from abc import ABC, abstractmethod
from collections.abc import Callable
from typing import Any, Generic, ParamSpec, Self, TypeVar, get_origin, get_type_hints, overload

from azure.core.async_paging import AsyncItemPaged
from azure.core.paging import ItemPaged
from azure.core.polling import AsyncLROPoller, LROPoller

from tenantry_client._calls import Call, Direct, LongRunning, Paged
from tenantry_client._models import Model

P = ParamSpec("P")
T = TypeVar("T")
M = TypeVar("M", bound=Model)
SyncResult = TypeVar("SyncResult")
AsyncResult = TypeVar("AsyncResult")

SENDERS: dict[Any, str] = {
    Direct: "_send_direct",
    LongRunning: "_send_long_running",
    Paged: "_send_paged",
}
"""The client method that sends each kind of call."""


class SyncSender(ABC):
    """How the sync client sends each kind of call."""

    @abstractmethod
    def _send_direct(self, call: Direct[T]) -> T:
        """The result of the answer."""

    @abstractmethod
    def _send_long_running(self, call: LongRunning[T]) -> LROPoller[T]:
        """A poller of the command's job."""

    @abstractmethod
    def _send_paged(self, call: Paged[M]) -> ItemPaged[M]:
        """The items of every page, asked for as they are iterated."""


class AsyncSender(ABC):
    """How the async client sends each kind of call."""

    @abstractmethod
    async def _send_direct(self, call: Direct[T]) -> T:
        """The result of the answer."""

    @abstractmethod
    async def _send_long_running(self, call: LongRunning[T]) -> AsyncLROPoller[T]:
        """A poller of the command's job."""

    @abstractmethod
    def _send_paged(self, call: Paged[M]) -> AsyncItemPaged[M]:
        """The items of every page, asked for as they are iterated."""


class Operation(Generic[P, SyncResult, AsyncResult]):
    """The method of both clients that sends what `build` returns; its parameters and docstring
    are `build`'s."""

    def __init__(self, build: Callable[P, Call[SyncResult, AsyncResult]]) -> None:
        self._build = build
        self._sender = SENDERS[get_origin(get_type_hints(build)["return"])]
        self._name = build.__name__
        self.__doc__ = build.__doc__

    def __set_name__(self, owner: type[Any], name: str) -> None:
        self._name = name

    @overload
    def __get__(self, instance: None, owner: Any) -> Self: ...
    @overload
    def __get__(self, instance: SyncSender, owner: Any) -> Callable[P, SyncResult]: ...
    @overload
    def __get__(self, instance: AsyncSender, owner: Any) -> Callable[P, AsyncResult]: ...
    def __get__(self, instance: object, owner: Any) -> Any:
        if instance is None:
            return self
        return self._bound(instance)

    def _bound(self, client: object) -> Callable[..., Any]:
        build, send = self._build, getattr(client, self._sender)
        if inspect.iscoroutinefunction(send):

            async def sent_async(*args: Any, **kwargs: Any) -> Any:
                return await send(build(*args, **kwargs))

            return self._presented(sent_async, client)

        def sent(*args: Any, **kwargs: Any) -> Any:
            return send(build(*args, **kwargs))

        return self._presented(sent, client)

    def _presented(self, method: Any, client: object) -> Callable[..., Any]:
        """`method` named, documented and signed as the client's operation (for `help()`)."""
        method.__name__ = self._name
        method.__qualname__ = f"{type(client).__name__}.{self._name}"
        method.__doc__ = self.__doc__
        signature = inspect.signature(self._build)
        method.__signature__ = signature.replace(return_annotation=inspect.Signature.empty)
        presented: Callable[..., Any] = method
        return presented

    def __repr__(self) -> str:
        return f"<operation {self._name}>"
