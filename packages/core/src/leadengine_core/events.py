"""Domain events: what changed, for realtime clients and other listeners.

A service records an event in its unit of work right after the change and the entry point
publishes the collected events only after the commit, so nobody hears about a change that
was rolled back. Each event holds a snapshot of the entity (copied at construction), and its
`tenant_id` is the entity's, so an event can only ever be delivered to the owner tenant.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field, fields, is_dataclass
from datetime import datetime
from enum import Enum
from functools import cache
from typing import Any, ClassVar, TypeAlias
from uuid import UUID

from leadengine_core.instances import WhatsAppInstance
from leadengine_core.leads import Lead, LeadActivity
from leadengine_core.messages import Message
from leadengine_core.tickets import Ticket


@dataclass(frozen=True, slots=True, kw_only=True)
class _EntityEvent:
    occurred_at: datetime

    def __post_init__(self) -> None:
        for item in fields(self):
            object.__setattr__(self, item.name, _snapshot(getattr(self, item.name)))


_SHARED = (str, int, float, bytes, datetime, UUID, Enum, type(None))
"""Immutable values a snapshot can share with the live entity."""


def _snapshot(value: Any) -> Any:
    """`copy.deepcopy` for entities, several times faster on the inbound hot path: immutable
    leaves are shared, dataclasses and containers are copied level by level."""
    if isinstance(value, _SHARED):
        return value
    kind = type(value)
    if is_dataclass(kind):
        copied = object.__new__(kind)
        for name in _field_names(kind):
            object.__setattr__(copied, name, _snapshot(getattr(value, name)))
        return copied
    if kind is list:
        return [_snapshot(element) for element in value]
    if kind is dict:
        return {key: _snapshot(element) for key, element in value.items()}
    if kind in (set, frozenset, tuple):
        return kind(_snapshot(element) for element in value)
    return copy.deepcopy(value)


@cache
def _field_names(kind: type) -> tuple[str, ...]:
    return tuple(item.name for item in fields(kind))


@dataclass(frozen=True, slots=True, kw_only=True)
class MessageCreated(_EntityEvent):
    name: ClassVar[str] = "message.created"
    message: Message

    @property
    def tenant_id(self) -> UUID:
        return self.message.tenant_id


@dataclass(frozen=True, slots=True, kw_only=True)
class MessageUpdated(_EntityEvent):
    """`changes` names what moved (e.g. `status`, `text`, `reactions`, `revoked`)."""

    name: ClassVar[str] = "message.updated"
    message: Message
    changes: frozenset[str] = field(default_factory=frozenset)

    @property
    def tenant_id(self) -> UUID:
        return self.message.tenant_id


@dataclass(frozen=True, slots=True, kw_only=True)
class TicketCreated(_EntityEvent):
    name: ClassVar[str] = "ticket.created"
    ticket: Ticket

    @property
    def tenant_id(self) -> UUID:
        return self.ticket.tenant_id


@dataclass(frozen=True, slots=True, kw_only=True)
class TicketUpdated(_EntityEvent):
    name: ClassVar[str] = "ticket.updated"
    ticket: Ticket
    changes: frozenset[str] = field(default_factory=frozenset)

    @property
    def tenant_id(self) -> UUID:
        return self.ticket.tenant_id


@dataclass(frozen=True, slots=True, kw_only=True)
class LeadUpdated(_EntityEvent):
    """A lead was created or changed; `activity` is the history line it produced, if any."""

    name: ClassVar[str] = "lead.updated"
    lead: Lead
    activity: LeadActivity | None = None

    @property
    def tenant_id(self) -> UUID:
        return self.lead.tenant_id


@dataclass(frozen=True, slots=True, kw_only=True)
class InstanceUpdated(_EntityEvent):
    name: ClassVar[str] = "instance.updated"
    instance: WhatsAppInstance

    @property
    def tenant_id(self) -> UUID:
        return self.instance.tenant_id


DomainEvent: TypeAlias = (
    MessageCreated | MessageUpdated | TicketCreated | TicketUpdated | LeadUpdated | InstanceUpdated
)
"""Every event core knows; a closed union so handlers can match exhaustively."""
