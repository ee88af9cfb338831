"""Latency on an idle system: submit to 202, to Succeeded, and to the webhook received.

One run: a `tenantry up` (2 worker processes) with a tenant whose webhook endpoint is a local
aiohttp receiver (`WEBHOOK_ALLOW_HOSTS=127.0.0.1`, plain http allowed), and the floor of
`bench/ingress_bench.py` (a bare FastAPI endpoint answering 202 under the same uvicorn
settings) as the reference for the synchronous part. Commands are item creations sent one at
a time: each waits for its webhook and its job's end before the next, so the system is idle
when each is submitted. Times are from the client's clock before the request: the 202, the
job's `lastUpdatedDateTime` when it turned Succeeded, the receiver's clock on arrival. Then
the same commands with `Prefer: wait=10`: the round trip, and how long after the job ended
(its `lastUpdatedDateTime`) the synchronous answer arrived.

Prints p50/p95 of each and writes bench/results/latency.json. Not a test: nothing here asserts
a time.

    .venv/bin/python -m bench.latency --samples 200
"""

from __future__ import annotations

import argparse
import asyncio
import json
import tempfile
import time
from pathlib import Path

from aiohttp import web

from bench.ingress_bench import start_floor
from bench.load import Client, Store, summary_ms, tenants_env, write_results
from cli.deployment import LocalDeployment, free_port

TENANT = "contoso"


class Receiver:
    """A webhook receiver: when each job's `job.succeeded` event arrived."""

    def __init__(self) -> None:
        self.arrived: dict[str, float] = {}
        self._waiting: dict[str, asyncio.Future[float]] = {}
        self.port = free_port()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hook"

    async def _hook(self, request: web.Request) -> web.Response:
        at = time.time()
        event = json.loads(await request.read())
        job_id = event["data"]["jobId"]
        self.arrived.setdefault(job_id, at)
        waiter = self._waiting.pop(job_id, None)
        if waiter is not None and not waiter.done():
            waiter.set_result(at)
        return web.Response(status=204)

    async def arrival(self, job_id: str, timeout: float = 30) -> float:
        """When the job's event arrived (waiting for it if it has not yet)."""
        if job_id in self.arrived:
            return self.arrived[job_id]
        waiter = self._waiting.setdefault(job_id, asyncio.get_running_loop().create_future())
        return await asyncio.wait_for(waiter, timeout)

    async def start(self) -> web.AppRunner:
        app = web.Application()
        app.router.add_post("/hook", self._hook)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        await web.TCPSite(runner, "127.0.0.1", self.port).start()
        return runner


async def _floor(samples: int) -> list[float]:
    floor, url = start_floor()
    try:
        async with Client(url, {"floor": "none"}) as client:
            return [
                (await client.submit("floor", "/cosmos/bench", {"n": n})).accepted_after
                for n in range(samples)
            ]
    finally:
        floor.terminate()
        floor.wait()


async def _tenantry(samples: int, data_dir: Path) -> dict[str, list[float]]:
    env = tenants_env(
        [{"id": TENANT}], WEBHOOK_ALLOW_HOSTS="127.0.0.1", WEBHOOK_REQUIRE_HTTPS="false"
    )
    store = Store(data_dir)
    receiver = Receiver()
    runner = await receiver.start()
    times: dict[str, list[float]] = {
        "accepted": [],
        "succeeded": [],
        "webhook": [],
        "waited": [],
        "after_end": [],
    }
    try:
        with LocalDeployment(data_dir, workers=2, env=env) as live:
            async with Client(live.url, {TENANT: live.token(TENANT)}) as client:
                status, hook = await client.call(
                    TENANT, "POST", "/webhooks", {"url": receiver.url, "events": ["job.succeeded"]}
                )
                if status != 201:
                    raise SystemExit(f"POST /webhooks answered {status}: {hook}")
                for n in range(-3, samples):  # three to warm every process up
                    sent = await client.submit(TENANT, "/cosmos/bench", {"n": n})
                    hooked = await receiver.arrival(sent.job_id)
                    ended = (await store.wait_for([sent.job_id], poll=0.005))[sent.job_id]
                    if ended.status != "Succeeded":
                        raise SystemExit(f"job {sent.job_id} ended {ended.status}")
                    if n >= 0:
                        times["accepted"].append(sent.accepted_after)
                        times["succeeded"].append(ended.ended_at - sent.sent_at)
                        times["webhook"].append(hooked - sent.sent_at)
                    await asyncio.sleep(0.02)
                for n in range(-3, samples):  # the same with `Prefer: wait`: one round trip
                    sent_at = time.time()
                    status, _ = await client.call(
                        TENANT, "POST", "/cosmos/bench", {"n": n}, Prefer="wait=10"
                    )
                    answered_at = time.time()
                    if status != 201:
                        raise SystemExit(f"POST with Prefer: wait answered {status}")
                    ended_at = await asyncio.to_thread(store.last_job_end, TENANT)
                    if n >= 0:
                        times["waited"].append(answered_at - sent_at)
                        times["after_end"].append(max(answered_at - ended_at, 0.0))
                    await asyncio.sleep(0.02)
    finally:
        await runner.cleanup()
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--samples", type=int, default=200)
    args = parser.parse_args()
    floor = asyncio.run(_floor(args.samples))
    with tempfile.TemporaryDirectory(prefix="tenantry-latency-") as tmp:
        times = asyncio.run(_tenantry(args.samples, Path(tmp)))
    figures = {
        "samples": args.samples,
        "floor_accepted": summary_ms(floor),
        "accepted": summary_ms(times["accepted"]),
        "submit_to_succeeded": summary_ms(times["succeeded"]),
        "submit_to_webhook": summary_ms(times["webhook"]),
        "prefer_wait_answered": summary_ms(times["waited"]),
        "prefer_wait_after_job_end": summary_ms(times["after_end"]),
    }
    write_results("latency", figures)
    print(f"{'idle system, ms':>30} {'p50':>7} {'p95':>7} {'max':>7}")
    for name, key in (
        ("floor: 202 answered", "floor_accepted"),
        ("tenantry: 202 answered", "accepted"),
        ("submit -> Succeeded", "submit_to_succeeded"),
        ("submit -> webhook received", "submit_to_webhook"),
        ("Prefer: wait, answered", "prefer_wait_answered"),
        ("Prefer: wait, after job end", "prefer_wait_after_job_end"),
    ):
        row = figures[key]
        assert isinstance(row, dict)
        print(f"{name:>30} {row['p50_ms']:>7} {row['p95_ms']:>7} {row['max_ms']:>7}")


if __name__ == "__main__":
    main()
