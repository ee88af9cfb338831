"""`tenantry up` stops as one unit: a stop signal drains and ends every process of the
deployment before the parent exits, and a parent killed outright takes its children with it."""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

import httpx
import psutil
import pytest

from cli.deployment import LocalDeployment, LocalFleet

pytestmark = pytest.mark.slow

GRACE_SECONDS = 2.0
ENV = {**os.environ, "SHUTDOWN_GRACE_SECONDS": str(GRACE_SECONDS)}


def alive_in_group(group: int) -> list[psutil.Process]:
    """The live (not zombie) processes whose process group is `group`."""
    members = []
    for process in psutil.process_iter(["status"]):
        try:
            if os.getpgid(process.pid) == group and process.status() != psutil.STATUS_ZOMBIE:
                members.append(process)
        except (ProcessLookupError, psutil.NoSuchProcess):
            continue
    return members


def wait_until_gone(group: int, within: float) -> list[psutil.Process]:
    """Poll until no process of `group` is alive or `within` seconds pass; what is left."""
    deadline = time.monotonic() + within
    while (left := alive_in_group(group)) and time.monotonic() < deadline:
        time.sleep(0.05)
    return left


def children_started(root: int, expected: int, within: float = 30.0) -> list[psutil.Process]:
    deadline = time.monotonic() + within
    while len(children := psutil.Process(root).children()) < expected:
        assert time.monotonic() < deadline, f"only {len(children)} of {expected} children started"
        time.sleep(0.05)
    return children


def one_job_done(live: LocalDeployment) -> None:
    """Prove the deployment works end to end before stopping it."""
    auth = {"Authorization": f"Bearer {live.token('contoso')}", "Prefer": "wait=30"}
    response = httpx.post(f"{live.url}/cosmos/notes", headers=auth, json={"n": 1}, timeout=60)
    assert response.status_code == 201, response.text


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_a_stop_signal_drains_every_process_before_the_parent_exits(
    tmp_path: Path, sig: signal.Signals
) -> None:
    live = LocalDeployment(tmp_path, workers=2, ingress_processes=2, env=ENV).start()
    try:
        one_job_done(live)
        parent = live.pid
        assert parent is not None
        children = children_started(parent, expected=3)  # two workers, one extra ingress
        process = live._child.process
        assert process is not None
        process.send_signal(sig)
        code = process.wait(timeout=2 * GRACE_SECONDS + 30)
        assert code == 0, f"tenantry up ended with {code}, not a clean drain"
        # the parent waited for its children (multiprocessing's resource tracker, which
        # ends when it sees the parent's pipe close, may take a moment longer)
        left = wait_until_gone(parent, within=1.0)
        assert left == [], f"outlived a drained stop: {[p.cmdline() for p in left]}"
        assert all(not c.is_running() or c.status() == "zombie" for c in children)
    finally:
        live.stop()


def test_children_die_within_two_seconds_of_the_parent_being_killed(tmp_path: Path) -> None:
    live = LocalDeployment(tmp_path, workers=2, ingress_processes=2, env=ENV).start()
    try:
        one_job_done(live)
        parent = live.pid
        assert parent is not None
        assert len(children_started(parent, expected=3)) >= 3  # and the resource tracker
        live.kill()
        left = wait_until_gone(parent, within=2.0)
        assert left == [], f"outlived their parent: {[p.cmdline() for p in left]}"
    finally:
        live.stop(signal.SIGKILL)


def test_a_worker_fleet_dies_with_its_supervisor(tmp_path: Path) -> None:
    fleet = LocalFleet(tmp_path, ENV, processes=2).start()
    try:
        supervisor = fleet.pid
        assert supervisor is not None
        assert len(children_started(supervisor, expected=2)) >= 2
        assert fleet.process is not None
        fleet.process.kill()
        fleet.process.wait()
        left = wait_until_gone(supervisor, within=2.0)
        assert left == [], f"outlived their parent: {[p.cmdline() for p in left]}"
    finally:
        fleet.kill()
