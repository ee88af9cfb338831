"""The README's tour, as written: its bash block runs against a live `tenantry up` and prints
the assistant's answer and the other tenant's 404; nothing in it hides an error (`curl -s`)."""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

import pytest

from cli.child import REPO
from cli.deployment import LocalDeployment

pytestmark = pytest.mark.slow

BLOCK = re.compile(r"<!-- tour:start -->\n```sh\n(.*?)```\n<!-- tour:end -->", re.DOTALL)


def _tour() -> str:
    found = BLOCK.search((REPO / "README.md").read_text())
    assert found, "README.md has no tour block"
    return found.group(1)


def test_the_tour_hides_no_error() -> None:
    tour = _tour()
    assert not re.search(r"curl[^\n]* -s\b", tour)
    assert "--fail-with-body" in tour


def test_the_readme_tour_runs_as_written(tmp_path: Path) -> None:
    tour = _tour()
    assert tour.startswith("API=http://127.0.0.1:8000\n")
    with LocalDeployment(tmp_path / "data", workers=1) as live:
        script = "set -euo pipefail\n" + tour.replace(
            "API=http://127.0.0.1:8000", f"API={live.url}", 1
        )
        # what `scripts/up` in this directory would be found by: its data directory
        env = os.environ | {"TENANTRY_DATA_DIR": str(live.data_dir)}
        done = subprocess.run(
            ["/bin/bash", "-c", script],
            cwd=REPO,
            env=env,
            capture_output=True,
            text=True,
            timeout=180,
        )
    assert done.returncode == 0, done.stdout + done.stderr
    assert f"202 Operation-Location: {live.url}/jobs/job_" in done.stderr
    lines = done.stdout.strip().splitlines()
    assert "refund policy" in lines[-2]
    assert lines[-1] == "404"
