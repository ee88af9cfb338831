"""The files each deployment uploads: the Functions package (.funcignore) and the ingress image's
build context (.dockerignore), from the repository's files as git lists them."""

from __future__ import annotations

import subprocess
import tomllib
from pathlib import Path

import pathspec

ROOT = Path(__file__).resolve().parents[2]


def repository_files() -> list[str]:
    """Tracked files and untracked ones git does not ignore (what a checkout holds)."""
    listed = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.splitlines()
    return sorted(path for path in listed if (ROOT / path).is_file())


def uploaded(ignore_file: str) -> list[str]:
    """The repository files an ignore file (gitignore syntax) lets through."""
    lines = (ROOT / ignore_file).read_text().splitlines()
    spec = pathspec.PathSpec.from_lines("gitignore", lines)
    return [path for path in repository_files() if not spec.match_file(path)]


def packages() -> list[str]:
    """The top-level packages pyproject.toml installs (its `packages.find.include`)."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())
    include: list[str] = project["tool"]["setuptools"]["packages"]["find"]["include"]
    return sorted(pattern.rstrip("*") for pattern in include)
