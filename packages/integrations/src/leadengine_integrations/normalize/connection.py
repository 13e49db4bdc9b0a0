"""Connection reports → core `InstanceStatus` (whatsapp-payloads.md §7, §10.42).

Baileys' `connection.update` is partial: an update without `connection` and without `qr`
(`isOnline`, `receivedPendingNotifications`…) changes nothing and is ignored, never read as a
disconnect. A close is read from its Boom status code, which survives JSON only under
`lastDisconnect.error.output.statusCode` (§2):

| close code | status | why |
|---|---|---|
| 408, 411, 428, 500, 503, 515 | CONNECTING | the broker reconnects by itself (515: after pairing) |
| 403 forbidden | FAILED | the account is banned or blocked |
| 401, 440, anything else, none | DISCONNECTED | over until someone acts (401: a new QR) |
"""

from __future__ import annotations

from datetime import datetime

from leadengine_core.errors import InvalidPhone
from leadengine_core.instances import InstanceStatus
from leadengine_core.phone import normalize_phone

from leadengine_integrations.normalize.coerce import as_count, as_dict, as_label, dig
from leadengine_integrations.normalize.dedupe import connection_key
from leadengine_integrations.normalize.events import (
    BatchItem,
    ConnectionUpdate,
    IgnoreReason,
    ignored,
)
from leadengine_integrations.normalize.identity import jid_of
from leadengine_integrations.normalize.timestamps import parse_timestamp

QR_LIMIT = 4096
_RECONNECTING = frozenset({408, 411, 428, 500, 503, 515})
_BANNED = 403
_CLOSED = frozenset({"close", "refused"})
_MAX_CODE = 999_999
_PHONE_LIMIT = 32


def _status_for(connection: str | None, qr: str | None, code: int | None) -> InstanceStatus | None:
    """None when the report says nothing about the connection state."""
    if connection == "open":
        return InstanceStatus.CONNECTED
    if connection in _CLOSED:
        if code == _BANNED:
            return InstanceStatus.FAILED
        if code in _RECONNECTING:
            return InstanceStatus.CONNECTING
        return InstanceStatus.DISCONNECTED
    if qr is not None:
        return InstanceStatus.QR_REQUIRED
    if connection == "connecting":
        return InstanceStatus.CONNECTING
    return None


def parse_baileys_connection(
    update: object, *, instance_key: str, reported_at: datetime | None, event: object
) -> BatchItem:
    """`event` is the whole envelope item, hashed into the key when no time is known."""
    data = as_dict(update)
    error = dig(data, "lastDisconnect", "error")
    code = as_count(dig(error, "output", "statusCode"), _MAX_CODE) or as_count(
        dig(error, "output", "payload", "statusCode"), _MAX_CODE
    )
    qr = as_label(data.get("qr"), QR_LIMIT)
    status = _status_for(_connection(data.get("connection")), qr, code)
    if status is None:
        return ignored(IgnoreReason.CONNECTION_UNCHANGED, instance_key)
    at = reported_at or parse_timestamp(dig(data, "lastDisconnect", "date"))
    return _item(instance_key, status, at, event, qr=qr, data=data, code=code)


def parse_evolution_connection(data: object, *, instance_key: str, event: object) -> BatchItem:
    """`{state: open|connecting|close|refused, statusReason, wuid}`; `date_time` is not
    trusted (local time labelled Z, §10.43), so the key hashes the event instead."""
    fields = as_dict(data)
    code = as_count(fields.get("statusReason"), _MAX_CODE)
    status = _status_for(_connection(fields.get("state")), None, code)
    if status is None:
        return ignored(IgnoreReason.CONNECTION_UNCHANGED, instance_key)
    return _item(instance_key, status, None, event, data=fields, code=code)


def parse_evolution_qr(data: object, *, instance_key: str, event: object) -> BatchItem:
    """`{qrcode: {code, base64, pairingCode}}`; at the QR limit only an error message."""
    qr = as_label(dig(data, "qrcode", "code"), QR_LIMIT)
    if qr is None:
        return ignored(IgnoreReason.QR_UNAVAILABLE, instance_key)
    return _item(instance_key, InstanceStatus.QR_REQUIRED, None, event, qr=qr)


def _item(
    instance_key: str,
    status: InstanceStatus,
    at: datetime | None,
    event: object,
    *,
    qr: str | None = None,
    data: dict[str, object] | None = None,
    code: int | None = None,
) -> BatchItem:
    update = ConnectionUpdate(
        instance_key=instance_key,
        status=status,
        at=at,
        qr=qr,
        phone=_phone(data or {}),
        disconnect_code=code,
    )
    return BatchItem(update, connection_key(instance_key, status, at, event))


def _connection(value: object) -> str | None:
    text = as_label(value, 32)
    return None if text is None else text.lower()


def _phone(data: dict[str, object]) -> str | None:
    """The account's own number, when the report names it (`me.id`, Evolution's `wuid`)."""
    own = jid_of(dig(data, "me", "id")) or jid_of(data.get("wuid"))
    if own is not None and own.phone is not None:
        return own.phone
    text = as_label(data.get("phone"), _PHONE_LIMIT)
    if text is None:
        return None
    try:
        return normalize_phone(text)
    except InvalidPhone:
        return None
