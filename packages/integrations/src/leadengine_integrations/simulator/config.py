"""What a simulator run looks like: keys, webhook target, timings and fault knobs."""

from __future__ import annotations

from dataclasses import dataclass, field, fields, replace
from typing import Any

from leadengine_shared.settings import Settings
from pydantic import SecretStr

__all__ = ["DEFAULT_API_KEY", "Faults", "SimulatorConfig"]

DEFAULT_API_KEY = "change-me"
"""The key the real broker falls back to when none is configured; used when settings have none."""


@dataclass(frozen=True, slots=True)
class Faults:
    """Misbehaviour on demand. Replaced as a whole, so a reader never sees half an update."""

    latency: float = 0.0
    """Seconds added before every broker call is answered."""
    error_rate: float = 0.0
    """Probability (0..1, from the seeded RNG) that a send fails with `error_status`."""
    error_status: int = 503
    """Status of a simulated send failure (503 is retried by clients; 500 is not)."""
    down: bool = False
    """Every broker call answers 503; `/_sim` control routes keep working."""
    duplicate_webhooks: bool = False
    """Deliver every webhook twice, byte-identical, as a broker retry racing the first would."""
    out_of_order: bool = False
    """Deliver each batch of related events in reverse: READ before SERVER_ACK, raw upsert
    before MESSAGE_INBOUND."""
    leak_tenants: bool = False
    """`GET /instances` ignores the tenant and lists every session, as the original broker did
    (lesson 5); clients must drop what is not theirs."""

    @classmethod
    def names(cls) -> frozenset[str]:
        return frozenset(f.name for f in fields(cls))


@dataclass(frozen=True, slots=True)
class SimulatorConfig:
    api_key: str = DEFAULT_API_KEY
    """Key every broker call must present as `X-API-Key`."""
    webhook_api_key: str | None = None
    """Sent as `x-api-key` on webhooks when set."""
    webhook_hmac_secret: str | None = None
    """Signs webhooks (`x-signature`); like the real broker, falls back to `api_key`."""
    webhook_url: str | None = None
    """Where events go for instances created without their own `webhookUrl`."""
    auto_connect: bool = False
    """New instances are connected at once instead of waiting for a scan."""
    seed: int | None = None
    """Seeds ids, QR strings and the error rate; None draws fresh entropy (ids then never
    repeat across restarts, which a database with unique external ids needs)."""
    ack_statuses: tuple[int, ...] = (2, 3, 4)
    """Acks sent after each accepted send: SERVER_ACK, DELIVERY_ACK, READ."""
    ack_delay: float = 0.05
    """Seconds before each ack."""
    qr_ttl: float = 60.0
    """Seconds a QR string stays valid before it rotates."""
    rate_limit_per_minute: int | None = None
    """Sends allowed per instance and minute before 429 `RATE_LIMITED`; None is unlimited."""
    webhook_timeout: float = 5.0
    """Seconds one webhook delivery may take (the real broker uses 5)."""
    webhook_retry_delays: tuple[float, ...] = (0.5, 1.0, 3.0, 10.0, 30.0)
    """Pauses before each retry of a failed delivery; its length bounds the retries."""
    faults: Faults = field(default_factory=Faults)
    """Faults active from the start."""

    @property
    def signing_secret(self) -> str:
        return self.webhook_hmac_secret or self.api_key

    @classmethod
    def from_settings(cls, settings: Settings, **overrides: Any) -> SimulatorConfig:
        """Keys from the app's settings, so the API and the simulator agree by default."""
        from_settings = cls(
            api_key=_reveal(settings.whatsapp_broker_api_key) or DEFAULT_API_KEY,
            webhook_api_key=_reveal(settings.whatsapp_webhook_api_key),
            webhook_hmac_secret=_reveal(settings.whatsapp_webhook_hmac_secret),
        )
        return replace(from_settings, **overrides)


def _reveal(secret: SecretStr | None) -> str | None:
    return secret.get_secret_value() if secret is not None else None
