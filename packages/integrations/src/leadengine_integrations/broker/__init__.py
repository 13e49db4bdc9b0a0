"""Client for the Baileys HTTP broker: typed results, one error type, safe retries."""

from leadengine_integrations.broker.client import BrokerClient, MediaType
from leadengine_integrations.broker.errors import (
    BrokerAuthFailed,
    BrokerError,
    BrokerErrorCode,
    BrokerNotFound,
    BrokerTimeout,
    BrokerUnavailable,
    InstanceNotConnected,
    InvalidRecipient,
    RateLimited,
    classify_broker_failure,
)
from leadengine_integrations.broker.models import (
    BrokerGroup,
    BrokerHealth,
    BrokerInstance,
    DownloadedMedia,
    InstanceStatus,
    PairingResult,
    QrCode,
    RateInfo,
    RecipientCheck,
    SendResult,
)

__all__ = [
    "BrokerAuthFailed",
    "BrokerClient",
    "BrokerError",
    "BrokerErrorCode",
    "BrokerGroup",
    "BrokerHealth",
    "BrokerInstance",
    "BrokerNotFound",
    "BrokerTimeout",
    "BrokerUnavailable",
    "DownloadedMedia",
    "InstanceNotConnected",
    "InstanceStatus",
    "InvalidRecipient",
    "MediaType",
    "PairingResult",
    "QrCode",
    "RateInfo",
    "RateLimited",
    "RecipientCheck",
    "SendResult",
    "classify_broker_failure",
]
