"""Count the store and bus operations each command performs, for the capacity model.

Drives every command type through the real ingress app and a real worker on the embedded
adapters, one command at a time, with the store and the bus wrapped in counters; an operation
is charged to the command type the worker has bound to its log context (`run.poll` apart from
the `run.create` that schedules it), or to the command being submitted when it happens inside
the ingress. Every port method maps to one Cosmos DB or Service Bus operation, so the table is
what the Azure adapters would do. Writes `cli/capacity/operations.json` (with `--write`).

    .venv/bin/python bench/capacity_operations.py [--write]
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import json
import sys
import tempfile
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from ingress.app import create_app  # noqa: E402
from shared import logs  # noqa: E402
from shared.bootstrap import bootstrap  # noqa: E402
from shared.tokens import issue_dev_token  # noqa: E402
from tests.harness import settings_for  # noqa: E402
from workers.pipeline import Pipeline  # noqa: E402
from workers.session_worker import SessionWorker  # noqa: E402

STORE_METHODS = {
    "get": "reads",
    "create": "creates",
    "create_if_absent": "creates",
    "upsert": "upserts",
    "replace": "replaces",
    "delete": "deletes",
    "list": "queries",
}
TABLE = ROOT / "cli" / "capacity" / "operations.json"


class Tally:
    """Operations by the command type they were charged to."""

    def __init__(self) -> None:
        self.by_command: dict[str, Counter[str]] = defaultdict(Counter)
        self.submitting = "ingress"

    def charge(self, kind: str, n: int = 1) -> None:
        command = logs.current().get("command_type") or self.submitting
        self.by_command[command][kind] += n


class CountingTenantStore:
    def __init__(self, inner: Any, tally: Tally) -> None:
        self._inner, self._tally = inner, tally

    def __getattr__(self, name: str) -> Any:
        target = getattr(self._inner, name)
        kind = STORE_METHODS.get(name)
        if kind is None:
            return target

        async def counted(*args: Any, **kwargs: Any) -> Any:
            self._tally.charge(kind)
            return await target(*args, **kwargs)

        return counted


class CountingStore:
    def __init__(self, inner: Any, tally: Tally) -> None:
        self._inner, self._tally = inner, tally

    def for_tenant(self, tenant_id: str) -> CountingTenantStore:
        return CountingTenantStore(self._inner.for_tenant(tenant_id), self._tally)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)


class CountingBus:
    def __init__(self, inner: Any, tally: Tally) -> None:
        self._inner, self._tally = inner, tally

    async def send(self, queue: str, messages: list[Any]) -> None:
        self._tally.charge("bus_sends", len(messages))
        await self._inner.send(queue, messages)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)


async def measure(rounds: int) -> dict[str, dict[str, float]]:
    tally = Tally()
    with tempfile.TemporaryDirectory() as tmp:
        settings = settings_for(Path(tmp))
        plain = bootstrap(settings)
        services = dataclasses.replace(
            plain, store=CountingStore(plain.store, tally), bus=CountingBus(plain.bus, tally)
        )
        app = create_app(settings, services)
        worker = SessionWorker(
            services.bus, Pipeline(services), concurrency=2, batch_size=4, lock_duration_seconds=5
        )
        stop = asyncio.Event()
        task = asyncio.create_task(worker.run(stop, grace_seconds=2))
        token = issue_dev_token(settings, tenant_id="contoso", roles=("user",))
        headers = {"Authorization": f"Bearer {token}"}
        transport = httpx.ASGITransport(app=app)
        jobs = plain.store.for_tenant("contoso")
        try:
            async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
                counts: Counter[str] = Counter()
                for _ in range(rounds):
                    await _tour(client, headers, jobs, tally, counts)
                    await asyncio.sleep(0.3)  # the run's polls
        finally:
            stop.set()
            await task
            await plain.close()
    # every poll a run executes was scheduled by one send (of run.create, or of the poll before)
    counts["run.poll"] = (
        tally.by_command["run.create"]["bus_sends"]
        - counts["run.create"]
        + tally.by_command["run.poll"]["bus_sends"]
    )
    table: dict[str, dict[str, float]] = {}
    for command, ops in sorted(tally.by_command.items()):
        if command == "ingress" or not counts.get(command):
            continue
        table[command] = {k: round(v / counts[command], 2) for k, v in sorted(ops.items())}
    return table


async def _submit(
    client: httpx.AsyncClient,
    headers: dict[str, str],
    jobs: Any,
    tally: Tally,
    counts: Counter[str],
    command: str,
    method: str,
    path: str,
    **kwargs: Any,
) -> dict[str, Any]:
    tally.submitting = command
    response = await client.request(method, path, headers=headers, **kwargs)
    tally.submitting = "ingress"
    assert response.status_code == 202, response.text
    job_id = response.json()["id"]
    counts[command] += 1
    for _ in range(2000):
        doc = await jobs.get("jobs", job_id)
        if doc is not None and doc["status"] in ("Succeeded", "Failed", "Canceled"):
            assert doc["status"] == "Succeeded", doc
            return dict(doc.get("result") or {})
        await asyncio.sleep(0.005)
    raise TimeoutError(command)


async def _tour(
    client: httpx.AsyncClient,
    headers: dict[str, str],
    jobs: Any,
    tally: Tally,
    counts: Counter[str],
) -> None:
    def go(command: str, method: str, path: str, **kw: Any) -> Any:
        return _submit(client, headers, jobs, tally, counts, command, method, path, **kw)

    agent = await go("agent.create", "POST", "/agents/", json={"name": "a", "model": "gpt-4o"})
    thread = await go("thread.create", "POST", "/agents/threads", json={})
    tid = thread["id"]
    await go("message.create", "POST", f"/agents/threads/{tid}/messages", json={"content": "hi"})
    await go("run.create", "POST", f"/agents/threads/{tid}/runs", json={"agent_id": agent["id"]})
    item = await go("item.create", "POST", "/cosmos/notes", json={"text": "x"})
    await go("item.update", "PATCH", f"/cosmos/notes/{item['id']}", json={"text": "y"})
    await go("item.delete", "DELETE", f"/cosmos/notes/{item['id']}")
    doc = {"id": "d1", "content": "Refunds are paid within 30 days."}
    await go("document.index", "POST", "/search/documents", json=[doc])
    await go("document.delete", "DELETE", "/search/documents/d1")
    files = {"file": ("a.txt", b"hello world", "text/plain")}
    upload = await go("file.create", "POST", "/files", files=files, data={"purpose": "assistants"})
    await go("file.delete", "DELETE", f"/files/{upload['id']}")
    await go("thread.delete", "DELETE", f"/agents/threads/{tid}")
    await go("agent.delete", "DELETE", f"/agents/{agent['id']}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--write", action="store_true", help=f"write {TABLE.name}")
    args = parser.parse_args()
    table = asyncio.run(measure(args.rounds))
    text = json.dumps(table, indent=2, sort_keys=True)
    print(text)
    if args.write:
        TABLE.write_text(text + "\n")
        print(f"written to {TABLE.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
