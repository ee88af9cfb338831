"""Noisy neighbour: a quiet tenant's latency while another tenant has a deep backlog.

One run, one deployment (`tenantry up --workers 0` for the ingress, `tenantry worker` beside
it), measured twice:

1. idle: the quiet tenant submits its commands, one every `--interval` seconds, to an idle
   fleet; the time from each submission to its job's Succeeded (the reference);
2. loaded: the fleet is stopped, the noisy tenant submits `--backlog` commands over HTTP, the
   fleet is started again and, once it is working through the backlog, the quiet tenant
   submits the same commands the same way.

Prints both p50/p95 and their ratio (target: loaded p95 at most 3 times idle p95), and how much
of the backlog was still queued when the quiet tenant's last job ended. Writes
bench/results/noisy_neighbour.json. Not a test: nothing here asserts a time.

    .venv/bin/python -m bench.noisy_neighbour --backlog 10000 --quiet 20
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
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


async def _run(args: argparse.Namespace, data_dir: Path) -> dict[str, object]:
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
    return {
        "backlog": args.backlog,
        "backlog_submitted_per_second": round(args.backlog / backlog_seconds, 1),
        "quiet_commands": args.quiet,
        "quiet_interval_seconds": args.interval,
        "workers": args.workers,
        "idle": idle_ms,
        "loaded": loaded_ms,
        "p95_ratio_loaded_to_idle": round(loaded_ms["p95_ms"] / idle_ms["p95_ms"], 2),
        "backlog_queued_when_quiet_began": queued_before,
        "backlog_queued_when_quiet_ended": queued_after,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--backlog", type=int, default=10_000)
    parser.add_argument("--quiet", type=int, default=20)
    parser.add_argument("--interval", type=float, default=0.05)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--concurrency", type=int, default=32)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="tenantry-noisy-") as tmp:
        figures = asyncio.run(_run(args, Path(tmp)))
    write_results("noisy_neighbour", figures)
    idle, loaded = figures["idle"], figures["loaded"]
    assert isinstance(idle, dict) and isinstance(loaded, dict)
    print(f"{'quiet tenant':>14} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8}")
    for name, row in (("idle", idle), ("loaded", loaded)):
        print(f"{name:>14} {row['p50_ms']:>8} {row['p95_ms']:>8} {row['max_ms']:>8}")
    print(f"p95 loaded / idle: {figures['p95_ratio_loaded_to_idle']} (target <= 3)")
    print(
        f"noisy backlog queued: {figures['backlog_queued_when_quiet_began']} when the quiet "
        f"tenant began, {figures['backlog_queued_when_quiet_ended']} when it ended "
        f"(submitted at {figures['backlog_submitted_per_second']}/s)"
    )


if __name__ == "__main__":
    main()
