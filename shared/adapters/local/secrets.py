"""The local secrets adapter: one SQLite file under the data directory, owner-only (mode 0600).

Secret names follow Key Vault's rule (1 to 127 of `0-9 a-z A-Z -`), so a name that works here
works on the Key Vault adapter too.
"""

from __future__ import annotations

import os
import re
import sqlite3
import time
from pathlib import Path

from shared.adapters.local.sqlite_file import SqliteFile
from shared.adapters.local.tenant_rows import TenantRowsFile, required_tenant
from shared.ports.secrets import SecretMissing

SCHEMA = """
CREATE TABLE IF NOT EXISTS secrets (
    tenant_id TEXT NOT NULL,
    name TEXT NOT NULL,
    value TEXT NOT NULL,
    updated_at REAL NOT NULL,
    PRIMARY KEY (tenant_id, name)
) WITHOUT ROWID;
"""

SECRET_NAME = re.compile(r"^[0-9A-Za-z-]{1,127}$")
OWNER_ONLY = 0o600


def _check_name(name: str) -> str:
    if not SECRET_NAME.match(name):
        raise ValueError(f"a secret name is 1 to 127 of 0-9 a-z A-Z -, not {name!r}")
    return name


def make_private(path: Path) -> None:
    """Create `path` (and tighten it and its WAL files if they exist) readable by its owner only."""
    path.parent.mkdir(parents=True, exist_ok=True)
    os.close(os.open(path, os.O_RDWR | os.O_CREAT, OWNER_ONLY))
    for each in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
        if each.exists():
            os.chmod(each, OWNER_ONLY)


class _PrivateSqliteFile(SqliteFile):
    """A `SqliteFile` whose database exists with mode 0600 before SQLite first opens it.

    SQLite gives the `-wal` and `-shm` files the permissions of the database file.
    """

    def _connect(self) -> sqlite3.Connection:
        if self._conn is None:
            make_private(self.path)
        return super()._connect()


class LocalSecretStore(TenantRowsFile):
    """The `SecretStore` port on a SQLite file; every tenant's view binds its tenant id."""

    TENANT_TABLES = ("secrets",)

    def __init__(self, path: Path) -> None:
        super().__init__(_PrivateSqliteFile(path, SCHEMA))

    def for_tenant(self, tenant_id: str) -> LocalTenantSecrets:
        """The secrets of one tenant."""
        return LocalTenantSecrets(self._db, required_tenant(tenant_id))


class LocalTenantSecrets:
    """One tenant's secrets; no method takes a tenant."""

    def __init__(self, db: SqliteFile, tenant_id: str) -> None:
        self._db = db
        self._tenant = tenant_id

    async def get(self, name: str) -> str:
        """The secret's value (raises `SecretMissing`)."""
        _check_name(name)

        def work(conn: sqlite3.Connection) -> str | None:
            row = conn.execute(
                "SELECT value FROM secrets WHERE tenant_id = ? AND name = ?", (self._tenant, name)
            ).fetchone()
            return None if row is None else str(row[0])

        value = await self._db.read(work)
        if value is None:
            raise SecretMissing(name)
        return value

    async def set(self, name: str, value: str) -> None:
        """Create or replace a secret."""
        _check_name(name)
        row = (self._tenant, name, value, time.time())
        await self._db.write(
            lambda conn: conn.execute(
                "INSERT INTO secrets (tenant_id, name, value, updated_at) VALUES (?, ?, ?, ?) "
                "ON CONFLICT (tenant_id, name) DO UPDATE SET value = excluded.value, "
                "updated_at = excluded.updated_at",
                row,
            )
        )

    async def delete(self, name: str) -> None:
        """Remove a secret; an absent one is not an error."""
        _check_name(name)
        await self._db.write(
            lambda conn: conn.execute(
                "DELETE FROM secrets WHERE tenant_id = ? AND name = ?", (self._tenant, name)
            )
        )
