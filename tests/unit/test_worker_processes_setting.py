"""`WORKER_PROCESSES` is the one truth for how many worker processes `tenantry up` starts."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

import cli.serve
from cli.main import app
from shared.settings import Settings


@pytest.mark.parametrize(
    ("environment", "arguments", "expected"),
    [
        ({}, [], 2),
        ({"WORKER_PROCESSES": "3"}, [], 3),
        ({"WORKER_PROCESSES": "3"}, ["--workers", "1"], 1),
    ],
)
def test_up_starts_the_worker_processes_the_setting_names_unless_told_otherwise(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    environment: dict[str, str],
    arguments: list[str],
    expected: int,
) -> None:
    started: list[int] = []

    def serve(settings: Settings, *, workers: int, **where: Any) -> Any:
        started.append(workers)

    monkeypatch.delenv("WORKER_PROCESSES", raising=False)
    monkeypatch.setattr(cli.serve, "serve", serve)
    result = CliRunner().invoke(
        app, ["up", "--data-dir", str(tmp_path), *arguments], env=environment
    )
    assert result.exit_code == 0, result.output
    assert started == [expected]
