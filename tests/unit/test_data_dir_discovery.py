"""The CLI finds its data directory (`--data-dir`, `TENANTRY_DATA_DIR`, the nearest `.tenantry`
here or above), and the commands that only read a deployment never make one: they say where they
looked, and exit 2, so no second development secret ever appears to break later tokens."""

from __future__ import annotations

from pathlib import Path

import jwt
import pytest
from typer.testing import CliRunner

from cli.dev import dev_secret
from cli.main import app

READERS = [
    ("token", "--tenant", "contoso"),
    ("dlq", "list"),
    ("dlq", "replay", "--dry-run"),
    ("replay", "--tenant", "contoso", "--dry-run"),
    ("audit",),
]


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """A working directory with no deployment above it and no tenantry settings."""
    for name in ("TENANTRY_DATA_DIR", "DATA_DIR", "JWT_SECRET_KEY", "TENANTS", "TENANTS_FILE"):
        monkeypatch.delenv(name, raising=False)
    home = tmp_path / "work"
    home.mkdir()
    monkeypatch.chdir(home)
    return home


def _run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, list(args), env={"COLUMNS": "200"})
    return result.exit_code, result.output


def _everything_under(root: Path) -> list[Path]:
    return sorted(root.rglob("*"))


@pytest.mark.parametrize("command", READERS, ids=[" ".join(c) for c in READERS])
def test_a_reading_command_without_a_deployment_makes_nothing_and_says_where_it_looked(
    command: tuple[str, ...], clean_env: Path
) -> None:
    before = _everything_under(clean_env.parent)
    code, output = _run(*command)
    assert code == 2, output
    assert "No tenantry data directory found" in output
    assert "TENANTRY_DATA_DIR (unset)" in output
    assert str(clean_env / ".tenantry") in output
    assert _everything_under(clean_env.parent) == before


@pytest.mark.parametrize("command", READERS, ids=[" ".join(c) for c in READERS])
def test_a_reading_command_given_a_missing_directory_does_not_create_it(
    command: tuple[str, ...], clean_env: Path
) -> None:
    missing = clean_env / "nowhere"
    code, output = _run(*command, "--data-dir", str(missing))
    assert code == 2, output
    assert f"--data-dir {missing}" in output
    assert not missing.exists()


def test_the_nearest_tenantry_above_the_working_directory_is_found(
    clean_env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    secret = dev_secret(clean_env / ".tenantry")  # what `tenantry up` made here
    deeper = clean_env / "src" / "pkg"
    deeper.mkdir(parents=True)
    monkeypatch.chdir(deeper)
    code, token = _run("token", "--tenant", "contoso")
    assert code == 0, token
    claims = jwt.decode(token.strip(), secret, algorithms=["HS256"], options={"verify_aud": False})
    assert claims["extension_tenantId"] == "contoso"
    assert not (deeper / ".tenantry").exists()


def test_tenantry_data_dir_wins_over_the_nearest_directory(
    clean_env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    dev_secret(clean_env / ".tenantry")
    elsewhere = clean_env.parent / "deployment"
    secret = dev_secret(elsewhere)
    monkeypatch.setenv("TENANTRY_DATA_DIR", str(elsewhere))
    code, token = _run("token", "--tenant", "fabrikam")
    assert code == 0, token
    jwt.decode(token.strip(), secret, algorithms=["HS256"], options={"verify_aud": False})


def test_a_directory_without_a_development_secret_issues_no_token(clean_env: Path) -> None:
    (clean_env / ".tenantry").mkdir()
    code, output = _run("token", "--tenant", "contoso")
    assert code == 2
    assert "no development secret" in output
    assert not (clean_env / ".tenantry" / "dev-secret").exists()
