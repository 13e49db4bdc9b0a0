"""Apply one normalised webhook event to the tenant's data, inside the caller's unit of work.

The worker calls `apply_event` once per inbox row and commits the row in the same
transaction. Everything is written for `instance.tenant_id` only, so an event can never touch
another tenant's rows, and every outcome but "applied" carries a stable `Reason`.
"""

from __future__ import annotations

from leadengine_core.instances import WhatsAppInstance
from leadengine_core.ports import Clock, IdGenerator, UnitOfWork
from leadengine_integrations.normalize import (
    AckUpdate,
    ConnectionUpdate,
    InboundMessage,
    MessageEdit,
    MessageRevoke,
    PollVote,
    Reaction,
)

from leadengine_api.features.inbound.apply_ack import apply_ack
from leadengine_api.features.inbound.apply_changes import (
    apply_edit,
    apply_poll_vote,
    apply_reaction,
    apply_revoke,
)
from leadengine_api.features.inbound.apply_connection import apply_connection
from leadengine_api.features.inbound.apply_message import apply_message
from leadengine_api.features.inbound.apply_result import ApplyResult, Reason, ignored

__all__ = ["ApplyResult", "InboundEvent", "Reason", "apply_event"]

InboundEvent = (
    InboundMessage
    | MessageEdit
    | MessageRevoke
    | Reaction
    | PollVote
    | AckUpdate
    | ConnectionUpdate
)


async def apply_event(
    uow: UnitOfWork,
    clock: Clock,
    ids: IdGenerator,
    instance: WhatsAppInstance,
    event: InboundEvent,
) -> ApplyResult:
    """A deleted instance's late events are dropped: they must not bring its data back."""
    if instance.is_deleted:
        return ignored(Reason.INSTANCE_DELETED)
    match event:
        case InboundMessage():
            return await apply_message(uow, clock, ids, instance, event)
        case AckUpdate():
            return await apply_ack(uow, clock, instance, event)
        case MessageEdit():
            return await apply_edit(uow, clock, instance, event)
        case MessageRevoke():
            return await apply_revoke(uow, clock, instance, event)
        case Reaction():
            return await apply_reaction(uow, clock, instance, event)
        case PollVote():
            return await apply_poll_vote(uow, clock, instance, event)
        case ConnectionUpdate():
            return await apply_connection(uow, clock, instance, event)
