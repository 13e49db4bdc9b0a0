"""What applying one inbound event did, in words the worker can count and log.

`reason` is a stable `Reason` for every outcome but "applied" (a metric label, never free
text); a "deferred" result also names the provider message id it waits for, so the worker can
re-arm the event when that message arrives.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Literal

Outcome = Literal["applied", "duplicate", "ignored", "deferred"]


class Reason(StrEnum):
    # duplicate: the event changes nothing that is stored
    MESSAGE_EXISTS = "message_exists"
    ACK_REPEATED = "ack_repeated"
    ACK_REGRESSION = "ack_regression"
    EDIT_UNCHANGED = "edit_unchanged"
    ALREADY_REVOKED = "already_revoked"
    REACTION_UNCHANGED = "reaction_unchanged"
    VOTE_UNCHANGED = "vote_unchanged"
    CONNECTION_UNCHANGED = "connection_unchanged"
    # ignored: accepted, but nothing to store
    INSTANCE_DELETED = "instance_deleted"
    STATUS_BROADCAST = "status_broadcast"
    NEWSLETTER = "newsletter"
    UNSUPPORTED_CHAT = "unsupported_chat"
    MISSING_MESSAGE_ID = "missing_message_id"
    MISSING_CUSTOMER = "missing_customer"
    READ_SELF = "read_self"
    ACK_ON_INBOUND = "ack_on_inbound"
    EMPTY_EDIT = "empty_edit"
    POLL_NOT_FOUND = "poll_not_found"
    # deferred: the target message has not arrived yet
    MESSAGE_NOT_FOUND = "message_not_found"


@dataclass(frozen=True, slots=True)
class ApplyResult:
    outcome: Outcome
    reason: str | None = None
    waiting_for: str | None = None


APPLIED = ApplyResult("applied")


def duplicate(reason: Reason) -> ApplyResult:
    return ApplyResult("duplicate", reason)


def ignored(reason: Reason) -> ApplyResult:
    return ApplyResult("ignored", reason)


def waiting_for(provider_message_id: str) -> ApplyResult:
    return ApplyResult("deferred", Reason.MESSAGE_NOT_FOUND, provider_message_id)
