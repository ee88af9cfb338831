"""The tenant registry file (`TENANTS_FILE`): read, and rewritten atomically under a lock.

Two operators adding tenants at once both land: each holds an exclusive lock on a sidecar
`.lock` file while it reads, changes and replaces the registry; a reader never sees a half
written file (the new one is renamed into place).
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
from collections.abc import Iterator
from pathlib import Path

from shared.tenancy import Tenant, TenantRegistry


class RegistryFile:
    """One registry file on disk."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def read(self) -> list[Tenant]:
        """The tenants in the file (none if it does not exist yet)."""
        if not self.path.exists():
            return []
        return list(TenantRegistry.from_file(self.path))

    @contextlib.contextmanager
    def editing(self) -> Iterator[list[Tenant]]:
        """Hold the lock, yield the tenants to change in place, and write them back on success."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        lock_path = self.path.with_name(self.path.name + ".lock")
        with lock_path.open("a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            try:
                tenants = self.read()
                yield tenants
                self._write(tenants)
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)

    def _write(self, tenants: list[Tenant]) -> None:
        TenantRegistry(tenants)  # refuses duplicate ids before anything is written
        body = json.dumps([t.model_dump() for t in tenants], indent=2) + "\n"
        temp = self.path.with_name(f".{self.path.name}.{os.getpid()}.tmp")
        with temp.open("w", encoding="utf-8") as handle:
            handle.write(body)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temp, self.path)
