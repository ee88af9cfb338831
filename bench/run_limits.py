"""A tenant at its `concurrent_runs` with hundreds of runs waiting: does another tenant notice?

One `tenantry up` (two worker processes; every run takes `--run-seconds` in the local engine).
The quiet tenant's run latency (POST with `Prefer: wait`, until the completed run comes back)
is measured first with nothing else running (the reference), then again while the busy
tenant, limited to `--limit` runs at once, has `--waiting` more runs queued behind them.
Prints p50/p95 of both and the ratio; writes bench/results/run_limits.json.

Not a test: nothing here asserts a time.

    .venv/bin/python -m bench.run_limits --waiting 500 --samples 20
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from pathlib import Path

import httpx

from bench.load import tenants_env, write_results
from cli.deployment import LocalDeployment

BUSY, QUIET = "busy", "quiet"


async def setup(client: httpx.AsyncClient) -> tuple[str, str]:
    """An agent and a thread with a question; their ids."""
    wait = {"Prefer": "wait=60"}
    agent = (await client.post("/agents/", json={"name": "bench"}, headers=wait)).json()
    thread = (await client.post("/agents/threads", json={}, headers=wait)).json()
    said = f"/agents/threads/{thread['id']}/messages"
    await client.post(said, json={"content": "Hello?"}, headers=wait)
    return agent["id"], thread["id"]


async def run_latencies(client: httpx.AsyncClient, samples: int) -> list[float]:
    """Seconds from POST to the completed run, one run at a time."""
    agent_id, thread_id = await setup(client)
    seconds = []
    for _ in range(samples):
        started = time.monotonic()
        answer = await client.post(
            f"/agents/threads/{thread_id}/runs",
            json={"agent_id": agent_id},
            headers={"Prefer": "wait=60"},
        )
        if answer.status_code != 201 or answer.json()["status"] != "completed":
            raise SystemExit(f"a quiet run did not complete: {answer.status_code} {answer.text}")
        seconds.append(time.monotonic() - started)
    return seconds


async def queue_runs(client: httpx.AsyncClient, count: int) -> int:
    """Submit `count` runs for the busy tenant and wait until the workers have made each one."""
    agent_id, thread_id = await setup(client)
    jobs = []
    for _ in range(count):
        answer = await client.post(f"/agents/threads/{thread_id}/runs", json={"agent_id": agent_id})
        jobs.append(answer.json()["id"])
    made = 0
    for job_id in jobs:
        while "result" not in (await client.get(f"/jobs/{job_id}")).json():
            await asyncio.sleep(0.05)
        made += 1
    return made


def summary(seconds: list[float]) -> dict[str, float]:
    ordered = sorted(seconds)
    return {
        "p50_ms": round(1000 * statistics.median(ordered), 1),
        "p95_ms": round(1000 * ordered[max(0, int(len(ordered) * 0.95) - 1)], 1),
    }


async def measure(
    live: LocalDeployment, waiting: int, limit: int, samples: int
) -> dict[str, object]:
    def client(tenant: str) -> httpx.AsyncClient:
        headers = {"Authorization": f"Bearer {live.token(tenant)}"}
        return httpx.AsyncClient(base_url=live.url, headers=headers, timeout=120)

    async with client(QUIET) as quiet, client(BUSY) as busy:
        await run_latencies(quiet, 3)  # warm up
        idle = await run_latencies(quiet, samples)
        queued = await queue_runs(busy, waiting + limit)
        loaded = await run_latencies(quiet, samples)
        still = [
            r["status"]
            for r in (await busy.get("/jobs?type=run.create&limit=100")).json()
            if r.get("result", {}).get("status") == "queued"
        ]
    idle_summary, loaded_summary = summary(idle), summary(loaded)
    return {
        "busy_runs_submitted": queued,
        "busy_limit": limit,
        "busy_runs_still_queued_of_newest_100_after": len(still),
        "quiet_idle": idle_summary,
        "quiet_beside_busy": loaded_summary,
        "p50_ratio": round(loaded_summary["p50_ms"] / idle_summary["p50_ms"], 2),
        "p95_ratio": round(loaded_summary["p95_ms"] / idle_summary["p95_ms"], 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--waiting", type=int, default=500)
    parser.add_argument("--limit", type=int, default=2, help="the busy tenant's concurrent_runs")
    parser.add_argument("--samples", type=int, default=20)
    parser.add_argument("--run-seconds", type=float, default=1.0)
    args = parser.parse_args()
    tenants = [{"id": BUSY, "limits": {"concurrent_runs": args.limit}}, {"id": QUIET}]
    env = tenants_env(
        tenants,
        LOCAL_ENGINE_LATENCY_SECONDS=str(args.run_seconds),
        RUN_POLL_INTERVAL_SECONDS="0.05",
    )
    with (
        tempfile.TemporaryDirectory(prefix="tenantry-run-limits-") as tmp,
        LocalDeployment(Path(tmp), workers=2, env=env) as live,
    ):
        figures = asyncio.run(measure(live, args.waiting, args.limit, args.samples))
    idle, loaded = figures["quiet_idle"], figures["quiet_beside_busy"]
    print(
        f"busy tenant: {figures['busy_runs_submitted']} runs, {args.limit} at once; "
        f"{figures['busy_runs_still_queued_of_newest_100_after']} of its newest 100 still queued "
        "after the measurement\n"
        f"quiet tenant's run, idle: p50 {idle['p50_ms']} ms, p95 {idle['p95_ms']} ms\n"  # type: ignore[index]
        f"quiet tenant's run, beside the busy one: p50 {loaded['p50_ms']} ms, "  # type: ignore[index]
        f"p95 {loaded['p95_ms']} ms (ratio p50 {figures['p50_ratio']}, p95 {figures['p95_ratio']})"  # type: ignore[index]
    )
    print(f"wrote {write_results('run_limits', figures)}")


if __name__ == "__main__":
    main()
