"""All configuration, read once from the environment.

This is the only module that reads environment variables. Everything else receives a
`Settings` (or a part of it). Each field's docstring is its documentation: the environment
variable is the field name in upper case, the default is the declared one.
"""

from __future__ import annotations

from enum import StrEnum
from functools import cached_property
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_SQLITE_URL = "sqlite+aiosqlite:///./var/leadengine.db"
INSECURE_DEV_JWT_SECRET = "insecure-development-secret-change-me-0000"  # noqa: S105 (dev only)


class Environment(StrEnum):
    DEVELOPMENT = "development"
    TEST = "test"
    PRODUCTION = "production"


class ConfigurationError(ValueError):
    """Raised at start-up when the configuration cannot run; the message names the variables."""


class WhatsAppRuntime(StrEnum):
    """The transport is fixed to HTTP; kept as a value so `/healthz` can show it."""

    HTTP = "http"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="",
        case_sensitive=False,
        extra="ignore",
        use_attribute_docstrings=True,
        frozen=True,
    )

    environment: Environment = Environment.DEVELOPMENT
    """Deployment kind. `production` makes secrets mandatory and refuses demo shortcuts."""

    host: str = "127.0.0.1"
    """Interface `leadengine serve` binds to."""

    port: int = Field(default=8000, ge=1, le=65535)
    """Port `leadengine serve` binds to."""

    log_level: Literal["debug", "info", "warning", "error"] = "info"
    """Minimum level of the JSON log lines written to stdout."""

    database_url: str = DEFAULT_SQLITE_URL
    """SQLAlchemy URL. `postgres://` and `postgresql://` are accepted and use psycopg 3.
    The default is an embedded SQLite file under ./var/."""

    database_connection_limit: int = Field(default=10, ge=1)
    """Connection pool size per process (PostgreSQL)."""

    database_pool_timeout: float = Field(default=5.0, gt=0)
    """Seconds to wait for a pooled connection before failing the request."""

    redis_url: str | None = None
    """Redis for cross-process Socket.IO fan-out and shared limiter/breaker state.
    Unset: everything stays in process (fine for one process)."""

    jwt_secret: SecretStr | None = None
    """HS256 signing key for access and refresh tokens. Required outside development
    (at least 32 characters)."""

    jwt_access_ttl_seconds: int = Field(default=3600, ge=60)
    """Lifetime of an access token."""

    jwt_refresh_ttl_seconds: int = Field(default=7 * 24 * 3600, ge=300)
    """Lifetime of a refresh token."""

    cors_allowed_origins: str = ""
    """Comma-separated origins allowed by CORS (`*` allows any)."""

    frontend_url: str | None = None
    """The web client's origin; added to the CORS allow-list."""

    rate_limit_window_ms: int = Field(default=60_000, ge=1000)
    """Window of the per-credential/IP rate limit on /api."""

    rate_limit_max_requests: int = Field(default=600, ge=1)
    """Requests allowed per window and credential/IP on /api."""

    socket_io_path: str = "/socket.io"
    """Path of the Socket.IO endpoint."""

    realtime_catch_up_events: int = Field(default=1000, ge=10, le=100_000)
    """Realtime events kept per tenant for `GET /api/realtime/events` (catch-up after a
    reconnect), in Redis when `REDIS_URL` is set, else in process memory."""

    whatsapp_mode: str | None = None
    """Removed setting: the transport is always HTTP. Setting it at all is a start-up error."""

    whatsapp_broker_url: str | None = None
    """Base URL of the Baileys HTTP broker."""

    whatsapp_broker_api_key: SecretStr | None = None
    """API key sent to the broker as `X-API-Key`."""

    whatsapp_broker_timeout_ms: int = Field(default=15_000, ge=100)
    """Timeout of one broker HTTP call."""

    whatsapp_webhook_api_key: SecretStr | None = None
    """Key the broker presents on webhooks (`X-API-Key` or `Authorization: Bearer`)."""

    whatsapp_webhook_hmac_secret: SecretStr | None = None
    """When set, webhooks must carry the hex HMAC-SHA256 of the raw body in `X-Signature`."""

    whatsapp_webhook_verify_token: SecretStr | None = None
    """Token for the `GET` webhook verification handshake (`hub.verify_token`)."""

    # WhatsApp instances and transport (read through `leadengine_shared.whatsapp.WhatsAppConfig`)

    whatsapp_webhook_url: str | None = None
    """Public URL of our webhook (`…/api/integrations/whatsapp/webhook`), registered on the
    broker for every instance created. Instance creation is refused while it is unset."""

    whatsapp_tenant_guard_bypass: bool = False
    """Demo only: accept broker events whose tenant cannot be proven. A start-up error when
    ENVIRONMENT=production."""

    whatsapp_outbound_circuit_max_failures: int = 5
    """Failed sends (per tenant and instance) within the window that open the circuit; < 1 is 1."""

    whatsapp_outbound_circuit_window_ms: int = 60_000
    """Window in which failed sends are counted; < 1 is 1."""

    whatsapp_outbound_circuit_cooldown_ms: int = 120_000
    """How long an open circuit refuses sends before one trial send; < 1 is 1."""

    outbound_tps_default: int = 5
    """Sends per second allowed per instance; < 1 is 1."""

    outbound_tps_by_instance: str = ""
    """Per broker session overrides, `sales-01:10,support:2`."""

    whatsapp_correlation_seed: str = "leadengine"
    """Shown as `runtime.correlationSeed` in /healthz, for clients of the original system."""

    whatsapp_sidecar_sessions_path: str | None = None
    """Legacy sidecar session volume, shown as `runtime.sidecarSessionsPath`; the HTTP transport
    never reads it, deploys keep mounting it so a rollback finds the sessions."""

    evolution_webhook_api_key: SecretStr | None = None
    """Key Evolution API presents as `apikey` (header or body). Unset: WHATSAPP_WEBHOOK_API_KEY."""

    inbox_retention_days: int = Field(default=7, ge=1)
    """Days processed (`done`/`ignored`) inbox rows are kept for audit and replay."""

    run_worker_in_process: bool = True
    """Run the inbound worker inside `leadengine serve`. Set false when `leadengine worker`
    processes run separately."""

    inbound_worker_batch_size: int = Field(default=100, ge=1, le=1000)
    """Inbox rows one worker claims at a time."""

    inbound_worker_poll_seconds: float = Field(default=2.0, gt=0)
    """Fallback poll interval; commits wake the worker sooner (in process, or LISTEN/NOTIFY)."""

    inbound_worker_lease_seconds: float = Field(default=60.0, gt=0)
    """How long a claimed row stays locked before another worker may take it over."""

    inbound_max_attempts: int = Field(default=8, ge=1)
    """Attempts before an inbox row is marked `failed` (replayable)."""

    webhook_bench_endpoint: bool = False
    """Mount `POST /api/bench/webhook-baseline` (reads the body, answers 202): the
    benchmark's baseline. Never in production."""

    outbound_worker_batch_size: int = Field(default=10, ge=1, le=500)
    """Outbox rows one outbound worker claims and sends concurrently at a time."""

    outbound_worker_poll_seconds: float = Field(default=0.5, gt=0)
    """How long an idle outbound worker waits before looking at the outbox again."""

    outbound_max_attempts: int = Field(default=30, ge=1)
    """Failed broker attempts before a send is given up (message FAILED). Sends skipped while
    a circuit is open or over the rate limit do not count."""

    outbound_retry_max_seconds: float = Field(default=300.0, gt=0)
    """Cap of the jittered exponential backoff (1 s, 2 s, 4 s, …) between attempts of a send."""

    @property
    def evolution_webhook_key(self) -> SecretStr | None:
        return self.evolution_webhook_api_key or self.whatsapp_webhook_api_key

    otel_traces_exporter: Literal["none", "console", "otlp"] = "none"
    """Where OpenTelemetry spans go. `none` keeps tracing off."""

    otel_service_name: str = "leadengine-api"
    """Service name attached to spans."""

    @field_validator("database_url")
    @classmethod
    def _use_psycopg_for_postgres(cls, value: str) -> str:
        for prefix in ("postgres://", "postgresql://"):
            if value.startswith(prefix):
                return "postgresql+psycopg://" + value.removeprefix(prefix)
        return value

    @model_validator(mode="after")
    def _refuse_unsafe_or_removed(self) -> Settings:
        if self.whatsapp_mode is not None:
            raise ConfigurationError(
                "WHATSAPP_MODE is no longer supported: the WhatsApp transport is always HTTP. "
                "Unset WHATSAPP_MODE."
            )
        if self.environment is not Environment.DEVELOPMENT:
            secret = self.jwt_secret.get_secret_value() if self.jwt_secret else ""
            if len(secret) < 32:
                raise ConfigurationError(
                    f"JWT_SECRET must be set to at least 32 characters when ENVIRONMENT="
                    f"{self.environment.value}."
                )
        return self

    @cached_property
    def signing_secret(self) -> str:
        """The JWT key; development falls back to a fixed, loudly insecure value."""
        if self.jwt_secret is not None:
            return self.jwt_secret.get_secret_value()
        return INSECURE_DEV_JWT_SECRET

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    @property
    def sqlite_path(self) -> Path | None:
        """The database file of a file-backed SQLite URL (None for memory or other engines)."""
        if not self.is_sqlite:
            return None
        _, _, path = self.database_url.partition(":///")
        return Path(path) if path and path != ":memory:" else None

    @property
    def cors_origins(self) -> list[str]:
        origins = [o.strip().rstrip("/").lower() for o in self.cors_allowed_origins.split(",")]
        if self.frontend_url:
            origins.append(self.frontend_url.strip().rstrip("/").lower())
        return [o for o in origins if o]


def load_settings(**overrides: object) -> Settings:
    """Build settings from the environment; keyword overrides win (tests use them).

    Raises `ConfigurationError` with one line per problem, naming the environment variable.
    """
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        lines = []
        for error in exc.errors():
            names = ".".join(str(part) for part in error["loc"]).upper()
            message = str(error["msg"]).removeprefix("Value error, ")
            lines.append(f"{names}: {message}" if names else message)
        raise ConfigurationError("invalid configuration:\n  " + "\n  ".join(lines)) from None
