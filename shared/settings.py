"""Settings, read from the environment (and `.env`) by `load_settings()`, never at import."""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar, Literal, overload

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


class DataFile:
    """A file or folder of the local adapters under `data_dir`, read as a settings attribute."""

    def __init__(self, name: str) -> None:
        self.name = name

    @overload
    def __get__(self, settings: None, owner: type[Settings]) -> DataFile: ...

    @overload
    def __get__(self, settings: Settings, owner: type[Settings]) -> Path: ...

    def __get__(self, settings: Settings | None, owner: type[Settings]) -> DataFile | Path:
        return self if settings is None else settings.data_dir / self.name


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
    blob_adapter: Literal["local", "azure"] = "local"
    search_adapter: Literal["local", "azure"] = "local"
    secrets_adapter: Literal["local", "azure"] = "local"

    # Azure (read only by the azure adapters; see .env.example and the README's Azure section)
    credentials: Literal["default", "managed_identity"] = Field(
        "default",
        description="The shared identity: DefaultAzureCredential (development) or the "
        "managed identity of the host (production).",
    )
    managed_identity_client_id: str | None = Field(
        None, description="Client id of a user-assigned shared identity; unset: system-assigned."
    )
    azure_authority_host: str = "https://login.microsoftonline.com"
    servicebus_namespace: str | None = Field(
        None, description="Fully qualified, e.g. tenantry.servicebus.windows.net."
    )
    servicebus_connection_string: SecretStr | None = None
    cosmos_endpoint: str | None = None
    cosmos_key: SecretStr | None = None
    cosmos_database: str = "tenantry"
    blob_account_url: str | None = None
    blob_account_key: SecretStr | None = Field(
        None, description="Signs account-key SAS (Azurite, development); unset: user delegation."
    )
    blob_sas_minutes: int = Field(15, ge=1, le=24 * 60)
    search_endpoint: str | None = None
    search_api_key: SecretStr | None = None
    search_index: str = "tenantry"
    search_vector_dimensions: int = Field(1536, ge=2, le=4096)
    keyvault_url: str | None = Field(None, description="The shared vault (tenant-prefixed names).")
    secrets_cache_seconds: float = Field(300.0, ge=0)
    foundry_project_endpoint: str | None = None
    foundry_agent_prefix: str = Field("tenantry", description="Prefix of Foundry agent names.")

    # Bus behaviour (local bus; Service Bus takes these from the entity)
    bus_lock_duration_seconds: float = Field(30.0, gt=0)
    bus_duplicate_window_seconds: float = Field(600.0, ge=0)
    bus_max_delivery_count: int = Field(10, ge=1)
    command_ttl_seconds: float = Field(14 * 24 * 3600.0, gt=0)
    dead_letter_scan_seconds: float = Field(
        2.0, gt=0, description="How often a worker marks the jobs of new dead letters Failed."
    )
    job_expiry_sweep_seconds: float = Field(
        60.0, gt=0, description="How often a worker fails jobs left NotStarted past the TTL."
    )

    # Ingress
    max_body_bytes: int = Field(1024 * 1024, ge=1024)
    prefer_wait_max_seconds: int = Field(60, ge=0, le=60)
    idempotency_retention_hours: int = Field(24, ge=24)
    http_header_timeout_seconds: float = Field(
        10.0, gt=0, description="A request's line and headers must arrive within this (408)."
    )
    http_body_timeout_seconds: float = Field(
        30.0, gt=0, description="Longest pause while a request body arrives (408, closed)."
    )
    http_keep_alive_seconds: float = Field(
        5.0, gt=0, description="An idle kept-alive connection is closed after this."
    )
    http_max_concurrent_requests: int = Field(
        1000, ge=1, description="Requests in flight per ingress process; past it, 503."
    )
    public_base_url: str | None = Field(
        None,
        pattern=r"^https?://[^/?#\s]+(/[^?#\s]*)?$",
        description="The address clients reach the ingress at (https://api.example.com); "
        "links (`Operation-Location`, `Location`, `Link`) start with it. Unset: the request's.",
    )
    trusted_proxies: str = Field(
        "",
        description="Comma-separated addresses or CIDRs of proxies whose X-Forwarded-Proto and "
        "X-Forwarded-Host are honoured when PUBLIC_BASE_URL is unset.",
    )

    # Per-tenant limits (API.md, "Control"): defaults for registry entries without `limits`
    tenant_requests_per_second: float = Field(
        1000.0, ge=0, description="Requests a tenant may make per second (0: no limit)."
    )
    tenant_burst: int = Field(2000, ge=1, description="Requests a tenant may make at once.")
    tenant_concurrent_runs: int = Field(
        10, ge=0, description="Runs of one tenant in progress at once (0: no limit)."
    )
    tenant_max_queued: int = Field(
        10_000, ge=0, description="Commands of one tenant accepted and not started (0: no limit)."
    )

    # Observability (OTEL_* exporter settings are read as OpenTelemetry names them)
    log_format: Literal["text", "json"] = Field("text", description="stderr: text or JSON lines.")
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    applicationinsights_connection_string: SecretStr | None = Field(
        None, description="Set: traces, metrics and logs go to Application Insights."
    )

    # Workers
    worker_processes: int = Field(2, ge=0)
    worker_concurrency: int = Field(8, ge=1, description="Sessions served at once per process.")
    worker_batch_size: int = Field(16, ge=1, description="Messages taken per session turn.")
    handler_timeout_seconds: float = Field(120.0, gt=0)
    transient_attempts: int = Field(
        6, ge=1, description="Calls of a handler failing transiently, per delivery."
    )
    transient_backoff_seconds: float = Field(
        1.0, gt=0, description="The first wait after a transient failure; it doubles."
    )
    transient_backoff_max_seconds: float = Field(
        30.0,
        gt=0,
        description="The longest wait between two attempts (a Retry-After may ask more).",
    )
    transient_wait_budget_seconds: float = Field(
        120.0,
        ge=0,
        description="The most one delivery waits on transient failures before it is given back.",
    )
    shutdown_grace_seconds: float = Field(20.0, ge=0)

    # Agent runs
    run_poll_interval_seconds: float = Field(0.2, gt=0)
    run_timeout_seconds: float = Field(600.0, gt=0)
    local_engine_latency_seconds: float = Field(0.0, ge=0)
    local_engine_call_latency_seconds: float = Field(
        0.0, ge=0, le=10, description="Time every local engine call takes, as a remote one would."
    )

    # Files and search (issue 3)
    files_max_bytes: int = Field(
        512 * 1024 * 1024, ge=1024, description="Largest file `POST /files` accepts (413 past it)."
    )
    files_staging_ttl_seconds: float = Field(
        24 * 3600.0, gt=0, description="A staged upload no command has claimed by then is removed."
    )
    files_sweep_interval_seconds: float = Field(
        600.0, gt=0, description="How often each worker process sweeps stale staged uploads."
    )
    files_max_extracted_chars: int = Field(
        20_000_000, ge=1000, description="Text kept from one file for search; the rest is cut."
    )
    chunk_chars: int = Field(1200, ge=200, le=20_000, description="Target size of a file chunk.")
    chunk_overlap_chars: int = Field(200, ge=0, le=5_000)
    embedder: Literal["none", "local", "azure"] = Field(
        "none", description="Vectors for vector and hybrid search; `none` refuses those modes."
    )
    local_embedder_threads: int = Field(0, ge=0, description="onnxruntime threads (0: its own).")
    azure_openai_endpoint: str | None = Field(
        None, description="https://<resource>.openai.azure.com (or a Foundry resource endpoint)."
    )
    azure_openai_api_key: SecretStr | None = Field(None, description="Unset: Entra ID tokens.")
    azure_openai_embedding_deployment: str | None = None
    azure_openai_api_version: str = "2024-10-21"
    embedding_dimensions: int | None = Field(
        None, ge=2, le=4096, description="Ask the model for this many dimensions (3rd gen)."
    )
    retrieval_top: int = Field(5, ge=1, le=50, description="Passages a file_search run is given.")

    # Webhooks (API.md, "Webhooks")
    webhook_allow_hosts: str = Field(
        "", description="Comma-separated hosts or CIDRs a webhook may target although private."
    )
    webhook_require_https: bool = Field(True, description="Refuse plain http targets.")
    webhook_timeout_seconds: float = Field(15.0, gt=0, le=60)
    webhook_retry_schedule_seconds: list[float] = Field(
        default_factory=lambda: [0.0, 5.0, 300.0, 1800.0, 7200.0, 18000.0, 36000.0, 36000.0],
        min_length=1,
        description="Delay before each attempt (Standard Webhooks); the last failure dead-letters.",
    )
    webhook_retry_jitter: float = Field(0.1, ge=0, le=0.5, description="+/- share of a delay.")
    webhook_secret_overlap_seconds: float = Field(
        24 * 3600.0, ge=0, description="How long a rotated-out secret still signs."
    )
    webhook_concurrency: int = Field(16, ge=1, description="Endpoints served at once per process.")
    webhook_max_endpoints: int = Field(20, ge=1, le=100, description="Endpoints per tenant.")

    bus_path: ClassVar[DataFile] = DataFile("bus.sqlite3")
    store_path: ClassVar[DataFile] = DataFile("store.sqlite3")
    engine_path: ClassVar[DataFile] = DataFile("engine.sqlite3")
    secrets_path: ClassVar[DataFile] = DataFile("secrets.sqlite3")
    blobs_path: ClassVar[DataFile] = DataFile("blobs")
    search_path: ClassVar[DataFile] = DataFile("search.sqlite3")
    rate_limits_path: ClassVar[DataFile] = DataFile("rate-limits")


def load_settings(**overrides: object) -> Settings:
    """Read the settings now; keyword overrides win over the environment."""
    return Settings(**overrides)  # type: ignore[arg-type]
