"""Messages of a ticket, unique per (tenant, instance, provider id) and per idempotency key.

A broker retry or a second worker inserting the same WhatsApp message loses on the unique
index and gets a Conflict naming the stored message (`existingMessageId`). The value objects
a message carries (media, location, shared contacts, sender, edits, reactions) are JSON
documents with snake_case keys and ISO 8601 UTC times.
"""

from __future__ import annotations

from dataclasses import asdict
from datetime import UTC, datetime
from functools import partial
from typing import Any
from uuid import UUID

from leadengine_core.errors import Conflict, DomainError
from leadengine_core.messages import (
    Direction,
    Location,
    MediaInfo,
    Message,
    MessageEdit,
    MessageOrigin,
    MessageSender,
    MessageStatus,
    MessageType,
    Reaction,
    SharedContact,
)
from leadengine_core.pagination import Page
from leadengine_core.ports import DEFAULT_PAGE_SIZE, MessageRepository
from leadengine_core.tenants import ensure_same_tenant
from sqlalchemy import ColumnElement, Row, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from leadengine_storage.integrity import Violation
from leadengine_storage.pagination import Keyset, fetch_page, page_of
from leadengine_storage.repositories.guarded import ensure_changed, guarded, plain_error
from leadengine_storage.tables import messages

__all__ = ["SqlMessageRepository"]

_NEWEST_FIRST = Keyset("messages", messages.c.occurred_at, messages.c.id)
_OLDEST_FIRST = Keyset(
    "messages-oldest-first", messages.c.occurred_at, messages.c.id, oldest_first=True
)


class SqlMessageRepository(MessageRepository):
    def __init__(self, connection: AsyncConnection) -> None:
        self._connection = connection

    async def get(self, tenant_id: UUID, message_id: UUID) -> Message | None:
        query = select(messages).where(
            messages.c.tenant_id == tenant_id, messages.c.id == message_id
        )
        row = (await self._connection.execute(query)).first()
        return None if row is None else _message(row)

    async def add(self, tenant_id: UUID, message: Message) -> None:
        ensure_same_tenant(tenant_id, message.tenant_id)
        statement = insert(messages).values(id=message.id, tenant_id=tenant_id, **_values(message))
        await guarded(
            self._connection,
            lambda: self._connection.execute(statement),
            partial(self._explain, message),
        )

    async def update(self, tenant_id: UUID, message: Message) -> None:
        ensure_same_tenant(tenant_id, message.tenant_id)
        statement = (
            update(messages)
            .where(messages.c.tenant_id == tenant_id, messages.c.id == message.id)
            .values(**_values(message))
        )

        async def work() -> None:
            result = await self._connection.execute(statement)
            ensure_changed(result.rowcount, "message", message.id)

        await guarded(self._connection, work, partial(self._explain, message))

    async def find_by_provider_id(
        self, tenant_id: UUID, instance_id: UUID | None, provider_message_id: str
    ) -> Message | None:
        query = select(messages).where(
            messages.c.tenant_id == tenant_id,
            _instance_slot() == (instance_id or tenant_id),
            messages.c.provider_message_id == provider_message_id,
        )
        row = (await self._connection.execute(query)).first()
        return None if row is None else _message(row)

    async def find_by_idempotency_key(self, tenant_id: UUID, key: str) -> Message | None:
        query = select(messages).where(
            messages.c.tenant_id == tenant_id, messages.c.idempotency_key == key
        )
        row = (await self._connection.execute(query)).first()
        return None if row is None else _message(row)

    async def list_page(
        self,
        tenant_id: UUID,
        ticket_id: UUID,
        *,
        cursor: str | None = None,
        limit: int = DEFAULT_PAGE_SIZE,
        oldest_first: bool = False,
    ) -> Page[Message]:
        query = select(messages).where(
            messages.c.tenant_id == tenant_id, messages.c.ticket_id == ticket_id
        )
        keyset = _OLDEST_FIRST if oldest_first else _NEWEST_FIRST
        page = await fetch_page(self._connection, query, keyset, cursor=cursor, limit=limit)
        return page_of(page, [_message(row) for row in page.items])

    async def _explain(self, message: Message, violation: Violation) -> DomainError:
        tenant_id = message.tenant_id
        match violation.constraint, message.provider_message_id, message.idempotency_key:
            case "uq_messages_provider_message", str(provider_id), _:
                details = {"providerMessageId": provider_id}
                existing = await self.find_by_provider_id(
                    tenant_id, message.instance_id, provider_id
                )
            case "uq_messages_tenant_id_idempotency_key", _, str(key):
                details = {"idempotencyKey": key}
                existing = await self.find_by_idempotency_key(tenant_id, key)
            case _:
                return plain_error(violation, "message", message.id)
        if existing is not None:
            details["existingMessageId"] = str(existing.id)
        return Conflict("the message is already stored", details=details)


def _instance_slot() -> ColumnElement[UUID]:
    """The account a provider id belongs to, as `uq_messages_provider_message` spells it (the
    tenant id stands for "no instance"), so a lookup finds exactly the row that blocks an
    insert, through that index. An extra `instance_id = …` term would make SQLite pick a worse
    index."""
    return func.coalesce(messages.c.instance_id, messages.c.tenant_id)


def _values(message: Message) -> dict[str, Any]:
    return {
        "ticket_id": message.ticket_id,
        "contact_id": message.contact_id,
        "instance_id": message.instance_id,
        "author_id": message.author_id,
        "direction": message.direction.value,
        "origin": message.origin.value,
        "type": message.type.value,
        "status": message.status.value,
        "text": message.text,
        "caption": message.caption,
        "media": None if message.media is None else asdict(message.media),
        "location": None if message.location is None else asdict(message.location),
        "contacts": [asdict(shared) for shared in message.contacts],
        "sender": None if message.sender is None else asdict(message.sender),
        "provider_message_id": message.provider_message_id,
        "idempotency_key": message.idempotency_key,
        "quoted_provider_id": message.quoted_provider_id,
        "edit_history": [
            {"previous_text": edit.previous_text, "edited_at": _iso(edit.edited_at)}
            for edit in message.edit_history
        ],
        "reactions": {
            key: {
                "sender": reaction.sender,
                "emoji": reaction.emoji,
                "reacted_at": _iso(reaction.reacted_at),
            }
            for key, reaction in message.reactions.items()
        },
        "revoked_at": message.revoked_at,
        "failure_reason": message.failure_reason,
        "metadata": message.metadata,
        "occurred_at": message.occurred_at,
        "delivered_at": message.delivered_at,
        "read_at": message.read_at,
        "created_at": message.created_at,
        "updated_at": message.updated_at,
    }


def _message(row: Row[Any]) -> Message:
    values = row._mapping
    media, location, sender = values["media"], values["location"], values["sender"]
    return Message(
        tenant_id=values["tenant_id"],
        id=values["id"],
        ticket_id=values["ticket_id"],
        contact_id=values["contact_id"],
        instance_id=values["instance_id"],
        author_id=values["author_id"],
        direction=Direction(values["direction"]),
        origin=MessageOrigin(values["origin"]),
        type=MessageType(values["type"]),
        status=MessageStatus(values["status"]),
        text=values["text"],
        caption=values["caption"],
        media=None if media is None else MediaInfo(**media),
        location=None if location is None else Location(**location),
        contacts=[SharedContact(**shared) for shared in values["contacts"] or []],
        sender=None if sender is None else MessageSender(**sender),
        provider_message_id=values["provider_message_id"],
        idempotency_key=values["idempotency_key"],
        quoted_provider_id=values["quoted_provider_id"],
        edit_history=[
            MessageEdit(previous_text=edit["previous_text"], edited_at=_time(edit["edited_at"]))
            for edit in values["edit_history"]
        ],
        revoked_at=values["revoked_at"],
        reactions={
            key: Reaction(
                sender=reaction["sender"],
                emoji=reaction["emoji"],
                reacted_at=_time(reaction["reacted_at"]),
            )
            for key, reaction in values["reactions"].items()
        },
        failure_reason=values["failure_reason"],
        metadata=values["metadata"],
        occurred_at=values["occurred_at"],
        delivered_at=values["delivered_at"],
        read_at=values["read_at"],
        created_at=values["created_at"],
        updated_at=values["updated_at"],
    )


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat()


def _time(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(UTC)
