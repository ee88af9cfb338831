"""Live run streams at rest: what 1,000 open `GET .../runs/{id}/events` cost one ingress process.

One `tenantry up` (one worker process, runs that take a day, so they stay in progress), ten
runs, then N server-sent-event streams spread over them, held open by this process. The
ingress process (`tenantry up` serves the ingress itself) is measured twice over the same
quiet interval: before the streams open (the reference) and once all of them have received
their first events. Reported: its resident memory and CPU share at rest in both, the memory
per stream, and the CPU ratio. The streams share one watcher per process (`ingress.event_hub`):
one store read per tenant per tick, not one per stream.

Not a test: nothing here asserts a figure.

    .venv/bin/python -m bench.run_streams --streams 1000 --rest 10
"""

from __future__ import annotations

import argparse
import asyncio
import os
import tempfile
import time
from pathlib import Path

import httpx

from bench.load import tenants_env, write_results
from cli.deployment import LocalDeployment

TENANT = "contoso"
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    """User plus system time of the process so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


def resident_mib(pid: int) -> float:
    """The process's resident memory now."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS")


async def at_rest(pid: int, seconds: float) -> tuple[float, float]:
    """CPU share (percent of one core) over `seconds`, and resident memory after."""
    before, start = cpu_seconds(pid), time.monotonic()
    await asyncio.sleep(seconds)
    used, spent = cpu_seconds(pid) - before, time.monotonic() - start
    return 100 * used / spent, resident_mib(pid)


async def start_runs(client: httpx.AsyncClient, runs: int) -> list[str]:
    """`runs` runs in progress; their event paths."""
    wait = {"Prefer": "wait=60"}
    agent = (await client.post("/agents/", json={"name": "bench"}, headers=wait)).json()
    paths = []
    for _ in range(runs):
        thread = (await client.post("/agents/threads", json={}, headers=wait)).json()
        said = f"/agents/threads/{thread['id']}/messages"
        await client.post(said, json={"content": "Hello?"}, headers=wait)
        job = await client.post(
            f"/agents/threads/{thread['id']}/runs", json={"agent_id": agent["id"]}
        )
        job_id = job.json()["id"]
        while "result" not in (found := (await client.get(f"/jobs/{job_id}")).json()):
            await asyncio.sleep(0.05)
        paths.append(f"/agents/threads/{thread['id']}/runs/{found['result']['id']}/events")
    return paths


async def hold(client: httpx.AsyncClient, path: str, opened: asyncio.Event) -> None:
    """Open a stream and keep reading it; `opened` once its first event came."""
    async with client.stream("GET", path) as response:
        response.raise_for_status()
        async for line in response.aiter_lines():
            if line.startswith("event:"):
                opened.set()


async def measure(
    url: str, token: str, pid: int, streams: int, runs: int, rest: float
) -> dict[str, float]:
    limits = httpx.Limits(max_connections=streams + 50, max_keepalive_connections=streams + 50)
    headers = {"Authorization": f"Bearer {token}"}
    async with httpx.AsyncClient(
        base_url=url, headers=headers, limits=limits, timeout=httpx.Timeout(60, read=None)
    ) as client:
        paths = await start_runs(client, runs)
        await asyncio.sleep(2)
        idle_cpu, idle_rss = await at_rest(pid, rest)
        opened = [asyncio.Event() for _ in range(streams)]
        started = time.monotonic()
        tasks = [
            asyncio.create_task(hold(client, paths[n % runs], opened[n])) for n in range(streams)
        ]
        await asyncio.gather(*(event.wait() for event in opened))
        established = time.monotonic() - started
        await asyncio.sleep(2)
        busy_cpu, busy_rss = await at_rest(pid, rest)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
    return {
        "streams": streams,
        "seconds_to_open_all": round(established, 2),
        "rss_mib_reference": round(idle_rss, 1),
        "rss_mib_streams": round(busy_rss, 1),
        "rss_kib_per_stream": round((busy_rss - idle_rss) * 1024 / streams, 1),
        "cpu_percent_reference": round(idle_cpu, 2),
        "cpu_percent_streams": round(busy_cpu, 2),
        "cpu_ratio": round(busy_cpu / idle_cpu, 2) if idle_cpu else float("nan"),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--streams", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--rest", type=float, default=10.0, help="seconds measured at rest")
    args = parser.parse_args()
    env = tenants_env([{"id": TENANT}], LOCAL_ENGINE_LATENCY_SECONDS="86400")
    with (
        tempfile.TemporaryDirectory(prefix="tenantry-streams-") as tmp,
        LocalDeployment(Path(tmp), workers=1, env=env) as live,
    ):
        assert live.pid is not None
        figures = asyncio.run(
            measure(live.url, live.token(TENANT), live.pid, args.streams, args.runs, args.rest)
        )
    print(
        f"{figures['streams']} streams open in {figures['seconds_to_open_all']} s\n"
        f"ingress resident memory: {figures['rss_mib_reference']} MiB without streams, "
        f"{figures['rss_mib_streams']} MiB with them ({figures['rss_kib_per_stream']} KiB each)\n"
        f"ingress CPU at rest: {figures['cpu_percent_reference']} % of a core without streams, "
        f"{figures['cpu_percent_streams']} % with them (ratio {figures['cpu_ratio']})"
    )
    print(f"wrote {write_results('run_streams', figures)}")


if __name__ == "__main__":
    main()
