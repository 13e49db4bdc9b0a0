"""apply_event for chat messages, on the real storage (SQLite and PostgreSQL): contacts, leads,
tickets and message rows from realistic webhook bodies parsed by the normaliser."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

import pytest
from leadengine_api.features.inbound.apply import ApplyResult, InboundEvent, apply_event
from leadengine_core.contacts import Contact, ContactKind
from leadengine_core.events import MessageCreated, TicketCreated
from leadengine_core.jid import JidKind
from leadengine_core.leads import LeadActivityType
from leadengine_core.messages import Direction, Message, MessageOrigin, MessageStatus, MessageType
from leadengine_core.phone import phone_identity
from leadengine_core.queues import DEFAULT_QUEUE_NAME
from leadengine_core.tickets import Ticket, TicketFilter, TicketStatus
from leadengine_integrations.normalize import IgnoredEvent, InboundMessage, RejectedEvent
from leadengine_integrations.normalize import samples as s
from leadengine_integrations.normalize.envelope import parse_webhook
from leadengine_shared.testing import postgres_url
from leadengine_storage.testing import (
    NewUnitOfWork,
    SeededTenant,
    database_url,
    engine,
    factory,
    new_uow,
    postgres_database_url,
    sqlite_database_url,
    store_committed,
    tenant_a,
    tenant_b,
)

__all__ = [
    "database_url",
    "engine",
    "factory",
    "new_uow",
    "postgres_database_url",
    "postgres_url",
    "sqlite_database_url",
    "tenant_a",
    "tenant_b",
]

WHATSAPP_TIME = datetime.fromtimestamp(s.TIMESTAMP, UTC)
NEW_JID = "5511955554444@s.whatsapp.net"
NEW_PHONE = "+5511955554444"
NEW_LID = "99887766554433@lid"


def events_of(body: dict[str, Any]) -> list[InboundEvent]:
    events: list[InboundEvent] = []
    for item in parse_webhook(body).items:
        assert not isinstance(item.event, IgnoredEvent | RejectedEvent), item.event
        events.append(item.event)
    return events


async def apply_events(
    new_uow: NewUnitOfWork, tenant: SeededTenant, events: list[InboundEvent]
) -> list[ApplyResult]:
    """Each event in a unit of work of its own, committed, as the worker does."""
    results = []
    for event in events:
        async with new_uow() as uow:
            instance = await uow.instances.get(tenant.id, tenant.instance.id)
            assert instance is not None
            results.append(
                await apply_event(uow, tenant.factory.clock, tenant.factory.ids, instance, event)
            )
            await uow.commit()
    return results


async def deliver(
    new_uow: NewUnitOfWork, tenant: SeededTenant, *messages: dict[str, Any]
) -> list[ApplyResult]:
    """Raw upserts of `messages`, one webhook body each, to the tenant's instance."""
    events = [e for m in messages for e in events_of(upsert(tenant, m))]
    return await apply_events(new_uow, tenant, events)


def upsert(tenant: SeededTenant, *messages: dict[str, Any]) -> dict[str, Any]:
    return s.upsert(*messages, instance=tenant.instance.broker_id)


async def stored(new_uow: NewUnitOfWork, tenant: SeededTenant, provider_id: str) -> Message:
    async with new_uow() as uow:
        message = await uow.messages.find_by_provider_id(tenant.id, tenant.instance.id, provider_id)
    assert message is not None
    return message


async def contact_by_phone(new_uow: NewUnitOfWork, tenant: SeededTenant, phone: str) -> Contact:
    async with new_uow() as uow:
        contact = await uow.contacts.find_by_phone_identity(tenant.id, phone_identity(phone))
    assert contact is not None
    return contact


async def tickets_of(
    new_uow: NewUnitOfWork, tenant: SeededTenant, contact_id: UUID
) -> list[Ticket]:
    async with new_uow() as uow:
        page = await uow.tickets.list_page(tenant.id, TicketFilter(contact_id=contact_id))
    return list(page.items)


async def thread(new_uow: NewUnitOfWork, tenant: SeededTenant, ticket_id: UUID) -> list[Message]:
    async with new_uow() as uow:
        page = await uow.messages.list_page(tenant.id, ticket_id)
    return list(page.items)


async def test_a_text_message_files_contact_lead_ticket_and_message(
    new_uow: NewUnitOfWork, tenant_a: SeededTenant
) -> None:
    async with new_uow() as uow:
        instance = await uow.instances.get(tenant_a.id, tenant_a.instance.id)
        assert instance is not None
        (event,) = events_of(upsert(tenant_a, s.wamessage(s.TEXT)))
        clock, ids = tenant_a.factory.clock, tenant_a.factory.ids
        assert await apply_event(uow, clock, ids, instance, event) == ApplyResult("applied")
        await uow.commit()
        recorded = {type(e) for e in uow.collect_events()}
    assert {MessageCreated, TicketCreated} <= recorded

    contact = await contact_by_phone(new_uow, tenant_a, s.CUSTOMER_PHONE)
    assert contact.id == tenant_a.contact.id
    assert contact.name == "Maria Souza"  # a name already there is never replaced by pushName
    assert {"whatsapp", "inbound"} <= set(contact.tags)
    assert contact.last_interaction_at == WHATSAPP_TIME

    (ticket,) = await tickets_of(new_uow, tenant_a, contact.id)
    assert (ticket.status, ticket.queue_id, ticket.instance_id) == (
        TicketStatus.OPEN,
        tenant_a.queue.id,
        tenant_a.instance.id,
    )
    assert ticket.unread_count == 1
    assert ticket.last_message_at == WHATSAPP_TIME
    assert ticket.last_message_preview == s.TEXT["conversation"]

    message = await stored(new_uow, tenant_a, s.MESSAGE_ID)
    assert (message.direction, message.origin, message.type) == (
        Direction.INBOUND,
        MessageOrigin.BROKER,
        MessageType.TEXT,
    )
    assert message.text == s.TEXT["conversation"]
    assert message.occurred_at == WHATSAPP_TIME
    assert (message.ticket_id, message.contact_id) == (ticket.id, contact.id)
    assert not message.is_dispatchable

    async with new_uow() as uow:
        lead = await uow.leads.get_by_contact(tenant_a.id, contact.id)
        assert lead is not None
        activities = (await uow.leads.list_activities(tenant_a.id, lead.id)).items
    assert lead.source == "WHATSAPP"
    assert [a.type for a in activities] == [
        LeadActivityType.CREATED,
        LeadActivityType.WHATSAPP_REPLIED,
    ]
    assert activities[1].metadata["providerMessageId"] == s.MESSAGE_ID


async def test_a_new_person_is_named_from_push_name(
    new_uow: NewUnitOfWork, tenant_a: SeededTenant
) -> None:
    await deliver(new_uow, tenant_a, s.wamessage(s.TEXT, remote_jid=NEW_JID, push_name="Joana"))
    contact = await contact_by_phone(new_uow, tenant_a, NEW_PHONE)
    assert (contact.name, contact.primary_phone, contact.kind) == (
        "Joana",
        NEW_PHONE,
        ContactKind.PERSON,
    )


async def test_a_quote_is_kept(new_uow: NewUnitOfWork, tenant_a: SeededTenant) -> None:
    await deliver(new_uow, tenant_a, s.wamessage(s.EXTENDED_TEXT_WITH_QUOTE))
    message = await stored(new_uow, tenant_a, s.MESSAGE_ID)
    assert message.text == "Esse aqui https://example.com/boleto"
    assert message.quoted_provider_id == s.TARGET_ID
    assert message.metadata["quoted"] == {
        "participant": "5511900001001@s.whatsapp.net",
        "text": "Pode mandar o link?",
    }


@pytest.mark.parametrize(
    ("content", "kind", "mime", "size", "file_name", "caption", "voice_note"),
    [
        (s.IMAGE, MessageType.IMAGE, "image/jpeg", 48211, None, "boleto", False),
        (s.VIDEO, MessageType.VIDEO, "video/mp4", 1048576, None, "olha isso", False),
        (s.VOICE_NOTE, MessageType.AUDIO, "audio/ogg; codecs=opus", 18342, None, None, True),
        (s.DOCUMENT, MessageType.DOCUMENT, "application/pdf", 88410, "contrato.pdf", None, False),
        (
            s.DOCUMENT_WITH_CAPTION,
            MessageType.DOCUMENT,
            "application/pdf",
            88410,
            "contrato.pdf",
            "segue",
            False,
        ),
        (s.STICKER, MessageType.STICKER, "image/webp", 20480, None, None, False),
    ],
    ids=["image", "video", "voice-note", "document", "document-with-caption", "sticker"],
)
async def test_media_messages_keep_what_is_needed_to_fetch_them(
    new_uow: NewUnitOfWork,
    tenant_a: SeededTenant,
    content: dict[str, Any],
    kind: MessageType,
    mime: str,
    size: int,
    file_name: str | None,
    caption: str | None,
    voice_note: bool,
) -> None:
    await deliver(new_uow, tenant_a, s.wamessage(content))
    message = await stored(new_uow, tenant_a, s.MESSAGE_ID)
    assert message.type is kind
    assert message.caption == caption
    media = message.media
    assert media is not None
    assert (media.mime_type, media.size, media.file_name) == (mime, size, file_name)
    assert media.is_voice_note is voice_note
    assert media.direct_path is not None
    assert media.media_key is not None
    assert media.url is None  # a WhatsApp CDN URL is never stored as viewable (lesson 13)
    (ticket,) = await tickets_of(new_uow, tenant_a, message.contact_id)
    assert ticket.last_message_preview == (caption or f"[{kind.value.lower()}]")


async def test_locations_and_shared_contacts(
    new_uow: NewUnitOfWork, tenant_a: SeededTenant
) -> None:
    await deliver(
        new_uow,
        tenant_a,
        s.wamessage(s.LOCATION, message_id="3A01"),
        s.wamessage(s.LIVE_LOCATION, message_id="3A02"),
        s.wamessage(s.CONTACTS_ARRAY, message_id="3A03"),
    )
    place = await stored(new_uow, tenant_a, "3A01")
    assert place.type is MessageType.LOCATION
    assert place.location is not None
    assert (place.location.latitude, place.location.name) == (-19.9166813, "Praça da Liberdade")
    live = await stored(new_uow, tenant_a, "3A02")
    assert live.metadata["liveLocation"] is True
    cards = await stored(new_uow, tenant_a, "3A03")
    assert cards.type is MessageType.CONTACT
    assert [card.display_name for card in cards.contacts] == ["Maria Souza", "Loja"]
    async with new_uow() as uow:  # a shared vCard never becomes a CRM contact
        assert await uow.contacts.find_by_phone_identity(tenant_a.id, "+5511977776666") is None


@pytest.mark.parametrize(
    ("content", "text", "kind", "selected_id"),
    [
        (s.BUTTONS_REPLY, "Sim, quero", "buttons", "btn-yes"),
        (s.LIST_REPLY, "Plano Ouro", "list", "plan-gold"),
        (s.TEMPLATE_REPLY, "Confirmar", "template", "tpl-confirm"),
        (s.INTERACTIVE_REPLY, "Agendar visita", "interactive", "visit-tomorrow"),
    ],
    ids=["buttons", "list", "template", "interactive"],
)
async def test_replies_keep_the_visible_text_and_the_selected_id(
    new_uow: NewUnitOfWork,
    tenant_a: SeededTenant,
    content: dict[str, Any],
    text: str,
    kind: str,
    selected_id: str,
) -> None:
    await deliver(new_uow, tenant_a, s.wamessage(content))
    message = await stored(new_uow, tenant_a, s.MESSAGE_ID)
    assert message.text == text
    assert message.metadata["reply"] == {"kind": kind, "selectedId": selected_id}


async def test_a_poll_we_created_is_stored_with_its_options(
    new_uow: NewUnitOfWork, tenant_a: SeededTenant
) -> None:
    await deliver(new_uow, tenant_a, s.wamessage(s.POLL_CREATION, from_me=True, message_id="3A44"))
    poll = await stored(new_uow, tenant_a, "3A44")
    assert poll.type is MessageType.POLL
    assert poll.metadata["poll"] == {
        "question": "Qual horário?",
        "options": ["Manhã", "Tarde"],
        "selectableCount": 1,
    }


async def test_ephemeral_and_view_once_messages(
    new_uow: NewUnitOfWork, tenant_a: SeededTenant
) -> None:
    await deliver(
        new_uow,
        tenant_a,
        s.wamessage({"ephemeralMessage": {"message": s.TEXT}}, message_id="3A01"),
        s.wamessage({"viewOnceMessageV2": {"message": s.IMAGE}}, message_id="3A02"),
        s.wamessage(None, message_id="3A03", isViewOnce=True),
    )
    ephemeral = await stored(new_uow, tenant_a, "3A01")
    assert (ephemeral.text, ephemeral.metadata["ephemeral"]) == (s.TEXT["conversation"], True)
    view_once = await stored(new_uow, tenant_a, "3A02")
    assert (view_once.type, view_once.metadata["viewOnce"]) == (MessageType.IMAGE, True)
    withheld = await stored(new_uow, tenant_a, "3A03")  # the server kept the content from us
    assert (withheld.type, withheld.metadata["viewOnce"]) == (MessageType.UNKNOWN, True)


async def test_unknown_content_is_stored_as_unknown(
    new_uow: NewUnitOfWork, tenant_a: SeededTenant
) -> None:
    assert await deliver(new_uow, tenant_a, s.wamessage(s.EVENT_MESSAGE)) == [
        ApplyResult("applied")
    ]
    message = await stored(new_uow, tenant_a, s.MESSAGE_ID)
    assert (message.type, message.text) == (MessageType.UNKNOWN, None)
    assert message.metadata["contentKey"] == "eventMessage"


@pytest.mark.parametrize(
    "timestamp",
    [str(s.TIMESTAMP), {"low": s.TIMESTAMP, "high": 0, "unsigned": True}, s.TIMESTAMP * 1000],
    ids=["numeric-string", "long", "milliseconds"],
)
async def test_message_time_is_whatsapp_time(
    new_uow: NewUnitOfWork, tenant_a: SeededTenant, timestamp: object
) -> None:
    await deliver(new_uow, tenant_a, s.wamessage(s.TEXT, timestamp=timestamp))
    assert (await stored(new_uow, tenant_a, s.MESSAGE_ID)).occurred_at == WHATSAPP_TIME


async def test_without_a_timestamp_the_message_time_is_now(
    new_uow: NewUnitOfWork, tenant_a: SeededTenant
) -> None:
    body = s.wamessage(s.TEXT)
    del body["messageTimestamp"]
    await deliver(new_uow, tenant_a, body)
    message = await stored(new_uow, tenant_a, s.MESSAGE_ID)
    assert message.occurred_at == tenant_a.factory.clock.now()


async def test_brazilian_ninth_digit_variants_are_one_contact_and_one_ticket(
    new_uow: NewUnitOfWork, tenant_a: SeededTenant
) -> None:
    await deliver(
        new_uow,
        tenant_a,
        s.wamessage(s.TEXT, remote_jid="553188887777@s.whatsapp.net", message_id="3A01"),
        s.wamessage(s.TEXT, remote_jid=s.CUSTOMER_JID, message_id="3A02"),
    )
    first, second = await stored(new_uow, tenant_a, "3A01"), await stored(new_uow, tenant_a, "3A02")
    assert first.contact_id == second.contact_id == tenant_a.contact.id
    assert first.ticket_id == second.ticket_id


async def test_a_lid_contact_merges_into_the_phone_contact_when_the_phone_is_revealed(
    new_uow: NewUnitOfWork, tenant_a: SeededTenant
) -> None:
    await deliver(
        new_uow, tenant_a, s.wamessage(s.TEXT, remote_jid=s.CUSTOMER_LID, message_id="3A01")
    )
    async with new_uow() as uow:
        lid_contact = await uow.contacts.find_by_lid(tenant_a.id, s.CUSTOMER_LID)
    assert lid_contact is not None
    assert lid_contact.id != tenant_a.contact.id
    assert lid_contact.primary_phone is None  # LID digits are never a phone

    await deliver(
        new_uow,
        tenant_a,
        s.wamessage(
            s.TEXT, remote_jid=s.CUSTOMER_LID, remoteJidAlt=s.CUSTOMER_JID, message_id="3A02"
        ),
    )
    async with new_uow() as uow:
        by_lid = await uow.contacts.find_by_lid(tenant_a.id, s.CUSTOMER_LID)
        gone = await uow.contacts.get(tenant_a.id, lid_contact.id)
        lead = await uow.leads.get_by_contact(tenant_a.id, tenant_a.contact.id)
    assert by_lid is not None
    assert by_lid.id == tenant_a.contact.id  # the older contact survives
    assert gone is None
    assert lead is not None  # the duplicate's lead moved with it
    (ticket,) = await tickets_of(new_uow, tenant_a, tenant_a.contact.id)
    assert [m.provider_message_id for m in await thread(new_uow, tenant_a, ticket.id)] == [
        "3A02",
        "3A01",
    ]
    assert {m.contact_id for m in await thread(new_uow, tenant_a, ticket.id)} == {
        tenant_a.contact.id
    }


async def test_the_raw_view_of_a_summary_links_the_lid_it_reveals(
    new_uow: NewUnitOfWork, tenant_a: SeededTenant
) -> None:
    """The broker's summary names only the phone; Baileys' raw view of the same message also
    names the LID, which an older LID-only contact holds: the two become one."""
    await deliver(new_uow, tenant_a, s.wamessage(s.TEXT, remote_jid=NEW_LID, message_id="3A01"))
    contract = events_of(
        s.message_inbound(
            message_id="3A02",
            chat_id=NEW_JID,
            phone=NEW_PHONE,
            instance=tenant_a.instance.broker_id,
        )
    )
    raw = events_of(
        upsert(
            tenant_a,
            s.wamessage(s.TEXT, remote_jid=NEW_LID, remoteJidAlt=NEW_JID, message_id="3A02"),
        )
    )
    assert await apply_events(new_uow, tenant_a, contract + raw) == [ApplyResult("applied")] * 2
    async with new_uow() as uow:
        by_lid = await uow.contacts.find_by_lid(tenant_a.id, NEW_LID)
    by_phone = await contact_by_phone(new_uow, tenant_a, NEW_PHONE)
    assert by_lid is not None
    assert by_lid.id == by_phone.id
    (ticket,) = [t for t in await tickets_of(new_uow, tenant_a, by_phone.id) if t.is_open]
    assert {m.provider_message_id for m in await thread(new_uow, tenant_a, ticket.id)} == {
        "3A01",
        "3A02",
    }


async def test_merging_two_open_tickets_keeps_one_with_every_message(
    new_uow: NewUnitOfWork, tenant_a: SeededTenant
) -> None:
    await deliver(
        new_uow,
        tenant_a,
        s.wamessage(s.TEXT, message_id="3A01"),
        s.wamessage(s.TEXT, remote_jid=s.CUSTOMER_LID, message_id="3A02"),
        s.wamessage(
            s.TEXT, remote_jid=s.CUSTOMER_LID, remoteJidAlt=s.CUSTOMER_JID, message_id="3A03"
        ),
    )
    tickets = await tickets_of(new_uow, tenant_a, tenant_a.contact.id)
    assert sorted((t.status, t.close_reason) for t in tickets) == [
        (TicketStatus.CLOSED, "merged"),
        (TicketStatus.OPEN, None),
    ]
    (open_ticket,) = [t for t in tickets if t.is_open]
    messages = await thread(new_uow, tenant_a, open_ticket.id)
    assert {m.provider_message_id for m in messages} == {"3A01", "3A02", "3A03"}
    assert open_ticket.unread_count == 3


async def test_a_group_is_one_contact_and_one_ticket_with_participant_senders(
    new_uow: NewUnitOfWork, tenant_a: SeededTenant
) -> None:
    await deliver(
        new_uow,
        tenant_a,
        s.wamessage(
            s.TEXT,
            remote_jid=s.GROUP_JID,
            participant=s.MEMBER_LID,
            participantAlt=s.MEMBER_JID,
            push_name="Carlos",
            message_id="3A01",
        ),
        s.wamessage(
            s.TEXT, remote_jid=s.GROUP_JID, participant=NEW_JID, push_name="Bia", message_id="3A02"
        ),
    )
    first, second = await stored(new_uow, tenant_a, "3A01"), await stored(new_uow, tenant_a, "3A02")
    assert first.ticket_id == second.ticket_id
    assert first.sender is not None
    assert second.sender is not None
    assert (first.sender.phone, first.sender.name) == (s.MEMBER_PHONE, "Carlos")
    assert (second.sender.jid, second.sender.name) == (NEW_JID, "Bia")
    async with new_uow() as uow:
        group = await uow.contacts.find_by_group_jid(tenant_a.id, s.GROUP_JID)
        members = [
            await uow.contacts.find_by_phone_identity(tenant_a.id, phone)
            for phone in (s.MEMBER_PHONE, NEW_PHONE)
        ]
        lead = await uow.leads.get_by_contact(tenant_a.id, first.contact_id)
    assert group is not None
    assert group.id == first.contact_id
    assert (group.kind, group.name) == (ContactKind.GROUP, None)  # never named after a member
    assert members == [None, None]  # participants are senders, not contacts
    assert lead is None


async def test_our_own_messages_are_sent_broker_rows_that_never_rename(
    new_uow: NewUnitOfWork, tenant_a: SeededTenant
) -> None:
    await deliver(
        new_uow,
        tenant_a,
        s.wamessage(s.TEXT, remote_jid=NEW_JID, from_me=True, push_name="Loja", message_id="3A01"),
    )
    message = await stored(new_uow, tenant_a, "3A01")
    assert (message.direction, message.status, message.origin) == (
        Direction.OUTBOUND,
        MessageStatus.SENT,
        MessageOrigin.BROKER,
    )
    assert not message.is_dispatchable
    contact = await contact_by_phone(new_uow, tenant_a, NEW_PHONE)
    assert contact.name is None
    (ticket,) = await tickets_of(new_uow, tenant_a, contact.id)
    assert ticket.unread_count == 0


async def test_the_echo_of_our_send_is_a_duplicate_that_still_advances_the_status(
    new_uow: NewUnitOfWork, tenant_a: SeededTenant
) -> None:
    ticket = tenant_a.ticket()
    own = tenant_a.factory.message(
        ticket,
        direction=Direction.OUTBOUND,
        origin=MessageOrigin.AGENT,
        status=MessageStatus.SENT,
        provider_message_id=s.MESSAGE_ID,
    )
    await store_committed(new_uow, ticket, own)
    echo = s.wamessage(s.TEXT, from_me=True)
    echo["status"] = "DELIVERY_ACK"
    assert await deliver(new_uow, tenant_a, echo) == [ApplyResult("duplicate", "message_exists")]
    message = await stored(new_uow, tenant_a, s.MESSAGE_ID)
    assert (message.id, message.origin, message.status) == (
        own.id,
        MessageOrigin.AGENT,
        MessageStatus.DELIVERED,
    )


async def test_the_contract_event_then_the_raw_upsert_is_one_row_enriched(
    new_uow: NewUnitOfWork, tenant_a: SeededTenant
) -> None:
    instance_key = tenant_a.instance.broker_id
    contract = events_of(
        s.message_inbound(
            message_type="image",
            text=None,
            media={"mimetype": "image/jpeg", "caption": "boleto"},
            instance=instance_key,
        )
    )
    image = dict(s.IMAGE)
    image["imageMessage"] = {
        **s.IMAGE["imageMessage"],
        "contextInfo": {"stanzaId": s.TARGET_ID, "quotedMessage": {"conversation": "e aí?"}},
    }
    raw = events_of(upsert(tenant_a, s.wamessage(image)))
    results = await apply_events(new_uow, tenant_a, contract + raw + raw)
    assert [r.outcome for r in results] == ["applied", "applied", "duplicate"]
    message = await stored(new_uow, tenant_a, s.MESSAGE_ID)
    assert message.caption == "boleto"
    assert message.quoted_provider_id == s.TARGET_ID
    assert message.media is not None
    assert (message.media.size, message.media.media_key) == (
        48211,
        s.IMAGE["imageMessage"]["mediaKey"],
    )
    (ticket,) = await tickets_of(new_uow, tenant_a, message.contact_id)
    assert len(await thread(new_uow, tenant_a, ticket.id)) == 1
    assert ticket.unread_count == 1


async def test_a_selected_reply_id_enriches_the_contract_row(
    new_uow: NewUnitOfWork, tenant_a: SeededTenant
) -> None:
    contract = events_of(s.message_inbound(text="Plano Ouro", instance=tenant_a.instance.broker_id))
    raw = events_of(upsert(tenant_a, s.wamessage(s.LIST_REPLY)))
    await apply_events(new_uow, tenant_a, contract + raw)
    message = await stored(new_uow, tenant_a, s.MESSAGE_ID)
    assert message.metadata["reply"] == {"kind": "list", "selectedId": "plan-gold"}


async def test_five_deliveries_are_one_row_one_unread_and_one_activity(
    new_uow: NewUnitOfWork, tenant_a: SeededTenant
) -> None:
    results = await deliver(new_uow, tenant_a, *[s.wamessage(s.TEXT)] * 5)
    assert results == [ApplyResult("applied")] + [ApplyResult("duplicate", "message_exists")] * 4
    (ticket,) = await tickets_of(new_uow, tenant_a, tenant_a.contact.id)
    assert len(await thread(new_uow, tenant_a, ticket.id)) == 1
    assert ticket.unread_count == 1
    async with new_uow() as uow:
        lead = await uow.leads.get_by_contact(tenant_a.id, tenant_a.contact.id)
        assert lead is not None
        activities = (await uow.leads.list_activities(tenant_a.id, lead.id)).items
    assert [a.type for a in activities].count(LeadActivityType.WHATSAPP_REPLIED) == 1


async def test_a_tenant_without_queues_gets_the_default_queue(
    new_uow: NewUnitOfWork, tenant_a: SeededTenant
) -> None:
    other = tenant_a.factory.for_tenant(tenant_a.factory.ids.new_id())
    tenant, instance = other.tenant(), other.instance()
    await store_committed(new_uow, tenant, instance)
    seeded = SeededTenant(other, tenant, other.queue(), instance, other.contact())
    await deliver(new_uow, seeded, s.wamessage(s.TEXT))
    async with new_uow() as uow:
        queues = await uow.queues.list_all(tenant.id)
    assert [q.name for q in queues] == [DEFAULT_QUEUE_NAME]
    message = await stored(new_uow, seeded, s.MESSAGE_ID)
    (ticket,) = await tickets_of(new_uow, seeded, message.contact_id)
    assert ticket.queue_id == queues[0].id


async def test_an_instance_only_ever_writes_its_own_tenant(
    new_uow: NewUnitOfWork, tenant_a: SeededTenant, tenant_b: SeededTenant
) -> None:
    await deliver(new_uow, tenant_a, s.wamessage(s.TEXT))
    assert await tickets_of(new_uow, tenant_b, tenant_b.contact.id) == []
    async with new_uow() as uow:
        assert await uow.leads.get_by_contact(tenant_b.id, tenant_b.contact.id) is None
        b_contact = await uow.contacts.get(tenant_b.id, tenant_b.contact.id)
        assert b_contact is not None
        assert b_contact.tags == []
    # The same WhatsApp id on another tenant's instance is another message.
    assert await deliver(new_uow, tenant_b, s.wamessage(s.TEXT)) == [ApplyResult("applied")]
    a_row, b_row = (
        await stored(new_uow, tenant_a, s.MESSAGE_ID),
        await stored(new_uow, tenant_b, s.MESSAGE_ID),
    )
    assert (a_row.tenant_id, b_row.tenant_id) == (tenant_a.id, tenant_b.id)
    assert a_row.id != b_row.id


@pytest.mark.parametrize(
    ("chat", "kind", "reason"),
    [
        ("status@broadcast", JidKind.BROADCAST, "status_broadcast"),
        ("120363400000000099@newsletter", JidKind.NEWSLETTER, "newsletter"),
        ("0@c.us", JidKind.OTHER, "unsupported_chat"),
    ],
)
async def test_status_posts_and_channels_are_ignored(
    new_uow: NewUnitOfWork, tenant_a: SeededTenant, chat: str, kind: JidKind, reason: str
) -> None:
    (event,) = events_of(upsert(tenant_a, s.wamessage(s.TEXT)))
    assert isinstance(event, InboundMessage)
    off_chat = dataclasses.replace(event, chat=chat, chat_kind=kind)
    assert await apply_events(new_uow, tenant_a, [off_chat]) == [ApplyResult("ignored", reason)]
    assert await tickets_of(new_uow, tenant_a, tenant_a.contact.id) == []


async def test_a_deleted_instance_stores_nothing(
    new_uow: NewUnitOfWork, tenant_a: SeededTenant
) -> None:
    async with new_uow() as uow:
        instance = await uow.instances.get(tenant_a.id, tenant_a.instance.id)
        assert instance is not None
        instance.tombstone(tenant_a.factory.clock.now())
        await uow.instances.update(tenant_a.id, instance)
        await uow.commit()
    results = await deliver(new_uow, tenant_a, s.wamessage(s.TEXT))
    assert results == [ApplyResult("ignored", "instance_deleted")]
    assert await tickets_of(new_uow, tenant_a, tenant_a.contact.id) == []
