"""Change notices of the local store: a write to a watched document wakes its watchers at once,
in this process and in every other one sharing the store file (through a `Doorbell`).

Only the collections named at construction are announced (the jobs, which `Prefer: wait`
watches), so other writes cost nothing.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Iterator
from pathlib import Path

from shared.adapters.local.doorbell import Doorbell, bells_directory

SEPARATOR = "\x1f"


class StoreNotices:
    """Who watches which document, and the bell that tells other processes of a change."""

    def __init__(self, path: Path, collections: frozenset[str]) -> None:
        self._path = path
        self.collections = collections
        self._bell: Doorbell | None = None
        self._listening: asyncio.AbstractEventLoop | None = None
        self._watchers: dict[str, set[asyncio.Event]] = {}

    def _doorbell(self) -> Doorbell:
        if self._bell is None:
            self._bell = Doorbell(bells_directory(self._path), "docs")
        return self._bell

    def changed(self, tenant_id: str, collection: str, doc_id: str) -> None:
        """Announce a committed write of one document."""
        if collection not in self.collections:
            return
        key = SEPARATOR.join((tenant_id, collection, doc_id))
        self._wake(key)
        self._doorbell().ring(key)

    def _wake(self, key: str) -> None:
        for event in self._watchers.get(key, ()):
            event.set()

    @contextlib.contextmanager
    def watch(self, tenant_id: str, collection: str, doc_id: str) -> Iterator[asyncio.Event]:
        """An event set whenever the document changes, for the duration of the block."""
        loop = asyncio.get_running_loop()
        if self._listening is not loop:
            self._doorbell().listen(self._wake)
            self._listening = loop
        key = SEPARATOR.join((tenant_id, collection, doc_id))
        event = asyncio.Event()
        self._watchers.setdefault(key, set()).add(event)
        try:
            yield event
        finally:
            watchers = self._watchers.get(key)
            if watchers is not None:
                watchers.discard(event)
                if not watchers:
                    del self._watchers[key]

    def close(self) -> None:
        """Stop listening."""
        if self._bell is not None:
            self._bell.close()
            self._bell = None
        self._listening = None
