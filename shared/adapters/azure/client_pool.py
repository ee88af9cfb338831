"""SDK clients made when first needed, one per key (a vault, an index), and closed together."""

from __future__ import annotations

from collections.abc import Callable, Hashable
from typing import Generic, Protocol, TypeVar


class Closable(Protocol):
    """An async SDK client: it holds connections until it is closed."""

    async def close(self) -> None: ...


K = TypeVar("K", bound=Hashable)
C = TypeVar("C", bound=Closable)


class ClientPool(Generic[K, C]):
    """The clients an adapter made so far, by key; none is made before it is asked for."""

    def __init__(self, make: Callable[[K], C]) -> None:
        self._make = make
        self._clients: dict[K, C] = {}

    def get(self, key: K) -> C:
        """The key's client, made now if this is the first time it is asked for."""
        client = self._clients.get(key)
        if client is None:
            client = self._clients[key] = self._make(key)
        return client

    async def close(self) -> None:
        """Close every client made so far (a later `get` makes a new one)."""
        for client in self._clients.values():
            await client.close()
        self._clients.clear()
