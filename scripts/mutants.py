"""Apply each mutant of the catalogue in turn to a temporary copy of the tree, run the tests that
must catch it, and fail naming every mutant that survives (the tree itself is never changed).

usage: scripts/mutants [--only TEXT] [--list]
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from mutants_catalogue import CATALOGUE, Mutant

ROOT = Path(__file__).resolve().parents[1]
SKIPPED = {".git", ".venv", ".emulators", ".tools", "node_modules", ".tenantry", "__pycache__"}
SKIPPED_SUFFIXES = ("_cache",)
TEST_TIMEOUT_SECONDS = 600


@dataclass(frozen=True)
class Verdict:
    """What became of one mutant."""

    mutant: Mutant
    outcome: str  # killed | survived | error
    seconds: float
    detail: str = ""


def copy_tree(source: Path, target: Path) -> None:
    """The working tree (uncommitted changes included), without environments and caches."""

    def ignored(_: str, names: list[str]) -> list[str]:
        return [n for n in names if n in SKIPPED or n.endswith(SKIPPED_SUFFIXES)]

    shutil.copytree(source, target, ignore=ignored, symlinks=True)


def pytest_env(tree: Path) -> dict[str, str]:
    """The copy first on the import path, ahead of the editable install of the real tree."""
    return {**os.environ, "PYTHONPATH": str(tree), "PYTHONDONTWRITEBYTECODE": "1"}


def run_tests(tree: Path, args: Sequence[str]) -> subprocess.CompletedProcess[str]:
    """pytest on `args` in `tree`, stopping at the first failure."""
    command = [sys.executable, "-m", "pytest", "-x", "-q", "-p", "no:cacheprovider", *args]
    return subprocess.run(  # noqa: S603 - our own interpreter and test ids
        command,
        cwd=tree,
        env=pytest_env(tree),
        capture_output=True,
        text=True,
        timeout=TEST_TIMEOUT_SECONDS,
        check=False,
    )


def check_imports_from(tree: Path) -> None:
    """Refuse to run if the copy's modules would not be the ones imported."""
    probe = subprocess.run(
        [sys.executable, "-c", "import shared; print(shared.__file__)"],
        cwd=tree,
        env=pytest_env(tree),
        capture_output=True,
        text=True,
        check=True,
    )
    if not Path(probe.stdout.strip()).resolve().is_relative_to(tree.resolve()):
        raise SystemExit(f"the copy is not what Python imports: {probe.stdout.strip()}")


def last_line(process: subprocess.CompletedProcess[str]) -> str:
    lines = (process.stdout + process.stderr).strip().splitlines()
    return lines[-1] if lines else f"exit {process.returncode}"


def judge(tree: Path, mutant: Mutant) -> Verdict:
    """Apply `mutant` to `tree`, run its tests, put the file back."""
    started = time.monotonic()
    path = tree / mutant.path
    original = path.read_text()
    found = original.count(mutant.old)
    if found != 1:
        return Verdict(mutant, "error", 0.0, f"its snippet occurs {found} times in {mutant.path}")
    path.write_text(original.replace(mutant.old, mutant.new))
    try:
        result = run_tests(tree, mutant.tests)
    except subprocess.TimeoutExpired:
        return Verdict(mutant, "killed", time.monotonic() - started, "tests timed out")
    finally:
        path.write_text(original)
    elapsed = time.monotonic() - started
    if result.returncode == 1:  # tests ran and at least one failed
        return Verdict(mutant, "killed", elapsed)
    if result.returncode == 0:
        return Verdict(mutant, "survived", elapsed, last_line(result))
    return Verdict(mutant, "error", elapsed, last_line(result))


def baseline(tree: Path, mutants: Sequence[Mutant]) -> str | None:
    """Every named test passes on the unmutated copy (else a kill would mean nothing): one
    pytest run over all of them."""
    named = list(dict.fromkeys(arg for mutant in mutants for arg in mutant.tests))
    result = run_tests(tree, named)
    if result.returncode != 0:
        return f"the named tests fail without any mutant: {last_line(result)}"
    return None


def run(mutants: Sequence[Mutant], source: Path = ROOT) -> list[Verdict]:
    """Judge every mutant on one temporary copy of `source`; the copy is removed after."""
    with tempfile.TemporaryDirectory(prefix="tenantry-mutants-") as scratch:
        tree = Path(scratch) / "tree"
        copy_tree(source, tree)
        check_imports_from(tree)
        broken = baseline(tree, mutants)
        if broken is not None:
            raise SystemExit(f"baseline: {broken}")
        verdicts = []
        for mutant in mutants:
            verdict = judge(tree, mutant)
            print(f"{verdict.outcome:8} {verdict.seconds:6.1f} s  {mutant.name}", flush=True)
            verdicts.append(verdict)
        return verdicts


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--only", help="only the mutants whose name contains this text")
    parser.add_argument("--list", action="store_true", help="list the catalogue and stop")
    options = parser.parse_args(argv)
    chosen = [m for m in CATALOGUE if options.only is None or options.only in m.name]
    if options.list:
        for mutant in chosen:
            print(f"{mutant.name}  ({mutant.path})")
        return 0
    started = time.monotonic()
    verdicts = run(chosen)
    bad = [v for v in verdicts if v.outcome != "killed"]
    for verdict in bad:
        print(f"{verdict.outcome.upper()}: {verdict.mutant.name} ({verdict.detail})", flush=True)
    killed = len(verdicts) - len(bad)
    print(f"{killed} of {len(verdicts)} mutants killed in {time.monotonic() - started:.0f} s")
    return 1 if bad else 0


if __name__ == "__main__":
    raise SystemExit(main())
