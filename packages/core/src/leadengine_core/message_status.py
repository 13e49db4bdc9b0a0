"""Delivery status of a message and the order in which acks may move it.

Acks arrive late, twice and out of order, so a status only ever moves forward:

    PENDING < SENT < DELIVERED < READ < PLAYED

FAILED may replace PENDING or SENT only: once the recipient's device has the message, a later
error is noise. Proof of delivery (DELIVERED, READ, PLAYED) still lifts a FAILED message,
because the recipient demonstrably got it. Anything else is a no-op that keeps the current
status. Rows are the current status, columns the incoming one; "→" moves, "·" keeps:

| current \\ incoming | PENDING | SENT | DELIVERED | READ | PLAYED | FAILED |
|--------------------|---------|------|-----------|------|--------|--------|
| PENDING            | ·       | →    | →         | →    | →      | →      |
| SENT               | ·       | ·    | →         | →    | →      | →      |
| DELIVERED          | ·       | ·    | ·         | →    | →      | ·      |
| READ               | ·       | ·    | ·         | ·    | →      | ·      |
| PLAYED             | ·       | ·    | ·         | ·    | ·      | ·      |
| FAILED             | ·       | ·    | →         | →    | →      | ·      |

Baileys numbers its acks on its own scale (0 ERROR, 1 PENDING, 2 SERVER_ACK, 3 DELIVERY_ACK,
4 READ, 5 PLAYED); the original system read them one step off. `status_from_baileys` is the one
place that scale is decoded.
"""

from __future__ import annotations

import re
from enum import StrEnum


class MessageStatus(StrEnum):
    PENDING = "PENDING"
    SENT = "SENT"
    DELIVERED = "DELIVERED"
    READ = "READ"
    PLAYED = "PLAYED"
    FAILED = "FAILED"


# The table above is exactly "keep the maximum" once FAILED sits between SENT and DELIVERED.
_RANK = {
    MessageStatus.PENDING: 0,
    MessageStatus.SENT: 1,
    MessageStatus.FAILED: 2,
    MessageStatus.DELIVERED: 3,
    MessageStatus.READ: 4,
    MessageStatus.PLAYED: 5,
}


def can_advance(current: MessageStatus, incoming: MessageStatus) -> bool:
    """Whether an ack carrying `incoming` changes a message that is `current`."""
    return _RANK[incoming] > _RANK[current]


def next_status(current: MessageStatus, incoming: MessageStatus) -> MessageStatus:
    """The status after applying an ack: `incoming` when it advances, else `current`."""
    return incoming if can_advance(current, incoming) else current


_BAILEYS_NUMBERS = {
    0: MessageStatus.FAILED,
    1: MessageStatus.PENDING,
    2: MessageStatus.SENT,
    3: MessageStatus.DELIVERED,
    4: MessageStatus.READ,
    5: MessageStatus.PLAYED,
}
_BAILEYS_WORDS = {
    "error": MessageStatus.FAILED,
    "failed": MessageStatus.FAILED,
    "pending": MessageStatus.PENDING,
    "server_ack": MessageStatus.SENT,
    "sent": MessageStatus.SENT,
    "delivery_ack": MessageStatus.DELIVERED,
    "delivered": MessageStatus.DELIVERED,
    "read": MessageStatus.READ,
    "seen": MessageStatus.READ,
    "played": MessageStatus.PLAYED,
}
# A JS BigInt may be serialised as "3" or "3n"; anything longer than a few digits is garbage.
_NUMERIC = re.compile(r"-?[0-9]{1,4}n?", re.ASCII)


def status_from_baileys(value: object) -> MessageStatus | None:
    """Decode a Baileys ack (number, numeric string, enum name or word); None when unknown."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return _BAILEYS_NUMBERS.get(value)
    if not isinstance(value, str):
        return None
    text = value.strip()
    if _NUMERIC.fullmatch(text):
        return _BAILEYS_NUMBERS.get(int(text.removesuffix("n")))
    return _BAILEYS_WORDS.get(text.lower())
