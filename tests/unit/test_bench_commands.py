"""Every benchmark command the README and bench/README.md print starts as printed.

A command is run with `--help` only (nothing is measured): what fails here is a command a
reader cannot run at all, such as a script run by path that imports `bench.` (it needs
`python -m bench.NAME`).
"""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DOCUMENTS = (ROOT / "README.md", ROOT / "bench" / "README.md")
COMMAND = re.compile(r"`((?:[A-Z_]+=\S+ )*\.venv/bin/python (?:-m bench\.\w+|bench/\w+\.py)[^`]*)`")


def documented() -> list[str]:
    """The benchmark commands of the documents, each once, without placeholders."""
    found: dict[str, None] = {}
    for document in DOCUMENTS:
        for command in COMMAND.findall(document.read_text()):
            found[re.sub(r"\s*\[[^\]]*\]", "", command)] = None
    return list(found)


def test_the_documents_print_benchmark_commands() -> None:
    assert len(documented()) >= 10


@pytest.mark.parametrize("command", documented())
def test_a_documented_benchmark_command_starts(command: str) -> None:
    words = shlex.split(command)
    env = dict(os.environ)
    while "=" in words[0]:
        name, value = words.pop(0).split("=", 1)
        env[name] = value
    program = [sys.executable, *words[1:3]] if words[1] == "-m" else [sys.executable, words[1]]
    done = subprocess.run(
        [*program, "--help"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr[-2000:]


def test_the_azure_cpu_benchmark_runs_its_commands_on_the_stub_transports() -> None:
    """Its stubs answer what the app asks of Service Bus and Cosmos DB; a new kind of request
    (a query, say) must get an answer, or the figure the README reports cannot be measured."""
    done = subprocess.run(
        [sys.executable, "-m", "bench.azure_cpu", "--commands", "20", "--rounds", "1"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert "us CPU per accepted command" in done.stdout
    assert "Traceback" not in done.stderr, done.stderr[-3000:]
