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
