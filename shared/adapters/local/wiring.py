"""Builds the embedded adapters the settings choose, each on its file under the data directory.

Called by `shared.bootstrap` for every adapter setting that says `local`; each adapter's module
is imported only when that adapter is built. Nothing opens a file here.
"""

from __future__ import annotations

from collections.abc import Callable

from shared.ports.blobs import BlobStore
from shared.ports.bus import Bus
from shared.ports.engine import AgentEngine
from shared.ports.search import Embedder, SearchIndex
from shared.ports.secrets import SecretStore
from shared.ports.store import Store
from shared.settings import Settings


class LocalAdapters:
    """The builder of the embedded adapters, as `AzureAdapters` is of the Azure ones."""

    def __init__(self, settings: Settings, clock: Callable[[], float]) -> None:
        self._settings = settings
        self._clock = clock

    def bus(self) -> Bus:
        """The bus on SQLite, with Service Bus's locks, counts and windows from the settings."""
        from shared.adapters.local.bus import SqliteBus

        return SqliteBus(
            self._settings.bus_path,
            lock_duration_seconds=self._settings.bus_lock_duration_seconds,
            duplicate_window_seconds=self._settings.bus_duplicate_window_seconds,
            max_delivery_count=self._settings.bus_max_delivery_count,
            clock=self._clock,
        )

    def store(self) -> Store:
        """The document store on SQLite."""
        from shared.adapters.local.store import SqliteStore

        return SqliteStore(self._settings.store_path)

    def engine(self) -> AgentEngine:
        """The agent engine that answers from the thread itself, after the configured latency."""
        from shared.adapters.local.engine import LocalEngine

        return LocalEngine(
            self._settings.engine_path,
            latency_seconds=self._settings.local_engine_latency_seconds,
            call_latency_seconds=self._settings.local_engine_call_latency_seconds,
        )

    def secrets(self) -> SecretStore:
        """The secrets in an owner-only SQLite file."""
        from shared.adapters.local.secrets import LocalSecretStore

        return LocalSecretStore(self._settings.secrets_path)

    def blobs(self) -> BlobStore:
        """The blobs as files, a folder per tenant."""
        from shared.adapters.local.blobs import LocalBlobStore

        return LocalBlobStore(self._settings.blobs_path)

    def search(self, embedder: Embedder | None) -> SearchIndex:
        """The search index on SQLite full-text search, with vectors if there is an embedder."""
        from shared.adapters.local.search import SqliteSearchIndex

        return SqliteSearchIndex(self._settings.search_path, embedder=embedder)
