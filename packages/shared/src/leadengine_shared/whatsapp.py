"""WhatsApp configuration in one place, exposed only through read-only properties.

Every module that needs a broker URL, a webhook secret or an outbound limit asks a
`WhatsAppConfig`; none reads `Settings` fields (or the environment) for WhatsApp itself. Invalid
combinations fail here, at start-up, with the environment variable named, so a bad deploy stops
before it serves instead of answering 500s later.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Literal
from urllib.parse import urlsplit

from pydantic import SecretStr

from leadengine_shared.settings import ConfigurationError, Environment, Settings

__all__ = ["OutboundCircuit", "WhatsAppConfig", "WhatsAppRuntimeBlock"]

TRANSPORT = "http"
BROKER_URL_ENV = "WHATSAPP_BROKER_URL"
BROKER_API_KEY_ENV = "WHATSAPP_BROKER_API_KEY"
WEBHOOK_URL_ENV = "WHATSAPP_WEBHOOK_URL"
TPS_BY_INSTANCE_ENV = "OUTBOUND_TPS_BY_INSTANCE"


@dataclass(frozen=True, slots=True)
class OutboundCircuit:
    """Per tenant+instance breaker: `max_failures` within `window_ms` open it for `cooldown_ms`."""

    max_failures: int
    window_ms: int
    cooldown_ms: int


@dataclass(frozen=True, slots=True)
class WhatsAppRuntimeBlock:
    """What `/healthz` shows as `whatsapp.runtime`; `mode`/`transport` are fixed to HTTP and the
    other keys are kept for clients of the original system."""

    raw_mode: str
    correlation_seed: str
    sidecar_sessions_path: str | None
    status: Literal["configured", "not_configured"]
    disabled: bool
    mode: str = TRANSPORT
    transport: str = TRANSPORT

    def as_dict(self) -> dict[str, object]:
        return {
            "mode": self.mode,
            "transport": self.transport,
            "rawMode": self.raw_mode,
            "correlationSeed": self.correlation_seed,
            "sidecarSessionsPath": self.sidecar_sessions_path,
            "status": self.status,
            "disabled": self.disabled,
        }


def _reveal(secret: SecretStr | None) -> str | None:
    value = secret.get_secret_value().strip() if secret is not None else ""
    return value or None


def _absolute_http_url(value: str | None, env_name: str) -> str | None:
    """`https://host/path/` → `https://host/path`; anything but an absolute http(s) URL fails."""
    text = (value or "").strip()
    if not text:
        return None
    parts = urlsplit(text)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ConfigurationError(f"{env_name} must be an absolute http(s) URL, got {text!r}.")
    return text.rstrip("/")


def _tps_by_instance(raw: str) -> Mapping[str, int]:
    """`"sales-01:10, support:2"` → {"sales-01": 10, "support": 2}; rates below 1 become 1."""
    rates: dict[str, int] = {}
    for entry in (item.strip() for item in raw.split(",")):
        if not entry:
            continue
        instance_id, _, rate = (part.strip() for part in entry.rpartition(":"))
        if not instance_id or not rate.removeprefix("-").isdigit():
            raise ConfigurationError(
                f"{TPS_BY_INSTANCE_ENV} entries are `instanceId:rate`, got {entry!r}."
            )
        rates[instance_id] = max(1, int(rate))
    return MappingProxyType(rates)


class WhatsAppConfig:
    """The broker, webhook, outbound and runtime settings of the WhatsApp transport."""

    __slots__ = (
        "_broker_api_key",
        "_broker_url",
        "_circuit",
        "_settings",
        "_tps_by_instance",
        "_webhook_url",
    )

    def __init__(self, settings: Settings) -> None:
        """Raises `ConfigurationError` for a malformed URL or TPS list, and for the tenant-guard
        bypass outside development/test (it exists for demos only)."""
        if settings.whatsapp_tenant_guard_bypass and settings.environment is Environment.PRODUCTION:
            raise ConfigurationError(
                "WHATSAPP_TENANT_GUARD_BYPASS is for demos and cannot be on when "
                "ENVIRONMENT=production."
            )
        self._settings = settings
        self._broker_url = _absolute_http_url(settings.whatsapp_broker_url, BROKER_URL_ENV)
        self._broker_api_key = _reveal(settings.whatsapp_broker_api_key)
        self._webhook_url = _absolute_http_url(settings.whatsapp_webhook_url, WEBHOOK_URL_ENV)
        self._tps_by_instance = _tps_by_instance(settings.outbound_tps_by_instance)
        self._circuit = OutboundCircuit(
            max_failures=max(1, settings.whatsapp_outbound_circuit_max_failures),
            window_ms=max(1, settings.whatsapp_outbound_circuit_window_ms),
            cooldown_ms=max(1, settings.whatsapp_outbound_circuit_cooldown_ms),
        )

    # broker

    @property
    def broker_url(self) -> str | None:
        """Absolute http(s) base URL without a trailing slash; None when not configured."""
        return self._broker_url

    @property
    def broker_api_key(self) -> str | None:
        return self._broker_api_key

    @property
    def broker_timeout_ms(self) -> int:
        return self._settings.whatsapp_broker_timeout_ms

    @property
    def broker_timeout_seconds(self) -> float:
        return self._settings.whatsapp_broker_timeout_ms / 1000

    def missing_broker_settings(self) -> list[str]:
        """Environment names that must be set before any broker call can be made."""
        missing = []
        if self._broker_url is None:
            missing.append(BROKER_URL_ENV)
        if self._broker_api_key is None:
            missing.append(BROKER_API_KEY_ENV)
        return missing

    @property
    def is_configured(self) -> bool:
        return not self.missing_broker_settings()

    # webhook

    @property
    def webhook_url(self) -> str | None:
        """The public URL of our webhook, given to the broker when an instance is created."""
        return self._webhook_url

    @property
    def webhook_api_key(self) -> str | None:
        return _reveal(self._settings.whatsapp_webhook_api_key)

    @property
    def webhook_hmac_secret(self) -> str | None:
        return _reveal(self._settings.whatsapp_webhook_hmac_secret)

    @property
    def webhook_verify_token(self) -> str | None:
        """The verify token; like the original broker contract, falls back to the broker key."""
        return _reveal(self._settings.whatsapp_webhook_verify_token) or self._broker_api_key

    @property
    def tenant_guard_bypass(self) -> bool:
        """Demo-only: accept webhooks whose tenant cannot be proven. Never on in production."""
        return self._settings.whatsapp_tenant_guard_bypass

    # outbound

    @property
    def outbound_circuit(self) -> OutboundCircuit:
        return self._circuit

    @property
    def outbound_tps_default(self) -> int:
        return max(1, self._settings.outbound_tps_default)

    @property
    def outbound_tps_by_instance(self) -> Mapping[str, int]:
        """Per broker session overrides of `outbound_tps_default` (read-only)."""
        return self._tps_by_instance

    def outbound_tps_for(self, broker_id: str) -> int:
        return self._tps_by_instance.get(broker_id, self.outbound_tps_default)

    # runtime

    @property
    def runtime(self) -> WhatsAppRuntimeBlock:
        configured = self.is_configured
        return WhatsAppRuntimeBlock(
            raw_mode=TRANSPORT,
            correlation_seed=self._settings.whatsapp_correlation_seed,
            sidecar_sessions_path=self._settings.whatsapp_sidecar_sessions_path,
            status="configured" if configured else "not_configured",
            disabled=not configured,
        )
