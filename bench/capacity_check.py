"""Check the capacity model against the one system it can be checked against here.

Runs scaled-down versions of the model's workloads on the local fleet's real session worker
and SQLite bus (handlers that wait their drawn handler time, as I/O-bound handlers do), then the
simulation of the same workload with the same session settings (the `fleet` policy: one batch
per session turn, least recently served first, the same accept back-off), and prints the queue
ages (enqueued -> handler start) side by side. The bus's own operation times are measured
first and given to the model, so that only the queueing is compared.

    .venv/bin/python bench/capacity_check.py [--seconds 20] [--workload NAME]
"""

from __future__ import annotations

import argparse
import asyncio
import math
import multiprocessing
import random
import sys
import tempfile
import time
import uuid
from collections import defaultdict
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from cli.capacity.prices import CommandOperations, RequestUnits  # noqa: E402
from cli.capacity.simulation import simulate  # noqa: E402
from cli.capacity.summary import percentile  # noqa: E402
from cli.capacity.workload import (  # noqa: E402
    CommandProfile,
    HostSettings,
    ScaleSettings,
    TenantClass,
    Workload,
)
from shared.adapters.local import bus as bus_module  # noqa: E402
from shared.adapters.local.bus import SqliteBus  # noqa: E402
from shared.ports.bus import OutgoingMessage, ReceivedMessage  # noqa: E402
from workers.session_worker import SessionWorker  # noqa: E402
from workers.settlement import COMPLETE, Settlement  # noqa: E402

QUEUE = "commands"
SLOTS, BATCH = 8, 16
WORK = {"work": CommandProfile(handler_ms=10, cv=0.5)}


def workloads(seconds: float) -> dict[str, Workload]:
    """The model's three shapes, at rates one process on this machine carries."""
    host = HostSettings(
        policy="fleet",
        max_concurrent_sessions=SLOTS,
        batch_size=BATCH,
        # an idle worker waits in the bus's accept: a send rings it at once, and the bus
        # polls (5 ms doubling to 100 ms) only for what no one rings for
        idle_backoff_ms=(
            bus_module._POLL_FIRST_SECONDS * 1000,
            bus_module._POLL_MAX_SECONDS * 1000,
        ),
        wake_on_send=True,
    )

    def make(name: str, rate: float, *classes: TenantClass) -> Workload:
        return Workload(
            name=name,
            commands_per_s=rate,
            duration_s=seconds,
            classes=classes,
            commands=WORK,
            host=host,
            scale=ScaleSettings(instances=1),
        )

    mix = {"work": 1.0}
    return {
        "small": make(
            "300 small tenants",
            60,
            TenantClass(name="small", tenants=300, traffic_share=1, mix=mix),
        ),
        "mixed": make(
            "30 tenants, mixed",
            80,
            TenantClass(name="heavy", tenants=3, traffic_share=0.6, mix=mix),
            TenantClass(name="light", tenants=27, traffic_share=0.4, mix=mix),
        ),
        "one-heavy": make(
            "one tenant with 90 %",
            50,
            TenantClass(name="whale", tenants=1, traffic_share=0.9, mix=mix),
            TenantClass(name="others", tenants=29, traffic_share=0.1, mix=mix),
        ),
    }


def _arrivals(workload: Workload) -> list[tuple[float, str, str]]:
    """(offset, session, class) for the run, drawn like the simulation draws them."""
    rng = random.Random(workload.seed + 7)
    out, t = [], 0.0
    shares = [c.traffic_share for c in workload.classes]
    while True:
        t += rng.expovariate(workload.commands_per_s)
        if t > workload.duration_s:
            return out
        cls = rng.choices(workload.classes, weights=shares)[0]
        session = f"{cls.name}-{rng.randrange(cls.tenants)}:{rng.randrange(cls.lanes)}"
        out.append((t, session, cls.name))


def _send(path: str, arrivals: list[tuple[float, str, str]]) -> None:
    """The ingress's part, in its own process: send each message at its time."""

    async def go() -> None:
        bus = SqliteBus(Path(path))
        start = time.monotonic()
        for offset, session, cls in arrivals:
            delay = start + offset - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
            body = f"{cls}".encode()
            await bus.send(QUEUE, [OutgoingMessage(body, session, uuid.uuid4().hex)])
        await bus.close()

    asyncio.run(go())


class Waiting:
    """Handlers that wait their drawn time, recording each message's queue age."""

    def __init__(self, workload: Workload) -> None:
        self.rng = random.Random(workload.seed + 11)
        self.profile = WORK["work"]
        self.ages: dict[str, list[float]] = defaultdict(list)
        self.took: list[float] = []
        self.count = 0

    async def process(self, message: ReceivedMessage) -> Settlement:
        now = datetime.now(UTC)
        self.ages[message.body.decode()].append((now - message.enqueued_time).total_seconds())
        mean, cv = self.profile.handler_ms / 1000, self.profile.cv
        sigma2 = math.log(1 + cv * cv)
        started = time.perf_counter()
        await asyncio.sleep(self.rng.lognormvariate(math.log(mean) - sigma2 / 2, sigma2**0.5))
        self.took.append(time.perf_counter() - started)
        self.count += 1
        return COMPLETE


async def _bus_costs(path: Path) -> tuple[float, float]:
    """Median time of accepting a session (with its batch) and of settling one message, ms."""
    bus = SqliteBus(path)
    accepts, settles = [], []
    for i in range(60):
        await bus.send(QUEUE, [OutgoingMessage(b"x", f"calibrate-{i}", uuid.uuid4().hex)])
    for _ in range(60):
        t0 = time.perf_counter()
        receiver = await bus.accept_next_session(QUEUE, prefetch=BATCH)
        messages = await receiver.receive(BATCH)
        t1 = time.perf_counter()
        for m in messages:
            await receiver.complete(m)
        t2 = time.perf_counter()
        await receiver.close()
        accepts.append((t1 - t0) * 1000)
        settles.append((t2 - t1) * 1000 / max(1, len(messages)))
    await bus.close()
    return percentile(accepts, 0.5), percentile(settles, 0.5)


async def _lateness(stop: asyncio.Event, samples: list[float]) -> None:
    """How late the event loop wakes a 2 ms sleep: the accept back-off's real step."""
    while not stop.is_set():
        started = time.perf_counter()
        await asyncio.sleep(0.002)
        samples.append(time.perf_counter() - started - 0.002)


async def _wake_latency(shape: Workload, path: Path) -> float:
    """Median queue age of a trickle (5 commands/s, one per tenant): the bus's own delivery."""
    trickle = shape.model_copy(update={"commands_per_s": 5.0, "duration_s": 4.0})
    ages, _, _ = await measure(trickle, path)
    return 1000 * percentile([a for values in ages.values() for a in values], 0.5)


async def measure(workload: Workload, path: Path) -> tuple[dict[str, list[float]], Waiting, float]:
    bus = SqliteBus(path)
    waiting = Waiting(workload)
    worker = SessionWorker(
        bus, waiting, concurrency=SLOTS, batch_size=BATCH, lock_duration_seconds=30
    )
    arrivals = _arrivals(workload)
    stop = asyncio.Event()
    late: list[float] = []
    probe = asyncio.create_task(_lateness(stop, late))
    task = asyncio.create_task(worker.run(stop, grace_seconds=5))
    sender = multiprocessing.get_context("spawn").Process(target=_send, args=(str(path), arrivals))
    sender.start()
    try:
        deadline = time.monotonic() + workload.duration_s * 3 + 10
        while waiting.count < len(arrivals) and time.monotonic() < deadline:
            await asyncio.sleep(0.1)
        sender.join(10)
    finally:
        if sender.is_alive():  # never leave the sender behind the bench
            sender.kill()
            sender.join()
    stop.set()
    await task
    await probe
    await bus.close()
    return dict(waiting.ages), waiting, percentile(late, 0.5) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--workload", choices=["small", "mixed", "one-heavy"], action="append")
    args = parser.parse_args()
    chosen = workloads(args.seconds)
    names = args.workload or list(chosen)
    with tempfile.TemporaryDirectory() as tmp:
        accept_ms, settle_ms = asyncio.run(_bus_costs(Path(tmp) / "calibrate.db"))
        wake_ms = asyncio.run(_wake_latency(chosen["small"], Path(tmp) / "wake.db")) - accept_ms
        print(
            f"local bus: accept + receive {accept_ms:.2f} ms, settle {settle_ms:.2f} ms, "
            f"send to a waiting worker's accept {max(wake_ms, 0):.2f} ms (medians, idle)"
        )
        head = ("workload", "class", "n", "measured p50/p95 ms", "simulated p50/p95 ms", "ratio")
        print(f"{head[0]:22} {head[1]:8} {head[2]:>6} {head[3]:>21} {head[4]:>22} {head[5]:>14}")
        for name in names:
            base = chosen[name]
            workload = base.model_copy(
                update={
                    "host": base.host.model_copy(
                        update={
                            "accept_ms": accept_ms,
                            "rtt_ms": settle_ms,
                            "wake_ms": max(wake_ms, 0.0),
                        }
                    )
                }
            )
            measured, waiting, late_ms = asyncio.run(measure(workload, Path(tmp) / f"{name}.db"))
            # the handlers' times as they were on this machine, and its timers' lateness
            mean = sum(waiting.took) / len(waiting.took)
            spread = (sum((t - mean) ** 2 for t in waiting.took) / len(waiting.took)) ** 0.5
            low, high = workload.host.idle_backoff_ms
            workload = workload.model_copy(
                update={
                    "commands": {"work": CommandProfile(handler_ms=mean * 1000, cv=spread / mean)},
                    "host": workload.host.model_copy(
                        update={"idle_backoff_ms": (low + late_ms, high + late_ms)}
                    ),
                }
            )
            print(
                f"  {name}: handlers took {mean * 1000:.1f} ms (cv {spread / mean:.2f}) for "
                f"10 ms asked; timers {late_ms:.2f} ms late"
            )
            noop = {"work": CommandOperations(bus_sends=1)}
            simulated = simulate(workload, noop, RequestUnits()).queue_ages
            for cls in workload.classes:
                m, s = measured.get(cls.name, []), simulated.get(cls.name, [])
                mp50, mp95 = 1000 * percentile(m, 0.5), 1000 * percentile(m, 0.95)
                sp50, sp95 = 1000 * percentile(s, 0.5), 1000 * percentile(s, 0.95)
                r50, r95 = sp50 / max(mp50, 1e-9), sp95 / max(mp95, 1e-9)
                print(
                    f"{workload.name:22} {cls.name:8} {len(m):>6} {mp50:>10.1f} / {mp95:>8.1f} "
                    f"{sp50:>11.1f} / {sp95:>8.1f} {r50:>7.2f} / {r95:.2f}"
                )


if __name__ == "__main__":
    main()
