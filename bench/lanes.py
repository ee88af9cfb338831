"""One busy tenant: its throughput with 1, 4 and 8 lanes (many threads, one tenant).

For each lane count, a fresh deployment (`tenantry up --workers 0` and a `tenantry worker`
fleet beside it) serves one tenant with that many lanes. The tenant opens `--threads` threads,
then posts `--messages` messages spread round-robin over them, two ways:

- end to end: with the fleet running, from the first submission to the last job Succeeded;
- backlog: with the fleet stopped, all messages are queued, then the fleet starts; the rate is
  taken between the first and the last job's end, so the fleet's start-up is not counted.

1 lane is the reference: every command of the tenant in one session, one at a time. Adding a
message calls the engine once; `--engine-latency` makes each local engine call take that long
(`LOCAL_ENGINE_CALL_LATENCY_SECONDS`), as a round trip to Foundry does, which is what one lane
waits on in production. With 0 the handlers are CPU and SQLite bound and two cores are the
ceiling. Prints messages per second and the ratio to 1 lane; writes
bench/results/lanes_engine_<ms>ms.json. Not a test: nothing here asserts a time.

    .venv/bin/python -m bench.lanes --lanes 1 4 8 --engine-latency 0.05 --messages 600
    .venv/bin/python -m bench.lanes --lanes 1 4 8 --engine-latency 0 --messages 3000
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from bench.load import Client, Fleet, Store, failed, tenants_env, write_results
from cli.deployment import LocalDeployment

TENANT = "busy"


@dataclass(frozen=True)
class LaneFigures:
    """One lane count's throughput, in messages per second."""

    lanes: int
    end_to_end_per_second: float
    backlog_per_second: float


async def _threads(client: Client, store: Store, count: int) -> list[str]:
    made = await client.submit_all([(TENANT, "/agents/threads", {})] * count, 16)
    await store.wait_for([s.job_id for s in made])
    threads = []
    for job in made:
        status, answer = await client.call(TENANT, "GET", f"/jobs/{job.job_id}")
        if status != 200 or answer["status"] != "Succeeded":
            raise SystemExit(f"a thread was not created: {answer}")
        threads.append(answer["result"]["id"])
    return threads


def _messages(threads: list[str], count: int, tag: str) -> list[tuple[str, str, object]]:
    return [
        (TENANT, f"/agents/threads/{threads[n % len(threads)]}/messages", {"content": f"{tag} {n}"})
        for n in range(count)
    ]


async def _measure(args: argparse.Namespace, lanes: int, data_dir: Path) -> LaneFigures:
    env = tenants_env(
        [{"id": TENANT, "lanes": lanes}],
        LOCAL_ENGINE_CALL_LATENCY_SECONDS=str(args.engine_latency),
    )
    store = Store(data_dir)
    with LocalDeployment(data_dir, workers=0, env=env) as live:
        async with Client(live.url, {TENANT: live.token(TENANT)}) as client:
            with Fleet(data_dir, env, args.workers):
                threads = await _threads(client, store, args.threads)
                started = time.time()
                submitted = await client.submit_all(
                    _messages(threads, args.messages, "live"), args.concurrency
                )
                ends = await store.wait_for([s.job_id for s in submitted])
                end_to_end = len(ends) / (max(e.ended_at for e in ends.values()) - started)
            queued = await client.submit_all(
                _messages(threads, args.messages, "queued"), args.concurrency
            )
            with Fleet(data_dir, env, args.workers):
                drained = await store.wait_for([s.job_id for s in queued])
    if failed(ends) or failed(drained):
        raise SystemExit(f"{failed(ends) + failed(drained)} messages did not succeed")
    moments = sorted(e.ended_at for e in drained.values())
    return LaneFigures(
        lanes,
        round(end_to_end, 1),
        round((len(moments) - 1) / (moments[-1] - moments[0]), 1),
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--lanes", type=int, nargs="+", default=[1, 4, 8])
    parser.add_argument("--threads", type=int, default=64)
    parser.add_argument("--messages", type=int, default=600)
    parser.add_argument("--engine-latency", type=float, default=0.05, help="seconds per call")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--concurrency", type=int, default=32)
    args = parser.parse_args()
    results = []
    for lanes in args.lanes:
        with tempfile.TemporaryDirectory(prefix="tenantry-lanes-") as tmp:
            results.append(asyncio.run(_measure(args, lanes, Path(tmp))))
    base = results[0]
    write_results(
        f"lanes_engine_{round(args.engine_latency * 1000)}ms",
        {
            "engine_call_latency_seconds": args.engine_latency,
            "threads": args.threads,
            "messages": args.messages,
            "workers": args.workers,
            "results": [asdict(r) for r in results],
        },
    )
    print(f"engine call latency {args.engine_latency * 1000:.0f} ms, {args.threads} threads")
    print(f"{'lanes':>6} {'end to end msg/s':>17} {'ratio':>6} {'backlog msg/s':>14} {'ratio':>6}")
    for r in results:
        print(
            f"{r.lanes:>6} {r.end_to_end_per_second:>17} "
            f"{r.end_to_end_per_second / base.end_to_end_per_second:>6.2f} "
            f"{r.backlog_per_second:>14} {r.backlog_per_second / base.backlog_per_second:>6.2f}"
        )


if __name__ == "__main__":
    main()
