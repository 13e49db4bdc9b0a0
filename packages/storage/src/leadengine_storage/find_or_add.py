"""Find-or-create under races: the loser of a unique-key race reads the winner and carries on.

Two webhook workers can see the first message of a conversation at once; both look, find
nothing and insert, and the database lets one win. These helpers turn the loser's Conflict into
"use the winner". They are written against the core ports only, so they behave the same on the
in-memory fakes; on SQL each insert runs in a SAVEPOINT, so the lost race leaves the unit of
work usable. Each returns the stored entity and whether `candidate` is the one that was added.
"""

from __future__ import annotations

from uuid import UUID

from leadengine_core.contacts import Contact
from leadengine_core.errors import Conflict, OpenTicketExists
from leadengine_core.messages import Message
from leadengine_core.ports import ContactRepository, MessageRepository, TicketRepository
from leadengine_core.tickets import Ticket

__all__ = ["find_or_add_contact", "find_or_add_message", "find_or_open_ticket"]


async def find_or_open_ticket(
    tickets: TicketRepository, tenant_id: UUID, candidate: Ticket
) -> tuple[Ticket, bool]:
    """The open ticket of the candidate's (contact, instance); `candidate` if there was none."""
    existing = await tickets.find_open(tenant_id, candidate.contact_id, candidate.instance_id)
    if existing is not None:
        return existing, False
    try:
        await tickets.add(tenant_id, candidate)
    except OpenTicketExists as lost:
        winner = await tickets.get(tenant_id, lost.existing_ticket_id)
        if winner is None:
            raise
        return winner, False
    return candidate, True


async def find_or_add_message(
    messages: MessageRepository, tenant_id: UUID, candidate: Message
) -> tuple[Message, bool]:
    """The message stored under the candidate's provider id or idempotency key, else `candidate`."""
    existing = await _find_message(messages, tenant_id, candidate)
    if existing is not None:
        return existing, False
    try:
        await messages.add(tenant_id, candidate)
    except Conflict:
        winner = await _find_message(messages, tenant_id, candidate)
        if winner is None:
            raise
        return winner, False
    return candidate, True


async def find_or_add_contact(
    contacts: ContactRepository, tenant_id: UUID, candidate: Contact
) -> tuple[Contact, bool]:
    """The contact holding one of the candidate's phone identities, LIDs or group JID, else
    `candidate`. When two different contacts hold them, the first found wins: merging them is
    the caller's decision."""
    existing = await _find_contact(contacts, tenant_id, candidate)
    if existing is not None:
        return existing, False
    try:
        await contacts.add(tenant_id, candidate)
    except Conflict:
        winner = await _find_contact(contacts, tenant_id, candidate)
        if winner is None:
            raise
        return winner, False
    return candidate, True


async def _find_message(
    messages: MessageRepository, tenant_id: UUID, candidate: Message
) -> Message | None:
    if candidate.provider_message_id is not None:
        found = await messages.find_by_provider_id(
            tenant_id, candidate.instance_id, candidate.provider_message_id
        )
        if found is not None:
            return found
    if candidate.idempotency_key is not None:
        return await messages.find_by_idempotency_key(tenant_id, candidate.idempotency_key)
    return None


async def _find_contact(
    contacts: ContactRepository, tenant_id: UUID, candidate: Contact
) -> Contact | None:
    for identity in sorted(candidate.phone_identities):
        if (found := await contacts.find_by_phone_identity(tenant_id, identity)) is not None:
            return found
    for lid in sorted(candidate.lid_aliases):
        if (found := await contacts.find_by_lid(tenant_id, lid)) is not None:
            return found
    if candidate.group_jid is not None:
        return await contacts.find_by_group_jid(tenant_id, candidate.group_jid)
    return None
