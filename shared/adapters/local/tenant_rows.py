"""The part every local adapter on one SQLite file shares: its tenant's rows, purged, and the file,
closed."""

from __future__ import annotations

import sqlite3
from typing import ClassVar

from shared.adapters.local.sqlite_file import SqliteFile


def required_tenant(tenant_id: str) -> str:
    """The tenant id, refused if empty: every row of a local adapter belongs to a tenant."""
    if not tenant_id:
        raise ValueError("a tenant id is required")
    return tenant_id


class TenantRowsFile:
    """A local adapter whose tables each keep a `tenant_id` column, in one SQLite file."""

    TENANT_TABLES: ClassVar[tuple[str, ...]]
    """The tables a tenant's purge empties of its rows."""

    def __init__(self, db: SqliteFile) -> None:
        self._db = db

    async def purge_tenant(self, tenant_id: str) -> int:
        """Delete every row of one tenant; how many there were."""
        required_tenant(tenant_id)
        return await self._db.write(lambda conn: self._purge(conn, tenant_id))

    def _purge(self, conn: sqlite3.Connection, tenant_id: str) -> int:
        """Delete the tenant's rows in the write transaction of a purge; how many there were."""
        return sum(
            int(conn.execute(f"DELETE FROM {table} WHERE tenant_id = ?", (tenant_id,)).rowcount)  # noqa: S608 - table names are constants
            for table in self.TENANT_TABLES
        )

    async def close(self) -> None:
        """Close the file."""
        await self._db.close()
