"""The emulator suites skip where Node or the packages are missing, except in CI."""

from __future__ import annotations

import pytest

from tests.emulators import unavailable


def test_a_missing_emulator_skips_with_its_reason_outside_ci(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception, match="azurite is not installed"):
        unavailable("azurite is not installed: run scripts/emulators")


def test_a_missing_emulator_fails_the_run_in_ci(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="required in CI"):
        unavailable("azurite is not installed: run scripts/emulators")


def test_the_emulators_folder_is_installed_not_tracked() -> None:
    """A tracked `.emulators` (a worktree's symlink, committed) replaces the installed emulators
    on checkout and breaks `scripts/emulators` in a fresh clone: it must stay git-ignored."""
    import subprocess
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    if not (root / ".git").exists():
        return  # not a git checkout (an sdist, say): nothing is tracked
    tracked = subprocess.run(
        ["git", "-C", str(root), "ls-files", "--", ".emulators", ".tools"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    assert tracked == []
