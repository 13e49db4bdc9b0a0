"""What a batch of inbound events will read, so `BatchUnitOfWork.prefetch` can load it in a
few queries: the customers the messages name and the provider ids every event points at.

A guess that misses costs one query later (the batch reads through); it never changes a result.
"""

from __future__ import annotations

from collections.abc import Iterable
from contextlib import suppress

from leadengine_core.errors import InvalidPhone
from leadengine_core.instances import WhatsAppInstance
from leadengine_core.jid import JidKind
from leadengine_core.phone import phone_identity
from leadengine_integrations.normalize import (
    AckUpdate,
    InboundMessage,
    MessageEdit,
    MessageRevoke,
    PollVote,
    Reaction,
)
from leadengine_storage.batch_unit_of_work import ContactKey, MessageKey
from leadengine_storage.repositories.contact_identities import IdentityKind

from leadengine_api.features.inbound.apply import InboundEvent

__all__ = ["prefetch_keys"]


def prefetch_keys(
    work: Iterable[tuple[WhatsAppInstance, InboundEvent]],
) -> tuple[list[ContactKey], list[MessageKey]]:
    contact_keys: list[ContactKey] = []
    message_keys: list[MessageKey] = []
    for instance, event in work:
        tenant_id = instance.tenant_id
        if isinstance(event, InboundMessage):
            contact_keys += _customer_keys(instance, event)
        target = _provider_id(event)
        if target is not None:
            message_keys.append((tenant_id, instance.id, target))
    return contact_keys, message_keys


def _customer_keys(instance: WhatsAppInstance, event: InboundMessage) -> list[ContactKey]:
    tenant_id = instance.tenant_id
    if event.chat_kind is JidKind.GROUP:
        return [(tenant_id, IdentityKind.GROUP, event.chat)]
    keys: list[ContactKey] = []
    if event.customer_phone is not None:
        with suppress(InvalidPhone):
            keys.append((tenant_id, IdentityKind.PHONE, phone_identity(event.customer_phone)))
    if event.customer_lid is not None:
        keys.append((tenant_id, IdentityKind.LID, event.customer_lid))
    return keys


def _provider_id(event: InboundEvent) -> str | None:
    match event:
        case InboundMessage():
            return event.provider_message_id
        case AckUpdate():
            return event.provider_message_id
        case MessageEdit() | MessageRevoke() | Reaction():
            return event.target_provider_message_id
        case PollVote():
            return event.poll_message_id
        case _:
            return None
