"""What the pipeline's middleware costs: item creations through `Pipeline.process`, in-process.

Runs the same commands on fresh embedded adapters with no middleware (the reference: the fixed
stages only) and with `standard_middleware` (telemetry off, time limit, retries, webhook events
with no endpoint registered), alternating the two for several rounds, and prints each one's
median commands per second and the ratio standard/reference. Not a test: nothing asserts a time.

    .venv/bin/python bench/pipeline_middleware.py --commands 1000 --tenants 20 --rounds 3
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from shared.bootstrap import bootstrap
from shared.contracts.envelope import Envelope
from shared.settings import Settings
from workers.pipeline import Pipeline, standard_middleware


@dataclass(frozen=True)
class Delivery:
    body: bytes
    session_id: str
    message_id: str
    delivery_count: int = 1


async def _rate(data_dir: Path, tenants: list[str], commands: int, standard: bool) -> float:
    settings = Settings(data_dir=data_dir, tenants=json.dumps([{"id": t} for t in tenants]))
    services = bootstrap(settings)
    pipeline = Pipeline(services, middleware=standard_middleware(services) if standard else [])
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
    parser.add_argument("--commands", type=int, default=1000)
    parser.add_argument("--tenants", type=int, default=20)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    tenants = [f"t{i:03d}" for i in range(args.tenants)]
    rates: dict[bool, list[float]] = {False: [], True: []}
    for _ in range(args.rounds):
        for standard in (False, True):
            with tempfile.TemporaryDirectory(prefix="tenantry-bench-") as tmp:
                rates[standard].append(
                    asyncio.run(_rate(Path(tmp), tenants, args.commands, standard))
                )
    reference, standard = statistics.median(rates[False]), statistics.median(rates[True])
    print(f"fixed stages only:   {reference:8.1f} commands/s (reference)")
    print(f"standard middleware: {standard:8.1f} commands/s")
    print(f"ratio standard/reference: {standard / reference:.3f}")


if __name__ == "__main__":
    main()
