"""Noisy neighbour: a quiet tenant's latency while another tenant has a deep backlog.

One run, one deployment (`tenantry up --workers 0` for the ingress, `tenantry worker` beside
it), measured twice:

1. idle: the quiet tenant submits its commands, one every `--interval` seconds, to an idle
   fleet; the time from each submission to its job's Succeeded (the reference);
2. loaded: the fleet is stopped, the noisy tenant submits `--backlog` commands over HTTP, the
   fleet is started again and, once it is working through the backlog, the quiet tenant
   submits the same commands the same way.

Each of `--rounds` rounds runs on a fresh deployment; the median ratio is kept, since one
round's p95 of 20 samples moves with whatever else the machine runs. Prints both p50/p95 and
their ratio (target: loaded p95 at most 3 times idle p95), and how much of the backlog was still
queued when the quiet tenant began and when its last job ended. Writes
bench/results/noisy_neighbour.json. Not a test: nothing here asserts a time.

    .venv/bin/python -m bench.noisy_neighbour --backlog 10000 --quiet 20 --rounds 3
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from bench.load import Client, Fleet, Store, failed, summary_ms, tenants_env, write_results
from cli.deployment import LocalDeployment

NOISY, QUIET = "noisy", "quiet"


async def _quiet_latencies(
    client: Client, store: Store, count: int, interval: float
) -> list[float]:
    commands = [("/cosmos/quiet", {"n": n}) for n in range(count)]
    submitted = await client.submit_spaced(QUIET, commands, interval)
    ends = await store.wait_for([s.job_id for s in submitted])
    if failed(ends):
        raise SystemExit(f"{failed(ends)} of the quiet tenant's jobs did not succeed")
    return [ends[s.job_id].ended_at - s.sent_at for s in submitted]


@dataclass(frozen=True)
class Round:
    """One deployment's measurement: the quiet tenant idle and under the backlog."""

    idle: dict[str, float]
    loaded: dict[str, float]
    p95_ratio: float
    backlog_submitted_per_second: float
    queued_when_quiet_began: int
    queued_when_quiet_ended: int


async def _round(args: argparse.Namespace, data_dir: Path) -> Round:
    env = tenants_env([{"id": NOISY}, {"id": QUIET}])
    store = Store(data_dir)
    with LocalDeployment(data_dir, workers=0, env=env) as live:
        tokens = {t: live.token(t) for t in (NOISY, QUIET)}
        async with Client(live.url, tokens) as client:
            with Fleet(data_dir, env, args.workers):
                warmup = await client.submit(QUIET, "/cosmos/warmup", {"n": -1})
                await store.wait_for([warmup.job_id])
                await asyncio.sleep(1)  # the other worker processes are up too
                idle = await _quiet_latencies(client, store, args.quiet, args.interval)

            started = time.perf_counter()
            noise = [(NOISY, "/cosmos/noise", {"n": n}) for n in range(args.backlog)]
            await client.submit_all(noise, args.concurrency)
            backlog_seconds = time.perf_counter() - started

            with Fleet(data_dir, env, args.workers):
                while store.ended_count(NOISY) < args.workers * 16:  # the fleet is at it
                    await asyncio.sleep(0.02)
                queued_before = args.backlog - store.ended_count(NOISY)
                loaded = await _quiet_latencies(client, store, args.quiet, args.interval)
                queued_after = args.backlog - store.ended_count(NOISY)
    idle_ms, loaded_ms = summary_ms(idle), summary_ms(loaded)
    return Round(
        idle_ms,
        loaded_ms,
        round(loaded_ms["p95_ms"] / idle_ms["p95_ms"], 2),
        round(args.backlog / backlog_seconds, 1),
        queued_before,
        queued_after,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--backlog", type=int, default=10_000)
    parser.add_argument("--quiet", type=int, default=20)
    parser.add_argument("--interval", type=float, default=0.05)
    parser.add_argument("--rounds", type=int, default=3, help="fresh deployments, median kept")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--concurrency", type=int, default=32)
    args = parser.parse_args()
    rounds = []
    for _ in range(args.rounds):
        with tempfile.TemporaryDirectory(prefix="tenantry-noisy-") as tmp:
            rounds.append(asyncio.run(_round(args, Path(tmp))))
    median = statistics.median(r.p95_ratio for r in rounds)
    write_results(
        "noisy_neighbour",
        {
            "backlog": args.backlog,
            "quiet_commands": args.quiet,
            "quiet_interval_seconds": args.interval,
            "workers": args.workers,
            "rounds": [asdict(r) for r in rounds],
            "p95_ratio_loaded_to_idle_median": median,
        },
    )
    header = f"{'round':>6} {'idle p50/p95 ms':>16} {'loaded p50/p95 ms':>18} {'ratio':>6}"
    print(f"{header} {'queued':>13}")
    for n, r in enumerate(rounds, 1):
        print(
            f"{n:>6} {r.idle['p50_ms']:>7}/{r.idle['p95_ms']:<8} "
            f"{r.loaded['p50_ms']:>8}/{r.loaded['p95_ms']:<9} {r.p95_ratio:>6} "
            f"{r.queued_when_quiet_began:>6}>{r.queued_when_quiet_ended:<6}"
        )
    print(f"median p95 loaded / idle: {median} (target <= 3)")
    print("queued: the noisy backlog when the quiet tenant began > when its last job ended")


if __name__ == "__main__":
    main()
