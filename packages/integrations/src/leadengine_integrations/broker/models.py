"""Typed results of broker calls, each parsed tolerantly from whatever shape the broker sent.

`from_payload` raises `ValueError` only when a field the caller cannot do without is absent
(a send without a message id); the client turns that into a `BrokerError`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict

from leadengine_integrations.broker.parsing import (
    as_bool,
    as_datetime,
    as_int,
    as_str,
    layers,
    pick,
    raw_object,
)

__all__ = [
    "BrokerGroup",
    "BrokerHealth",
    "BrokerInstance",
    "DownloadedMedia",
    "InstanceStatus",
    "PairingResult",
    "QrCode",
    "RateInfo",
    "RecipientCheck",
    "SendResult",
]

_WRAPPERS = ("data", "result", "payload", "response", "instance", "session")
_SEND_WRAPPERS = (*_WRAPPERS, "message")
_STATUS_WRAPPERS = (*_WRAPPERS, "status", "metadata")
_STATUS_ALIASES = {
    "open": "connected",
    "close": "disconnected",
    "closed": "disconnected",
    "logged_out": "disconnected",
    "qr": "qr_required",
    "qrcode": "qr_required",
    "scan_qr_code": "qr_required",
}


class _Result(BaseModel):
    model_config = ConfigDict(frozen=True)


def _instance_status(objects: Sequence[Mapping[str, Any]]) -> tuple[str, bool]:
    """(normalised status, connected) from the `status`/`state`/`connected` fields."""
    raw_status = as_str(pick(objects, "status", "state", "connection"))
    status = _STATUS_ALIASES.get((raw_status or "").lower(), (raw_status or "").lower())
    connected = as_bool(pick(objects, "connected"))
    if connected is None:
        connected = status == "connected"
    if not status:
        has_qr = pick(objects, "qr", "qrCode", "qr_code") is not None
        status = "connected" if connected else "qr_required" if has_qr else "disconnected"
    return status, connected


class RateInfo(_Result):
    limit: int | None = None
    remaining: int | None = None
    reset_at: datetime | None = None


def _rate(objects: Sequence[Mapping[str, Any]]) -> RateInfo | None:
    for obj in objects:
        rate = obj.get("rate")
        if isinstance(rate, Mapping):
            return RateInfo(
                limit=as_int(rate.get("limit")),
                remaining=as_int(rate.get("remaining")),
                reset_at=as_datetime(rate.get("resetAt")),
            )
    return None


class SendResult(_Result):
    provider_message_id: str
    status: str
    timestamp: datetime | None = None
    raw: dict[str, Any]

    @classmethod
    def from_payload(cls, payload: object) -> SendResult:
        objects = layers(payload, _SEND_WRAPPERS)
        message_id = as_str(pick(objects, "id", "messageId", "externalId", "providerMessageId"))
        if message_id is None:
            raise ValueError("send response carries no message id")
        status = as_str(pick(objects, "status")) or "sent"
        return cls(
            provider_message_id=message_id,
            status=status.lower(),
            timestamp=as_datetime(pick(objects, "timestamp", "messageTimestamp")),
            raw=raw_object(payload),
        )


class InstanceStatus(_Result):
    instance_id: str | None = None
    status: str
    connected: bool
    qr: str | None = None
    qr_expires_at: datetime | None = None
    pairing_code: str | None = None
    phone_number: str | None = None
    rate: RateInfo | None = None
    raw: dict[str, Any]

    @classmethod
    def from_payload(cls, payload: object) -> InstanceStatus:
        objects = layers(payload, _STATUS_WRAPPERS)
        status, connected = _instance_status(objects)
        return cls(
            instance_id=as_str(pick(objects, "instanceId", "id", "sessionId")),
            status=status,
            connected=connected,
            qr=as_str(pick(objects, "qr", "qrCode", "qr_code", "code")),
            qr_expires_at=as_datetime(pick(objects, "qrExpiresAt", "expiresAt")),
            pairing_code=as_str(pick(objects, "pairingCode")),
            phone_number=as_str(pick(objects, "phoneNumber", "phone")),
            rate=_rate(objects),
            raw=raw_object(payload),
        )


class BrokerInstance(_Result):
    """One session as listed or created by the broker."""

    instance_id: str
    tenant_id: str | None
    name: str | None = None
    status: str
    connected: bool
    phone_number: str | None = None
    raw: dict[str, Any]

    @classmethod
    def from_payload(cls, payload: object) -> BrokerInstance:
        objects = layers(payload, _WRAPPERS)
        instance_id = as_str(pick(objects, "instanceId", "id", "sessionId"))
        if instance_id is None:
            raise ValueError("session carries no id")
        status, connected = _instance_status(objects)
        return cls(
            instance_id=instance_id,
            tenant_id=as_str(pick(objects, "tenantId")),
            name=as_str(pick(objects, "name")),
            status=status,
            connected=connected,
            phone_number=as_str(pick(objects, "phoneNumber", "phone")),
            raw=raw_object(payload),
        )


class QrCode(_Result):
    qr: str | None
    expires_at: datetime | None = None
    status: str
    connected: bool

    @classmethod
    def from_payload(cls, payload: object) -> QrCode:
        objects = layers(payload, _STATUS_WRAPPERS)
        status, connected = _instance_status(objects)
        return cls(
            qr=as_str(pick(objects, "qr", "qrCode", "qr_code", "code")),
            expires_at=as_datetime(pick(objects, "qrExpiresAt", "expiresAt")),
            status=status,
            connected=connected,
        )


class PairingResult(_Result):
    pairing_code: str | None
    status: str
    connected: bool

    @classmethod
    def from_payload(cls, payload: object) -> PairingResult:
        objects = layers(payload, _STATUS_WRAPPERS)
        status, connected = _instance_status(objects)
        return cls(
            pairing_code=as_str(pick(objects, "pairingCode", "code")),
            status=status,
            connected=connected,
        )


class RecipientCheck(_Result):
    exists: bool
    can_receive: bool
    jid: str | None = None
    reason: str | None = None

    @classmethod
    def from_payload(cls, payload: object) -> RecipientCheck:
        objects = layers(payload, _WRAPPERS)
        exists = bool(as_bool(pick(objects, "exists", "onWhatsApp")))
        can_receive = as_bool(pick(objects, "canReceive"))
        return cls(
            exists=exists,
            can_receive=exists if can_receive is None else can_receive,
            jid=as_str(pick(objects, "jid")),
            reason=as_str(pick(objects, "reason")),
        )


class BrokerGroup(_Result):
    jid: str
    subject: str | None = None
    size: int | None = None

    @classmethod
    def list_from_payload(cls, payload: object) -> list[BrokerGroup]:
        items = payload
        for obj in layers(payload, _WRAPPERS):
            if isinstance(obj.get("groups"), list):
                items = obj["groups"]
                break
        if not isinstance(items, list):
            return []
        groups = []
        for item in items:
            if isinstance(item, dict) and (jid := as_str(item.get("id") or item.get("jid"))):
                size = as_int(item.get("size"))
                participants = item.get("participants")
                if size is None and isinstance(participants, list):
                    size = len(participants)
                groups.append(cls(jid=jid, subject=as_str(item.get("subject")), size=size))
        return groups


class DownloadedMedia(_Result):
    content: bytes
    mime_type: str | None = None
    file_name: str | None = None


class BrokerHealth(_Result):
    ok: bool
    status: str | None = None
    raw: dict[str, Any]
