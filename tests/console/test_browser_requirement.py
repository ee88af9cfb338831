"""Without Chromium the browser test skips on a workstation and fails in CI."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.console.browser import require_browser


@pytest.mark.parametrize("ci", ["true", "TRUE", "1"])
def test_a_missing_browser_fails_the_test_when_ci_is_true(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, ci: str
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.setenv("CI", ci)
    with pytest.raises(pytest.fail.Exception, match="scripts/browser"):
        require_browser()


@pytest.mark.parametrize("ci", ["", "false", "0"])
def test_a_missing_browser_skips_the_test_outside_ci(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, ci: str
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.setenv("CI", ci)
    with pytest.raises(pytest.skip.Exception):
        require_browser()
