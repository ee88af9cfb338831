"""Ingress throughput and latency against the floor, measured side by side with wrk.

The floor is a bare FastAPI endpoint answering 202 (`bench/floor_app.py`) under the same
uvicorn settings (one process, uvloop, httptools, no access log). tenantry runs as
`tenantry up --workers 0`, so only the ingress competes with wrk for the two cores; every
accepted command is still verified, stamped, committed to the bus and recorded as a job.

Besides requests per second it reports the server's CPU time per request (every process of the
server, user and system, read from /proc before and after each run): on a machine busy with
other work, throughput falls with whatever else runs, while CPU per request moves much less,
so the ratio of the two servers' CPU per request is the steadier figure of their cost.

    .venv/bin/python -m bench.ingress_bench --seconds 10 --connections 1 16 64
    .venv/bin/python -m bench.ingress_bench --seconds 10 --connections 16 --ingress-processes 2
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
import psutil

from bench.load import LOAD_LIMITS
from cli.deployment import LocalDeployment, free_port

LUA = """
wrk.method = "POST"
wrk.body = '{"note": "benchmark", "n": 1}'
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer %s"
"""


def run_wrk(url: str, token: str, connections: int, seconds: int) -> dict[str, float]:
    """One wrk run; requests per second and latency percentiles in milliseconds."""
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(LUA % token)
    threads = min(2, connections)
    out = subprocess.run(
        [
            "wrk",
            "-t",
            str(threads),
            "-c",
            str(connections),
            "-d",
            f"{seconds}s",
            "--latency",
            "-s",
            script.name,
            f"{url}/cosmos/bench",
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    os.unlink(script.name)
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    rps = re.search(r"Requests/sec:\s+([\d.]+)", out)
    assert rps, out
    figures = {"rps": float(rps.group(1))}
    for pct in ("50", "99"):
        match = re.search(rf"\s{pct}%\s+([\d.]+)(us|ms|s)", out)
        assert match, out
        value, unit = float(match.group(1)), match.group(2)
        scale = {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]
        figures[f"p{pct}_ms"] = value * scale
    figures["errors"] = float(non_2xx.group(1)) if non_2xx else 0.0
    return figures


def cpu_seconds(pid: int) -> float:
    """User and system CPU time of the process `pid` and of every process below it."""
    root = psutil.Process(pid)
    total = 0.0
    for process in [root, *root.children(recursive=True)]:
        try:
            times = process.cpu_times()
        except psutil.NoSuchProcess:
            continue
        total += times.user + times.system
    return total


def measured(pid: int, url: str, token: str, connections: int, seconds: int) -> dict[str, float]:
    """One wrk run, with the server's CPU microseconds per completed request."""
    before = cpu_seconds(pid)
    figures = run_wrk(url, token, connections, seconds)
    spent = cpu_seconds(pid) - before
    figures["cpu_us_per_request"] = spent / max(figures["rps"] * seconds, 1.0) * 1e6
    return figures


def start_floor(processes: int = 1) -> tuple[subprocess.Popen[bytes], str]:
    """The floor app on a free port, with `processes` uvicorn worker processes."""
    port = free_port()
    workers = ["--workers", str(processes)] if processes > 1 else []
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "bench.floor_app:app",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--no-access-log",
            "--log-level",
            "warning",
            *workers,
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    for _ in range(100):
        try:
            httpx.get(f"{url}/docs", timeout=1)
            return process, url
        except httpx.TransportError:
            time.sleep(0.1)
    raise RuntimeError("the floor app did not start")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--connections", type=int, nargs="+", default=[1, 16, 64])
    parser.add_argument(
        "--ingress-processes",
        type=int,
        default=1,
        help="tenantry's ingress processes; the floor runs with as many uvicorn workers",
    )
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is needed: apt-get install wrk")
    results: dict[str, dict[str, dict[str, float]]] = {"floor": {}, "tenantry": {}}
    floor, floor_url = start_floor(args.ingress_processes)
    try:
        for c in args.connections:
            results["floor"][str(c)] = measured(floor.pid, floor_url, "none", c, args.seconds)
    finally:
        floor.terminate()
        floor.wait()
    with (
        tempfile.TemporaryDirectory(prefix="tenantry-ingress-") as tmp,
        LocalDeployment(
            Path(tmp), workers=0, env=LOAD_LIMITS, ingress_processes=args.ingress_processes
        ) as live,
    ):
        token = live.token("contoso")
        assert live.pid is not None
        for c in args.connections:
            results["tenantry"][str(c)] = measured(live.pid, live.url, token, c, args.seconds)
    print(
        f"{'clients':>8} {'floor rps':>10} {'tenantry rps':>13} {'ratio':>6} "
        f"{'p50 ms':>14} {'p99 ms':>14} {'CPU us/request':>16} {'ratio':>6}"
    )
    for c in args.connections:
        f, t = results["floor"][str(c)], results["tenantry"][str(c)]
        fc, tc = f["cpu_us_per_request"], t["cpu_us_per_request"]
        print(
            f"{c:>8} {f['rps']:>10.0f} {t['rps']:>13.0f} {t['rps'] / f['rps']:>6.2f} "
            f"{f['p50_ms']:>6.2f}/{t['p50_ms']:<7.2f} {f['p99_ms']:>6.2f}/{t['p99_ms']:<7.2f} "
            f"{fc:>7.0f}/{tc:<8.0f} {fc / tc:>6.2f}"
        )
    out = Path("bench/results")
    out.mkdir(parents=True, exist_ok=True)
    name = (
        "ingress.json" if args.ingress_processes == 1 else f"ingress-{args.ingress_processes}p.json"
    )
    (out / name).write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
