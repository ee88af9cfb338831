"""What webhook events cost the pipeline: item creations through `Pipeline.process`, in-process.

Runs the same commands three ways on fresh embedded adapters: without middleware, with the
webhook events middleware and no endpoint registered (the common case: one extra store read per
job end), and with one subscribed endpoint per tenant (plus one bus send per job end). Prints
commands per second for each. Not a test: nothing here asserts a time.

    .venv/bin/python bench/pipeline_events.py --commands 2000 --tenants 20
"""

from __future__ import annotations

import argparse
import asyncio
import json
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from shared.bootstrap import bootstrap
from shared.contracts.envelope import Envelope
from shared.settings import Settings
from shared.webhooks import endpoints
from workers.middleware import Middleware
from workers.pipeline import Pipeline
from workers.webhooks.publisher import WebhookEvents


@dataclass(frozen=True)
class Delivery:
    body: bytes
    session_id: str
    message_id: str
    delivery_count: int = 1


async def _run(data_dir: Path, tenants: list[str], commands: int, mode: str) -> float:
    settings = Settings(data_dir=data_dir, tenants=json.dumps([{"id": t} for t in tenants]))
    services = bootstrap(settings)
    if mode == "subscribed":
        for tenant in tenants:
            await endpoints.register(
                services.scope(tenant), "https://hooks.example.com/", ["job.succeeded"], "", 0
            )
    middleware: list[Middleware] = [] if mode == "none" else [WebhookEvents(services)]
    pipeline = Pipeline(services, middleware=middleware)
    deliveries = []
    for i in range(commands):
        tenant = tenants[i % len(tenants)]
        envelope = Envelope(
            type="item.create",
            tenant_id=tenant,
            subject="bench",
            data={"container": "bench", "item": {"n": i}},
        )
        deliveries.append(Delivery(envelope.to_bytes(), tenant, envelope.command_id))
    started = time.perf_counter()
    for delivery in deliveries:
        await pipeline.process(delivery)
    seconds = time.perf_counter() - started
    await services.close()
    return commands / seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--commands", type=int, default=2000)
    parser.add_argument("--tenants", type=int, default=20)
    args = parser.parse_args()
    tenants = [f"t{i:03d}" for i in range(args.tenants)]
    for mode in ("none", "no endpoints", "subscribed"):
        with tempfile.TemporaryDirectory(prefix="tenantry-bench-") as tmp:
            rate = asyncio.run(_run(Path(tmp), tenants, args.commands, mode))
        print(f"{mode:>14}: {rate:8.1f} commands/s")


if __name__ == "__main__":
    main()
