"""End-to-end throughput: commands from many tenants, submitted over HTTP, to Succeeded.

Starts a `tenantry up` on embedded defaults (ingress + N worker processes), submits item
creations from T tenants with an aiohttp client, and reads the store until every job ended.
Prints figures and writes JSON to bench/results/. Not a test: nothing here asserts a time.

    .venv/bin/python -m bench.e2e_throughput --tenants 100 --commands 3000 --workers 2
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sqlite3
import tempfile
import time
from pathlib import Path

import aiohttp

from bench.load import LOAD_LIMITS
from cli.deployment import LocalDeployment


def _fleet_peak_rss_kib(root_pid: int, field: str = "VmHWM") -> int:
    """Sum of the peak resident sizes (VmHWM; VmRSS: now) of the deployment's processes."""
    total = 0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            status = (entry / "status").read_text()
        except OSError:
            continue
        fields = dict(line.split(":", 1) for line in status.splitlines() if ":" in line)
        if int(fields.get("PPid", "0").strip()) == root_pid or int(entry.name) == root_pid:
            total += int(fields.get(field, "0 kB").split()[0])
    return total


def _ended(store: Path) -> int:
    with sqlite3.connect(f"file:{store}?mode=ro", uri=True) as conn:
        row = conn.execute(
            "SELECT count(*) FROM documents WHERE collection='jobs' AND "
            "json_extract(body, '$.status') IN ('Succeeded', 'Failed')"
        ).fetchone()
    return int(row[0])


async def _submit(url: str, tokens: list[str], commands: int, concurrency: int) -> float:
    queue: asyncio.Queue[int] = asyncio.Queue()
    for i in range(commands):
        queue.put_nowait(i)
    errors = 0

    async def client(session: aiohttp.ClientSession) -> None:
        nonlocal errors
        while not queue.empty():
            i = queue.get_nowait()
            headers = {"Authorization": f"Bearer {tokens[i % len(tokens)]}"}
            async with session.post(f"{url}/cosmos/bench", json={"n": i}, headers=headers) as r:
                if r.status != 202:
                    errors += 1
                await r.read()

    started = time.perf_counter()
    async with aiohttp.ClientSession() as session:
        await asyncio.gather(*(client(session) for _ in range(concurrency)))
    if errors:
        raise SystemExit(f"{errors} submissions were not accepted")
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--tenants", type=int, default=100)
    parser.add_argument("--commands", type=int, default=3000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--ingress-processes", type=int, default=1)
    args = parser.parse_args()
    tenants = [{"id": f"t{i:04d}"} for i in range(args.tenants)]
    with tempfile.TemporaryDirectory(prefix="tenantry-bench-") as tmp:
        env = {"TENANTS": json.dumps(tenants), **LOAD_LIMITS}
        with LocalDeployment(
            Path(tmp), workers=args.workers, ingress_processes=args.ingress_processes, env=env
        ) as live:
            assert live.pid is not None
            time.sleep(2.0)  # every process has started and settled
            rest_kib = _fleet_peak_rss_kib(live.pid, "VmRSS")
            tokens = [live.token(t["id"]) for t in tenants]
            started = time.perf_counter()
            submit_seconds = asyncio.run(_submit(live.url, tokens, args.commands, args.concurrency))
            store = Path(tmp) / "store.sqlite3"
            while _ended(store) < args.commands:
                time.sleep(0.05)
            total = time.perf_counter() - started
            assert live.pid is not None
            peak_kib = _fleet_peak_rss_kib(live.pid)
    figures = {
        "tenants": args.tenants,
        "commands": args.commands,
        "workers": args.workers,
        "ingress_processes": args.ingress_processes,
        "submit_per_second": round(args.commands / submit_seconds, 1),
        "end_to_end_jobs_per_second": round(args.commands / total, 1),
        "seconds": round(total, 2),
        "rest_rss_mib_all_processes": round(rest_kib / 1024, 1),
        "peak_rss_mib_all_processes": round(peak_kib / 1024, 1),
        "cpus": os.cpu_count(),
    }
    out = Path("bench/results")
    out.mkdir(parents=True, exist_ok=True)
    name = "e2e_throughput" + (f"-{args.ingress_processes}p" if args.ingress_processes > 1 else "")
    (out / f"{name}.json").write_text(json.dumps(figures, indent=2))
    for key, value in figures.items():
        print(f"{key:>32}: {value}")


if __name__ == "__main__":
    main()
