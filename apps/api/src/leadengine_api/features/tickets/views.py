"""A ticket as the API shows it, with the contact and lead a client asked to embed."""

from __future__ import annotations

from uuid import UUID

from leadengine_contracts.leads import LeadOut
from leadengine_contracts.tickets import TicketOut
from leadengine_core.ports import UnitOfWork
from leadengine_core.tickets import Ticket

from leadengine_api.features.contacts.views import contact_out
from leadengine_api.features.tickets.query import TicketInclude

__all__ = ["ticket_out"]


async def ticket_out(
    uow: UnitOfWork, tenant_id: UUID, ticket: Ticket, include: frozenset[TicketInclude]
) -> TicketOut:
    contact = lead = None
    if TicketInclude.CONTACT in include:
        found = await uow.contacts.get(tenant_id, ticket.contact_id)
        contact = None if found is None else await contact_out(uow, tenant_id, found)
    if TicketInclude.LEAD in include:
        found_lead = await uow.leads.get_by_contact(tenant_id, ticket.contact_id)
        lead = None if found_lead is None else LeadOut.from_domain(found_lead)
    return TicketOut.from_domain(ticket, contact=contact, lead=lead)
