"""The bus unavailable at submit, on a live server: another process holds the bus file's write
lock, so nothing can be enqueued. The ingress answers 503 with `Retry-After` and records no job;
once the bus is back, the client's retry (same `Idempotency-Key`) is accepted and ends, and no
job is left NotStarted."""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from cli.deployment import LocalDeployment
from tests.integration.conftest import collect

pytestmark = pytest.mark.slow


@contextmanager
def bus_write_locked(path: Path) -> Iterator[None]:
    """Hold the bus file's write lock (as a stuck or crashed writer would) until the block ends."""
    holder = sqlite3.connect(path, isolation_level=None, timeout=30)
    try:
        holder.execute("BEGIN EXCLUSIVE")
        yield
    finally:
        holder.execute("ROLLBACK")
        holder.close()


def test_a_bus_that_cannot_be_written_is_a_503_and_leaves_no_job_behind(tmp_path: Path) -> None:
    with (
        LocalDeployment(tmp_path, workers=1) as live,
        httpx.Client(base_url=live.url, timeout=120) as http,
    ):
        auth = {"Authorization": f"Bearer {live.token('contoso')}"}
        before = http.post("/cosmos/notes", headers=auth | {"Prefer": "wait=30"}, json={"n": 0})
        assert before.status_code == 201
        jobs_before = collect(http, "/jobs", auth)

        retry = auth | {"Idempotency-Key": "outage-1"}
        with bus_write_locked(tmp_path / "bus.sqlite3"):
            refused = http.post("/cosmos/notes", headers=retry, json={"n": 1})
            assert refused.status_code == 503, refused.text
            assert int(refused.headers["Retry-After"]) > 0
            assert refused.json()["code"] == "ServiceUnavailable"
            assert collect(http, "/jobs", auth) == jobs_before

        accepted = http.post("/cosmos/notes", headers=retry, json={"n": 1})
        assert accepted.status_code == 202, accepted.text
        deadline = time.monotonic() + 30
        while (jobs := collect(http, "/jobs", auth)) and any(
            j["status"] in ("NotStarted", "Running") for j in jobs
        ):
            assert time.monotonic() < deadline, f"jobs left unfinished: {jobs}"
            time.sleep(0.1)
        assert [j["id"] for j in jobs] == [accepted.json()["id"]] + [j["id"] for j in jobs_before]
        assert {j["status"] for j in jobs} == {"Succeeded"}
        items = collect(http, "/cosmos/notes", auth)
        assert sorted(int(str(i["n"])) for i in items) == [0, 1]
