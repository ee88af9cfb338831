"""Settings, read from the environment (and `.env`) by `load_settings()`, never at import."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """Everything tenantry reads from its environment; names as in the seed specification."""

    model_config = SettingsConfigDict(env_file=".env", extra="ignore", case_sensitive=False)

    data_dir: Path = Field(Path(".tenantry"), description="Where the embedded adapters keep data.")

    # Authentication (API.md)
    jwt_algorithm: Literal["RS256", "HS256"] = "RS256"
    jwt_secret_key: SecretStr | None = None
    jwt_jwks_url: str | None = None
    jwt_openid_config_url: str | None = None
    jwt_audience: str = "api://tenantry"
    jwt_issuer: str = "https://tenantry.local/"
    jwt_leeway_seconds: int = Field(30, ge=0, le=300)
    jwt_max_token_bytes: int = Field(16 * 1024, ge=1024)
    jwks_cache_seconds: int = Field(300, ge=1)
    jwks_refetch_cooldown_seconds: int = Field(60, ge=0)

    # Tenant registry
    tenants: str | None = Field(None, description="JSON list of tenants.")
    tenants_file: Path | None = None

    # Adapters
    bus_adapter: Literal["local", "azure"] = "local"
    store_adapter: Literal["local", "azure"] = "local"
    engine_adapter: Literal["local", "azure"] = "local"

    # Bus behaviour (local bus; Service Bus takes these from the entity)
    bus_lock_duration_seconds: float = Field(30.0, gt=0)
    bus_duplicate_window_seconds: float = Field(600.0, ge=0)
    bus_max_delivery_count: int = Field(10, ge=1)
    command_ttl_seconds: float = Field(14 * 24 * 3600.0, gt=0)

    # Ingress
    max_body_bytes: int = Field(1024 * 1024, ge=1024)
    prefer_wait_max_seconds: int = Field(60, ge=0, le=60)
    idempotency_retention_hours: int = Field(24, ge=24)

    # Workers
    worker_processes: int = Field(2, ge=0)
    worker_concurrency: int = Field(8, ge=1, description="Sessions served at once per process.")
    worker_batch_size: int = Field(16, ge=1, description="Messages taken per session turn.")
    handler_timeout_seconds: float = Field(120.0, gt=0)
    shutdown_grace_seconds: float = Field(20.0, ge=0)

    # Agent runs
    run_poll_interval_seconds: float = Field(0.2, gt=0)
    run_timeout_seconds: float = Field(600.0, gt=0)
    local_engine_latency_seconds: float = Field(0.0, ge=0)

    @property
    def bus_path(self) -> Path:
        return self.data_dir / "bus.sqlite3"

    @property
    def store_path(self) -> Path:
        return self.data_dir / "store.sqlite3"

    @property
    def engine_path(self) -> Path:
        return self.data_dir / "engine.sqlite3"


def load_settings(**overrides: object) -> Settings:
    """Read the settings now; keyword overrides win over the environment."""
    return Settings(**overrides)  # type: ignore[arg-type]
