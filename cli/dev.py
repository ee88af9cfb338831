"""Embedded defaults for running tenantry on one machine with nothing but Python."""

from __future__ import annotations

import json
import os
import secrets
from pathlib import Path
from typing import Any

from shared.settings import Settings, load_settings

DEFAULT_TENANTS = [
    {"id": "contoso", "name": "contoso", "display_name": "Contoso Ltd."},
    {"id": "fabrikam", "name": "fabrikam", "display_name": "Fabrikam Inc."},
    {"id": "northwind", "name": "northwind", "display_name": "Northwind Traders"},
]
REGISTRY_FILE = "tenants.json"
SECRET_FILE = "dev-secret"  # noqa: S105 - a file name, not a secret


def dev_secret(data_dir: Path) -> str:
    """The development HS256 secret kept in the data directory, made on first use (mode 0600)."""
    path = data_dir / SECRET_FILE
    if not path.exists():
        data_dir.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(secrets.token_urlsafe(48))
    return path.read_text().strip()


def has_dev_secret(data_dir: Path) -> bool:
    """Whether `data_dir` holds a development secret already (reading commands never make one)."""
    return (data_dir / SECRET_FILE).is_file()


def registry_path(data_dir: Path) -> Path:
    """The registry file `tenantry tenants` manages when `TENANTS_FILE` names none."""
    return data_dir / REGISTRY_FILE


def embedded_settings(
    data_dir: Path | None = None, *, make_secret: bool = True, **overrides: Any
) -> Settings:
    """The environment's settings, filled in with embedded defaults where it is silent.

    With no JWT key source configured, tokens are HS256 with a secret generated in the data
    directory; with no tenant registry, the tenants are those of `tenants.json` in the data
    directory (`tenantry tenants add` writes it) or, until it exists, contoso, fabrikam and
    northwind. `make_secret=False` (the commands that only read a deployment) uses the secret
    only if it is there already.
    """
    if data_dir is not None:
        overrides["data_dir"] = data_dir
    settings = load_settings(**overrides)
    fill: dict[str, Any] = {}
    if (
        settings.jwt_secret_key is None
        and not (settings.jwt_jwks_url or settings.jwt_openid_config_url)
        and (make_secret or has_dev_secret(settings.data_dir))
    ):
        fill["jwt_algorithm"] = "HS256"
        fill["jwt_secret_key"] = dev_secret(settings.data_dir)
    if not settings.tenants and not settings.tenants_file:
        managed = registry_path(settings.data_dir)
        if managed.exists():
            fill["tenants_file"] = managed
        else:
            fill["tenants"] = json.dumps(DEFAULT_TENANTS)
    return load_settings(**overrides, **fill) if fill else settings
