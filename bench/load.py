"""What the load benchmarks share: a deployment with a separate fleet, HTTP load, job times.

Load goes through aiohttp (httpx tops out near 230 requests/s here); job ends are read from
the deployment's store file, read-only, so watching 10,000 jobs costs the server nothing.
Times are wall-clock (`time.time()`): the client, the ingress and the workers share one clock.
"""

from __future__ import annotations

import asyncio
import json
import math
import os
import sqlite3
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import aiohttp

from cli.deployment import LocalFleet

RESULTS = Path(__file__).resolve().parent / "results"
ENDED = ("Succeeded", "Failed", "Canceled")


def percentile(values: Sequence[float], pct: float) -> float:
    """The nearest-rank percentile (p95 of 20 values is the 19th smallest)."""
    if not values:
        return math.nan
    ordered = sorted(values)
    return ordered[max(math.ceil(pct / 100 * len(ordered)) - 1, 0)]


def summary_ms(seconds: Sequence[float]) -> dict[str, float]:
    """p50, p95 and max of durations, in milliseconds."""
    return {
        "p50_ms": round(percentile(seconds, 50) * 1000, 1),
        "p95_ms": round(percentile(seconds, 95) * 1000, 1),
        "max_ms": round(max(seconds) * 1000, 1),
        "n": len(seconds),
    }


LOAD_LIMITS = {
    "TENANT_REQUESTS_PER_SECOND": "1000000",
    "TENANT_BURST": "1000000",
    "TENANT_MAX_QUEUED": "1000000",
}
"""Per-tenant limits no benchmark reaches: the limiter runs on every request, refusing none."""


ENVIRONMENT_LIMIT = 100_000
"""Bytes of one environment variable Linux passes to a child (it refuses over 128 KiB)."""


def tenants_env(
    tenants: Iterable[dict[str, Any]], directory: Path | None = None, **extra: str
) -> dict[str, str]:
    """The environment that makes a deployment serve these tenants (under `LOAD_LIMITS`).

    A registry too large for one environment variable (10,000 tenants) is written to
    `directory/tenants.json` and named by `TENANTS_FILE`.
    """
    registry = json.dumps(list(tenants))
    if len(registry) <= ENVIRONMENT_LIMIT:
        return {"TENANTS": registry, **LOAD_LIMITS, **extra}
    if directory is None:
        raise ValueError("a registry this large needs a directory for its file")
    path = directory / "tenants.json"
    path.write_text(registry)
    return {"TENANTS_FILE": str(path), **LOAD_LIMITS, **extra}


def write_results(name: str, figures: dict[str, Any]) -> Path:
    """Write the figures as `bench/results/<name>.json`, with the machine's CPU count."""
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"{name}.json"
    path.write_text(json.dumps(figures | {"cpus": os.cpu_count()}, indent=2) + "\n")
    return path


@dataclass(frozen=True)
class Submitted:
    """One accepted command: its job, tenant, and when the client sent it."""

    job_id: str
    tenant: str
    sent_at: float
    accepted_after: float
    """Seconds until the 202 arrived."""


@dataclass(frozen=True)
class JobEnd:
    """A job as the store has it."""

    status: str
    ended_at: float


class Client:
    """An aiohttp client of one deployment, speaking as many tenants."""

    def __init__(self, url: str, tokens: dict[str, str], *, connections: int = 64) -> None:
        self.url = url
        self.tokens = tokens
        self._connections = connections
        self._session: aiohttp.ClientSession | None = None

    async def __aenter__(self) -> Client:
        # below uvicorn's keep-alive (5 s), so no request goes out on a connection being closed
        connector = aiohttp.TCPConnector(limit=self._connections, keepalive_timeout=2.0)
        self._session = aiohttp.ClientSession(connector=connector)
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self._session is not None:
            await self._session.close()

    @property
    def http(self) -> aiohttp.ClientSession:
        assert self._session is not None, "use `async with Client(...)`"
        return self._session

    def headers(self, tenant: str, **extra: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[tenant]}", **extra}

    async def call(
        self, tenant: str, method: str, path: str, body: object = None, **headers: str
    ) -> tuple[int, Any]:
        """One request as `tenant`; the status and the JSON answer."""
        async with self.http.request(
            method, self.url + path, json=body, headers=self.headers(tenant, **headers)
        ) as response:
            answer = await response.json(content_type=None)
            return response.status, answer

    async def submit(self, tenant: str, path: str, body: object) -> Submitted:
        """POST a command; the 202's job (anything else stops the benchmark)."""
        sent_at = time.time()
        status, answer = await self.call(tenant, "POST", path, body)
        if status != 202:
            raise SystemExit(f"POST {path} as {tenant} answered {status}: {answer}")
        return Submitted(answer["id"], tenant, sent_at, time.time() - sent_at)

    async def submit_all(
        self, commands: Sequence[tuple[str, str, object]], concurrency: int
    ) -> list[Submitted]:
        """Submit (tenant, path, body) commands with `concurrency` clients, in list order."""
        queue: asyncio.Queue[tuple[int, tuple[str, str, object]]] = asyncio.Queue()
        for numbered in enumerate(commands):
            queue.put_nowait(numbered)
        done: list[Submitted | None] = [None] * len(commands)

        async def worker() -> None:
            while not queue.empty():
                index, (tenant, path, body) = queue.get_nowait()
                done[index] = await self.submit(tenant, path, body)

        await asyncio.gather(*(worker() for _ in range(concurrency)))
        return [s for s in done if s is not None]

    async def submit_spaced(
        self, tenant: str, commands: Sequence[tuple[str, object]], interval: float
    ) -> list[Submitted]:
        """Submit one command every `interval` seconds, not waiting for earlier answers."""
        tasks = []
        for path, body in commands:
            tasks.append(asyncio.create_task(self.submit(tenant, path, body)))
            await asyncio.sleep(interval)
        return list(await asyncio.gather(*tasks))


class Store:
    """The deployment's store file, read-only: job states without asking the server."""

    def __init__(self, data_dir: Path) -> None:
        self._path = data_dir / "store.sqlite3"

    def _query(self, sql: str, params: Sequence[object] = ()) -> list[tuple[Any, ...]]:
        with sqlite3.connect(f"file:{self._path}?mode=ro", uri=True, timeout=30) as conn:
            return conn.execute(sql, params).fetchall()

    def ended_count(self, tenant: str | None = None) -> int:
        """How many jobs (of one tenant, or all) have ended."""
        where = "" if tenant is None else " AND tenant_id = ?"
        [(count,)] = self._query(
            "SELECT count(*) FROM documents WHERE collection = 'jobs' AND "
            f"json_extract(body, '$.status') IN {ENDED}{where}",
            () if tenant is None else (tenant,),
        )
        return int(count)

    def ends(self, job_ids: Iterable[str]) -> dict[str, JobEnd]:
        """The ended jobs among these, with when they ended."""
        ids = list(job_ids)
        found: dict[str, JobEnd] = {}
        for start in range(0, len(ids), 500):
            chunk = ids[start : start + 500]
            marks = ",".join("?" * len(chunk))
            rows = self._query(
                "SELECT id, json_extract(body, '$.status'), "
                "json_extract(body, '$.lastUpdatedDateTime') FROM documents "
                f"WHERE collection = 'jobs' AND id IN ({marks})",
                chunk,
            )
            for job_id, status, updated in rows:
                if status in ENDED:
                    found[job_id] = JobEnd(status, datetime.fromisoformat(updated).timestamp())
        return found

    def last_job_end(self, tenant: str) -> float:
        """When the tenant's most recently created job was last updated (epoch seconds)."""
        rows = self._query(
            "SELECT json_extract(body, '$.lastUpdatedDateTime') FROM documents "
            "WHERE tenant_id = ? AND collection = 'jobs' ORDER BY seq DESC LIMIT 1",
            (tenant,),
        )
        return datetime.fromisoformat(rows[0][0]).timestamp()

    async def wait_for(
        self, job_ids: Iterable[str], *, timeout: float = 600, poll: float = 0.05
    ) -> dict[str, JobEnd]:
        """Until every one of these jobs has ended; their ends."""
        pending = set(job_ids)
        ended: dict[str, JobEnd] = {}
        deadline = time.monotonic() + timeout
        while pending:
            if time.monotonic() > deadline:
                raise SystemExit(f"{len(pending)} jobs had not ended after {timeout} s")
            found = await asyncio.to_thread(self.ends, pending)
            ended |= found
            pending -= found.keys()
            if pending:
                await asyncio.sleep(poll)
        return ended


def failed(ends: dict[str, JobEnd]) -> int:
    """How many of these jobs did not succeed."""
    return sum(end.status != "Succeeded" for end in ends.values())


Fleet = LocalFleet
"""`tenantry worker` on a deployment's data, in its own process group; stopped on exit."""
