"""What an operator copies from a listing is there whole: `dlq list` never cuts a dead letter's
id, at any terminal width, and `replay --dry-run` lists each command it would send."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cli.main import app
from shared.queues import COMMANDS
from tests.harness import running, settings_for
from tests.unit.test_dlq_cli import dead_letters


def _run(columns: int, *args: str) -> str:
    result = CliRunner().invoke(app, list(args), env={"COLUMNS": str(columns)})
    assert result.exit_code == 0, result.output
    return result.output


@pytest.mark.parametrize("columns", [40, 60, 80, 120, 200])
def test_dlq_list_shows_every_id_whole_at_any_width(tmp_path: Path, columns: int) -> None:
    asyncio.run(dead_letters(tmp_path, 12))
    output = _run(columns, "dlq", "list", "--data-dir", str(tmp_path))
    cells = {cell.strip() for line in output.splitlines() for cell in line.split("│")}
    assert {f"{COMMANDS}:{n}" for n in range(1, 13)} <= cells


@pytest.mark.parametrize("columns", [40, 120])
async def test_replay_dry_run_lists_the_commands_it_would_send(
    tmp_path: Path, columns: int
) -> None:
    async with running(settings_for(tmp_path), workers=False) as harness:
        job_ids = []
        for body in ({"n": 1}, {"n": 2}):
            accepted = await harness.client.post(
                "/cosmos/notes", headers=harness.auth("contoso"), json=body
            )
            job_ids.append(accepted.json()["id"])
        args = ("replay", "--tenant", "contoso", "--dry-run", "--data-dir", str(tmp_path))
        output = await asyncio.to_thread(_run, columns, *args)
    cells = {cell.strip() for line in output.splitlines() for cell in line.split("│")}
    assert set(job_ids) <= cells
    if columns >= 80:
        assert "item.create" in cells
    assert "2 command(s) of contoso would be re-enqueued." in " ".join(output.split())
