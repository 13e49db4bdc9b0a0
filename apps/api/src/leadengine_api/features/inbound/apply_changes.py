"""What happens to a stored message afterwards: edits, revokes, reactions and poll votes.

Each finds its target by (instance, provider id); the target of an edit, revoke or reaction
that has not arrived yet is waited for (deferred). Replays change nothing and say so.
"""

from __future__ import annotations

from datetime import datetime

from leadengine_core.events import MessageUpdated
from leadengine_core.instances import WhatsAppInstance
from leadengine_core.messages import Message
from leadengine_core.ports import Clock, UnitOfWork
from leadengine_integrations.normalize import MessageEdit, MessageRevoke, PollVote, Reaction

from leadengine_api.features.inbound.apply_result import (
    APPLIED,
    ApplyResult,
    Reason,
    duplicate,
    ignored,
    waiting_for,
)

POLL_VOTES_KEY = "pollVotes"
UNKNOWN_VOTER = "unknown"


async def apply_edit(
    uow: UnitOfWork, clock: Clock, instance: WhatsAppInstance, event: MessageEdit
) -> ApplyResult:
    if event.new_text is None:
        return ignored(Reason.EMPTY_EDIT)
    message = await _target(uow, instance, event.target_provider_message_id)
    if message is None:
        return waiting_for(event.target_provider_message_id)
    if not message.edit(event.new_text, event.at or clock.now()):
        return duplicate(Reason.EDIT_UNCHANGED)
    return await _save(uow, clock, message, "text")


async def apply_revoke(
    uow: UnitOfWork, clock: Clock, instance: WhatsAppInstance, event: MessageRevoke
) -> ApplyResult:
    message = await _target(uow, instance, event.target_provider_message_id)
    if message is None:
        return waiting_for(event.target_provider_message_id)
    if not message.revoke(event.at or clock.now()):
        return duplicate(Reason.ALREADY_REVOKED)
    return await _save(uow, clock, message, "revoked")


async def apply_reaction(
    uow: UnitOfWork, clock: Clock, instance: WhatsAppInstance, event: Reaction
) -> ApplyResult:
    message = await _target(uow, instance, event.target_provider_message_id)
    if message is None:
        return waiting_for(event.target_provider_message_id)
    if not message.react(event.sender, event.emoji, event.at or clock.now()):
        return duplicate(Reason.REACTION_UNCHANGED)
    return await _save(uow, clock, message, "reactions")


async def apply_poll_vote(
    uow: UnitOfWork, clock: Clock, instance: WhatsAppInstance, event: PollVote
) -> ApplyResult:
    """Minimal on purpose: the voter's current choice in `metadata["pollVotes"]`, replaced by
    the next vote, withdrawn by an empty one. A vote for an unknown poll is dropped, since
    polls are ours and stored before anyone can vote."""
    message = await _target(uow, instance, event.poll_message_id)
    if message is None:
        return ignored(Reason.POLL_NOT_FOUND)
    at = event.at or clock.now()
    votes = dict(_votes(message))
    voter = event.voter or UNKNOWN_VOTER
    choice = [option.text or option.id for option in event.selected]
    if choice:
        votes[voter] = {"options": choice, "at": at.isoformat()}
    else:
        votes.pop(voter, None)
    if _chosen(votes.get(voter)) == _chosen(_votes(message).get(voter)):
        return duplicate(Reason.VOTE_UNCHANGED)
    message.metadata = {**message.metadata, POLL_VOTES_KEY: votes}
    return await _save(uow, clock, message, "poll_votes")


def _votes(message: Message) -> dict[str, object]:
    stored = message.metadata.get(POLL_VOTES_KEY)
    return dict(stored) if isinstance(stored, dict) else {}


def _chosen(vote: object) -> object:
    return vote.get("options") if isinstance(vote, dict) else None


async def _target(
    uow: UnitOfWork, instance: WhatsAppInstance, provider_message_id: str
) -> Message | None:
    return await uow.messages.find_by_provider_id(
        instance.tenant_id, instance.id, provider_message_id
    )


async def _save(uow: UnitOfWork, clock: Clock, message: Message, change: str) -> ApplyResult:
    now: datetime = clock.now()
    message.updated_at = max(message.updated_at, now)
    await uow.messages.update(message.tenant_id, message)
    uow.record(MessageUpdated(occurred_at=now, message=message, changes=frozenset({change})))
    return APPLIED
