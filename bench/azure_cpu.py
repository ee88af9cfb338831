"""CPU time per accepted command in Azure mode: what a user pays per command on Container Apps.

The ingress app runs in this process with the Service Bus and Cosmos DB adapters over stubs
that answer at once: Service Bus through a client whose sender builds the SDK's real message
batch and returns (the AMQP link has no HTTP transport to stub), Cosmos DB through the real
`CosmosClient` over an azure-core transport that answers every request immediately (the
account, database and container handshakes, then each item write). No network, no server.

Requests are ASGI calls made directly (no HTTP parsing, the same for every run), so the figure
is the app's own CPU: middleware, routing, validation, token check, envelope, the SDKs'
serialisation. The reference in the same run is the floor app (`bench/floor_app.py`) driven
the same way; the ratio is tenantry / floor. Run it on two checkouts to compare before and
after a change (`--repo` points at the other checkout's root):

    .venv/bin/python -m bench.azure_cpu --commands 3000
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import tempfile
import time
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

TENANT = "contoso"
KEY = "C2y6yDjf5/R+ob0N8A7Cgv30VRDJIWEHLM+4QDU5DE2nQ9nDuVTqobD4b8mGGyPMbIZnqyMsEcaGQy67XIw/Jw=="
ACCOUNT = "https://stub.documents.azure.com:443/"


def _stub_transport() -> Any:
    from azure.core.pipeline.transport import AsyncHttpTransport
    from azure.core.rest._http_response_impl_async import AsyncHttpResponseImpl
    from azure.core.utils import CaseInsensitiveDict

    def answer(method: str, path: str, body: bytes, query: bool) -> tuple[int, dict[str, Any]]:
        parts = [p for p in path.split("/") if p]
        if query:  # a query (the backlog count of `max_queued`): no documents
            return 200, {"_rid": "r", "Documents": [], "_count": 0}
        stamp = {"_rid": "r", "_self": path, "_etag": f'"{uuid.uuid4().hex}"', "_ts": 1}
        if not parts:
            location = {"name": "Local", "databaseAccountEndpoint": ACCOUNT}
            return 200, {
                "id": "stub",
                "writableLocations": [location],
                "readableLocations": [location],
                "enableMultipleWriteLocations": False,
                "userConsistencyPolicy": {"defaultConsistencyLevel": "Session"},
                "systemReplicationPolicy": {"minReplicaSetSize": 1, "maxReplicasetSize": 4},
                "readPolicy": {"primaryReadCoefficient": 1, "secondaryReadCoefficient": 1},
                "queryEngineConfiguration": "{}",
            }
        if parts[-1] in ("dbs", "colls") and method == "POST":
            sent = json.loads(body)
            properties = {"id": sent["id"], **stamp}
            if parts[-1] == "colls":
                properties["partitionKey"] = {"paths": ["/tenantId"], "kind": "Hash"}
            return 201, properties
        if parts[-1] == "docs" and method == "POST":
            return 201, {**json.loads(body), **stamp}
        if len(parts) >= 2 and parts[-2] == "colls" and method == "GET":
            properties = {"id": parts[-1], **stamp}
            properties["partitionKey"] = {"paths": ["/tenantId"], "kind": "Hash"}
            return 200, properties
        if len(parts) >= 2 and parts[-2] == "dbs" and method == "GET":
            return 200, {"id": parts[-1], **stamp}
        return 404, {"code": "NotFound", "message": "stub"}

    class Instant(AsyncHttpTransport):  # type: ignore[misc]
        async def __aenter__(self) -> Instant:
            return self

        async def __aexit__(self, *exc: object) -> None:
            return None

        async def open(self) -> None:
            return None

        async def close(self) -> None:
            return None

        async def send(self, request: Any, **kwargs: Any) -> Any:
            raw = getattr(request, "content", None) or getattr(request, "body", None) or b""
            raw = raw.encode() if isinstance(raw, str) else raw
            from urllib.parse import urlsplit

            query = request.headers.get("x-ms-documentdb-isquery", "").lower() == "true"
            status, payload = answer(request.method, urlsplit(request.url).path, raw, query)
            content = json.dumps(payload).encode()
            headers = CaseInsensitiveDict(
                {"content-type": "application/json", "etag": payload.get("_etag", "")}
            )

            async def stream(*args: Any, **kwargs: Any) -> AsyncIterator[bytes]:
                yield content

            response = AsyncHttpResponseImpl(
                request=request,
                internal_response=None,
                status_code=status,
                reason="OK" if status < 400 else "Error",
                content_type="application/json",
                headers=headers,
                stream_download_generator=stream,
            )
            response._content = content
            response._is_stream_consumed = True
            return response

    return Instant()


class _Sender:
    async def create_message_batch(self, max_size_in_bytes: int | None = None) -> Any:
        from azure.servicebus import ServiceBusMessageBatch

        return ServiceBusMessageBatch(max_size_in_bytes=max_size_in_bytes or 256 * 1024)

    async def send_messages(self, batch: Any) -> None:
        return None

    async def close(self) -> None:
        return None


class _ServiceBusClient:
    def get_queue_sender(self, queue: str) -> _Sender:
        return _Sender()

    async def close(self) -> None:
        return None


async def _drive(app: Any, token: str, count: int) -> float:
    """CPU seconds per request for `count` POST /cosmos/bench through the ASGI app."""
    body = json.dumps({"note": "benchmark", "n": 1}).encode()
    headers = [
        (b"host", b"127.0.0.1"),
        (b"content-type", b"application/json"),
        (b"content-length", str(len(body)).encode()),
        (b"authorization", f"Bearer {token}".encode()),
    ]
    statuses: dict[int, int] = {}

    async def one() -> None:
        sent = False

        async def receive() -> dict[str, Any]:
            nonlocal sent
            if sent:
                await asyncio.sleep(3600)
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}

        async def send(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                statuses[message["status"]] = statuses.get(message["status"], 0) + 1

        scope = {
            "type": "http",
            "asgi": {"version": "3.0"},
            "http_version": "1.1",
            "method": "POST",
            "scheme": "http",
            "path": "/cosmos/bench",
            "raw_path": b"/cosmos/bench",
            "query_string": b"",
            "root_path": "",
            "headers": list(headers),
            "client": ("127.0.0.1", 5000),
            "server": ("127.0.0.1", 8000),
            "state": {},
        }
        await app(scope, receive, send)

    for _ in range(min(200, count)):  # warm up: caches, first container handshakes
        await one()
    statuses.clear()
    started = time.process_time()
    for _ in range(count):
        await one()
    spent = time.process_time() - started
    if set(statuses) != {202}:
        raise SystemExit(f"unexpected answers: {statuses}")
    return spent / count


_LIFESPANS: set[asyncio.Future[Any]] = set()


async def _lifespan(app: Any) -> None:
    messages = iter([{"type": "lifespan.startup"}])

    async def receive() -> dict[str, Any]:
        try:
            return next(messages)
        except StopIteration:
            await asyncio.sleep(3600)
            raise

    started = asyncio.get_running_loop().create_future()

    async def send(message: dict[str, Any]) -> None:
        if message["type"].startswith("lifespan.startup") and not started.done():
            started.set_result(message)

    running = asyncio.ensure_future(
        app({"type": "lifespan", "asgi": {"version": "3.0"}}, receive, send)
    )
    await started
    _LIFESPANS.add(running)


async def _tenantry(count: int, data_dir: Path) -> float:
    from azure.cosmos.aio import CosmosClient

    from ingress.app import create_app
    from shared.adapters.azure.cosmos import CosmosStore
    from shared.adapters.azure.servicebus import ServiceBusBus
    from shared.bootstrap import bootstrap
    from shared.settings import Settings

    settings = Settings(
        data_dir=data_dir,
        jwt_algorithm="HS256",
        jwt_secret_key="x" * 48,
        tenants=json.dumps([{"id": TENANT}]),
    )
    services = bootstrap(settings)
    await services.bus.close()
    await services.store.close()
    services.bus = ServiceBusBus(_ServiceBusClient())  # type: ignore[arg-type]
    client = CosmosClient(ACCOUNT, credential=KEY, transport=_stub_transport())
    services.store = CosmosStore(client, "tenantry")
    app = create_app(settings, services)
    await _lifespan(app)
    try:
        from ingress.auth import issue_dev_token
    except ImportError:
        from shared.tokens import issue_dev_token  # type: ignore[no-redef]
    token = issue_dev_token(settings, tenant_id=TENANT, roles=["user"], subject="bench")
    return await _drive(app, token, count)


async def _floor(count: int) -> float:
    from bench.floor_app import app

    return await _drive(app, "none", count)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--commands", type=int, default=3000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    floors, tenantry = [], []
    with tempfile.TemporaryDirectory(prefix="tenantry-azure-cpu-") as tmp:
        for _ in range(args.rounds):
            floors.append(asyncio.run(_floor(args.commands)))
            tenantry.append(asyncio.run(_tenantry(args.commands, Path(tmp))))
    floor, ours = min(floors), min(tenantry)
    print(f"python {sys.version.split()[0]}, {args.commands} commands, best of {args.rounds}")
    print(f"floor:    {floor * 1e6:8.0f} us CPU per request")
    print(
        f"tenantry: {ours * 1e6:8.0f} us CPU per accepted command ({ours / floor:.1f}x the floor)"
    )
    out = Path("bench/results")
    out.mkdir(parents=True, exist_ok=True)
    figures = {"floor_us": floor * 1e6, "tenantry_us": ours * 1e6, "ratio": ours / floor}
    (out / "azure_cpu.json").write_text(json.dumps(figures, indent=2))


if __name__ == "__main__":
    main()
