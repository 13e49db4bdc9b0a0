"""Merge duplicate contacts into one, inside the caller's unit of work (one transaction).

For each source, in order:
1. Open tickets: the target keeps one open ticket per WhatsApp instance. When the source has an
   open ticket on an instance where the target also has one, the source's is CLOSED with reason
   `merged` (by the caller) before it moves, so the one-open-ticket rule holds. Every other
   ticket moves as it is, with its notes and messages.
2. Lead: one per contact. The target's lead is kept and absorbs the source's (values fill gaps,
   tags unite, notes are kept, the history moves over); a target without a lead takes the
   source's as it is.
3. Identities (phones, LIDs), emails, tags and custom fields join the target's, whose own
   values win; then the source is deleted.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from uuid import UUID

from leadengine_core.contacts import Contact
from leadengine_core.errors import NotFound
from leadengine_core.events import LeadUpdated, TicketUpdated
from leadengine_core.ports import Clock, UnitOfWork
from leadengine_core.tickets import Ticket, TicketFilter

from leadengine_api.features.tickets.lookups import contact_of

__all__ = ["MERGED_CLOSE_REASON", "merge_contacts"]

MERGED_CLOSE_REASON = "merged"
_TICKETS_PER_READ = 100


async def merge_contacts(
    uow: UnitOfWork,
    clock: Clock,
    tenant_id: UUID,
    target_id: UUID,
    source_ids: Sequence[UUID],
    *,
    actor_id: UUID | None,
) -> Contact:
    """The target with everything of the sources; every id must be the tenant's (else 404)."""
    target = await contact_of(uow, tenant_id, target_id)
    sources = await uow.contacts.get_many(tenant_id, source_ids)
    missing = set(source_ids) - {source.id for source in sources}
    if missing:
        raise NotFound(
            "some contacts do not exist", details={"sourceIds": sorted(map(str, missing))}
        )
    at = clock.now()
    for source in sources:
        target.merge_from(source, at=at)
        await _move_tickets(uow, tenant_id, source, target, at, actor_id)
        await _fold_lead(uow, tenant_id, source, target, at)
        await uow.contacts.reassign_contact(tenant_id, source.id, target.id)
        await uow.contacts.remove(tenant_id, source.id)
    await uow.contacts.update(tenant_id, target)
    return target


async def _move_tickets(
    uow: UnitOfWork,
    tenant_id: UUID,
    source: Contact,
    target: Contact,
    at: datetime,
    actor_id: UUID | None,
) -> None:
    """Close the source's tickets whose open slot the target holds, and announce every move
    (`reassign_contact` then re-points them all at once)."""
    for ticket in await _tickets_of(uow, tenant_id, source.id):
        changes = {"contact_id"}
        if ticket.is_open and await uow.tickets.find_open(tenant_id, target.id, ticket.instance_id):
            ticket.close(at=at, actor_id=actor_id, reason=MERGED_CLOSE_REASON)
            await uow.tickets.update(tenant_id, ticket)
            changes.add("status")
        ticket.contact_id = target.id
        uow.record(TicketUpdated(occurred_at=at, ticket=ticket, changes=frozenset(changes)))


async def _tickets_of(uow: UnitOfWork, tenant_id: UUID, contact_id: UUID) -> list[Ticket]:
    """Every ticket of the contact, read before anything changes."""
    filters, tickets, cursor = TicketFilter(contact_id=contact_id), list[Ticket](), None
    while True:
        page = await uow.tickets.list_page(
            tenant_id, filters, cursor=cursor, limit=_TICKETS_PER_READ
        )
        tickets.extend(page.items)
        if page.next_cursor is None:
            return tickets
        cursor = page.next_cursor


async def _fold_lead(
    uow: UnitOfWork, tenant_id: UUID, source: Contact, target: Contact, at: datetime
) -> None:
    lead = await uow.leads.get_by_contact(tenant_id, source.id)
    if lead is None:
        return
    kept = await uow.leads.get_by_contact(tenant_id, target.id)
    if kept is None:
        lead.contact_id, lead.updated_at = target.id, at
        await uow.leads.update(tenant_id, lead)
        uow.record(LeadUpdated(occurred_at=at, lead=lead))
        return
    kept.merge_from(lead, at=at)
    await uow.leads.fold_into(tenant_id, lead.id, kept.id)
    await uow.leads.update(tenant_id, kept)
    uow.record(LeadUpdated(occurred_at=at, lead=kept))
