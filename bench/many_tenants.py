"""Many small tenants: 1,000 tenants with one command each, against benchmark 2's shape.

One deployment (`tenantry up`, 2 worker processes) serves both workloads, alternated
`--rounds` times so neither gets the warmer machine:

- reference (benchmark 2, `bench/e2e_throughput.py`): `--commands` item creations from 100
  tenants, submitted over HTTP by 32 aiohttp clients, to Succeeded;
- small tenants: one item creation from each of `--small` tenants, the same way.

Each is timed from the first submission to the last job ended (read from the store). Prints
jobs per second for both and their ratio (target: at least 0.8), with the p95 time to
Succeeded. Writes bench/results/many_tenants.json. Not a test: nothing here asserts a time.

A session with one message costs the local fleet one accept and one release: a slot takes the
session, handles what it holds (up to `WORKER_BATCH_SIZE`) and lets it go at once, so no slot
ever waits on a drained session (Service Bus's idle-session trap; see README, Performance).

    .venv/bin/python -m bench.many_tenants --small 1000 --commands 3000 --rounds 2
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from bench.load import Client, Store, failed, summary_ms, tenants_env, write_results
from cli.deployment import LocalDeployment


@dataclass(frozen=True)
class Round:
    """One workload, submitted and finished."""

    jobs: int
    seconds: float
    jobs_per_second: float
    p95_to_succeeded_ms: float


async def _round(
    client: Client, store: Store, commands: list[tuple[str, str, object]], concurrency: int
) -> Round:
    started = time.time()
    submitted = await client.submit_all(commands, concurrency)
    ends = await store.wait_for([s.job_id for s in submitted])
    if failed(ends):
        raise SystemExit(f"{failed(ends)} jobs did not succeed")
    seconds = max(end.ended_at for end in ends.values()) - started
    latency = summary_ms([ends[s.job_id].ended_at - s.sent_at for s in submitted])
    return Round(
        len(submitted), round(seconds, 2), round(len(submitted) / seconds, 1), latency["p95_ms"]
    )


async def _run(args: argparse.Namespace, data_dir: Path) -> list[tuple[Round, Round]]:
    """(reference, small tenants) for each round."""
    reference = [f"t{i:04d}" for i in range(100)]
    small = [f"s{i:04d}" for i in range(args.small)]
    env = tenants_env(({"id": t} for t in reference + small), data_dir)
    store = Store(data_dir)
    rounds: list[tuple[Round, Round]] = []
    with LocalDeployment(data_dir, workers=args.workers, env=env) as live:
        tokens = {t: live.token(t) for t in reference + small}
        async with Client(live.url, tokens) as client:
            warmup = await client.submit("t0000", "/cosmos/warmup", {"n": -1})
            await store.wait_for([warmup.job_id])
            for r in range(args.rounds):
                bench2 = [
                    (reference[i % len(reference)], "/cosmos/bench", {"n": i, "round": r})
                    for i in range(args.commands)
                ]
                one_each = [(t, "/cosmos/bench", {"n": 0, "round": r}) for t in small]
                rounds.append(
                    (
                        await _round(client, store, bench2, args.concurrency),
                        await _round(client, store, one_each, args.concurrency),
                    )
                )
    return rounds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--small", type=int, default=1000)
    parser.add_argument("--commands", type=int, default=3000)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--concurrency", type=int, default=32)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="tenantry-many-") as tmp:
        rounds = asyncio.run(_run(args, Path(tmp)))
    reference = statistics.median(r.jobs_per_second for r, _ in rounds)
    small = statistics.median(s.jobs_per_second for _, s in rounds)
    figures = {
        "small_tenants": args.small,
        "reference_tenants": 100,
        "reference_commands": args.commands,
        "workers": args.workers,
        "concurrency": args.concurrency,
        "rounds": [{"reference": asdict(r), "small_tenants": asdict(s)} for r, s in rounds],
        "reference_jobs_per_second_median": reference,
        "small_tenants_jobs_per_second_median": small,
        "ratio_small_to_reference": round(small / reference, 2),
    }
    write_results("many_tenants", figures)
    print(f"{'round':>6} {'100 tenants':>24} {f'{args.small} tenants':>24}")
    for n, (r, s) in enumerate(rounds, 1):
        print(
            f"{n:>6} {r.jobs_per_second:>9} jobs/s p95 {r.p95_to_succeeded_ms:>6} ms "
            f"{s.jobs_per_second:>9} jobs/s p95 {s.p95_to_succeeded_ms:>6} ms"
        )
    print(
        f"median: {reference} vs {small} jobs/s, ratio {figures['ratio_small_to_reference']} "
        "(target >= 0.8)"
    )


if __name__ == "__main__":
    main()
