"""The whole inbound path over real HTTP: the broker simulator posts signed webhooks to the API
(its inbox and in-process worker on SQLite and PostgreSQL), and the stored conversation is read
back through the unit of work."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import pytest
from leadengine_api.app import create_app
from leadengine_api.testing import serve
from leadengine_core.contacts import Contact, ContactKind
from leadengine_core.instances import InstanceStatus
from leadengine_core.messages import Direction, Message, MessageOrigin, MessageStatus, MessageType
from leadengine_core.phone import phone_identity
from leadengine_core.testing import EntityFactory
from leadengine_core.ticket_status import OPEN_STATUSES
from leadengine_core.tickets import Ticket, TicketFilter
from leadengine_integrations.broker import BrokerClient
from leadengine_integrations.simulator import RunningSimulator, SimulatorConfig, run_simulator
from leadengine_shared.settings import load_settings
from leadengine_storage import inbox, work_queue
from leadengine_storage.engine import create_engine
from leadengine_storage.testing import store_committed, truncate_all
from leadengine_storage.unit_of_work import SqlUnitOfWork, unit_of_work_factory
from sqlalchemy.ext.asyncio import AsyncEngine

INSTANCE = "sales-01"
HOOK_KEY = "hook-key-" + "k" * 24
HOOK_SECRET = "hook-secret-" + "s" * 24
BROKER_KEY = "broker-key-" + "b" * 24
JWT_SECRET = "test-secret-" + "x" * 32
CUSTOMER = "5531988887777"
CUSTOMER_LID = "205040302010002"
GROUP_JID = "120363400000000001@g.us"
SETTLE_WITHIN_SECONDS = 30


@dataclass(frozen=True, slots=True)
class Stack:
    sim: RunningSimulator
    broker: BrokerClient
    engine: AsyncEngine
    tenant_id: Any

    def uow(self) -> SqlUnitOfWork:
        return SqlUnitOfWork(self.engine)


@pytest.fixture
async def stack(database_url: str) -> AsyncIterator[Stack]:
    """A tenant whose instance is the simulator's `sales-01`, the API serving the webhook,
    and the simulator posting to it, signed, with the session already scanned."""
    engine = create_engine(database_url)
    await truncate_all(engine)
    factory = EntityFactory()
    tenant = factory.tenant()
    instance = factory.instance(broker_id=INSTANCE)
    await store_committed(unit_of_work_factory(engine), tenant, factory.queue(), instance)
    settings = load_settings(
        database_url=database_url,
        environment="test",
        jwt_secret=JWT_SECRET,
        whatsapp_webhook_api_key=HOOK_KEY,
        whatsapp_webhook_hmac_secret=HOOK_SECRET,
    )
    try:
        async with serve(create_app(settings)) as base_url:
            config = SimulatorConfig(
                api_key=BROKER_KEY,
                webhook_api_key=HOOK_KEY,
                webhook_hmac_secret=HOOK_SECRET,
                webhook_url=f"{base_url}/api/integrations/whatsapp/webhook",
                seed=1,
                ack_delay=0.01,
            )
            async with run_simulator(config) as sim, sim.client() as broker:
                url = config.webhook_url or ""
                await broker.create_instance(str(tenant.id), INSTANCE, "Vendas", url, "v", "c1")
                await sim.scan(INSTANCE)
                yield Stack(sim, broker, engine, tenant.id)
    finally:
        await engine.dispose()


async def settled(stack: Stack) -> None:
    """Every webhook delivered and every inbox row the worker can apply, applied."""
    await stack.sim.webhooks_settled(within=SETTLE_WITHIN_SECONDS)
    async with asyncio.timeout(SETTLE_WITHIN_SECONDS):
        while True:
            async with stack.engine.connect() as connection:
                depth = await inbox.depth(connection)
            if not any(
                depth.get(status, (0, None))[0]
                for status in (work_queue.PENDING, work_queue.PROCESSING)
            ):
                return
            await asyncio.sleep(0.05)


async def customer_says(stack: Stack, **fields: Any) -> str:
    sent = await stack.sim.customer_sends(INSTANCE, **fields)
    return str(sent["messageId"])


async def person(stack: Stack, phone: str) -> Contact:
    async with stack.uow() as uow:
        contact = await uow.contacts.find_by_phone_identity(
            stack.tenant_id, phone_identity(f"+{phone}")
        )
    assert contact is not None
    return contact


async def only_ticket(stack: Stack, contact: Contact) -> Ticket:
    async with stack.uow() as uow:
        page = await uow.tickets.list_page(stack.tenant_id, TicketFilter(contact_id=contact.id))
    (ticket,) = page.items
    return ticket


async def thread(stack: Stack, ticket: Ticket) -> dict[str, Message]:
    async with stack.uow() as uow:
        page = await uow.messages.list_page(stack.tenant_id, ticket.id)
    return {str(m.provider_message_id): m for m in page.items}


async def test_a_customer_conversation_of_every_kind(stack: Stack) -> None:
    kinds = ("text", "image", "video", "audio", "document", "sticker", "location", "contact")
    ids = {
        kind: await customer_says(
            stack, kind=kind, text="Oi" if kind == "text" else None, sender_phone=CUSTOMER
        )
        for kind in kinds
    }
    await customer_says(
        stack, kind="edit", text="Oi, corrigido", target_id=ids["text"], sender_phone=CUSTOMER
    )
    await customer_says(
        stack,
        kind="reaction",
        text="👍",
        target_id=ids["image"],
        target_from_me=False,
        sender_phone=CUSTOMER,
    )
    await customer_says(stack, kind="revoke", target_id=ids["video"], sender_phone=CUSTOMER)
    await settled(stack)

    contact = await person(stack, CUSTOMER)
    assert contact.name == "Cliente Simulado"
    ticket = await only_ticket(stack, contact)
    messages = await thread(stack, ticket)
    assert set(messages) == set(ids.values())  # the contract event and the raw upsert: one row
    assert ticket.unread_count == len(kinds)
    assert {kind: messages[ids[kind]].type for kind in kinds} == {
        "text": MessageType.TEXT,
        "image": MessageType.IMAGE,
        "video": MessageType.VIDEO,
        "audio": MessageType.AUDIO,
        "document": MessageType.DOCUMENT,
        "sticker": MessageType.STICKER,
        "location": MessageType.LOCATION,
        "contact": MessageType.CONTACT,
    }
    text = messages[ids["text"]]
    assert text.text == "Oi, corrigido"
    assert [edit.previous_text for edit in text.edit_history] == ["Oi"]
    assert [r.emoji for r in messages[ids["image"]].reactions.values()] == ["👍"]
    assert messages[ids["video"]].revoked
    assert messages[ids["audio"]].media is not None
    async with stack.uow() as uow:
        instances = await uow.instances.list_all(stack.tenant_id)
    assert [i.status for i in instances] == [InstanceStatus.CONNECTED]


async def test_a_lid_sender_revealed_later_is_one_contact(stack: Stack) -> None:
    hidden = await customer_says(
        stack, text="oi", sender_phone=CUSTOMER, sender_lid=CUSTOMER_LID, reveal_phone=False
    )
    await settled(stack)
    revealed = await customer_says(
        stack, text="sou eu", sender_phone=CUSTOMER, sender_lid=CUSTOMER_LID
    )
    await settled(stack)

    contact = await person(stack, CUSTOMER)
    async with stack.uow() as uow:
        by_lid = await uow.contacts.find_by_lid(stack.tenant_id, f"{CUSTOMER_LID}@lid")
    assert by_lid is not None
    assert by_lid.id == contact.id
    async with stack.uow() as uow:
        page = await uow.tickets.list_page(
            stack.tenant_id, TicketFilter(contact_id=contact.id, statuses=OPEN_STATUSES)
        )
    (open_ticket,) = page.items
    assert set(await thread(stack, open_ticket)) == {hidden, revealed}


async def test_a_group_is_one_ticket_with_participant_senders(stack: Stack) -> None:
    first = await customer_says(stack, text="a", sender_phone="5511977776666", group_jid=GROUP_JID)
    second = await customer_says(stack, text="b", sender_phone="5511966665555", group_jid=GROUP_JID)
    await settled(stack)

    async with stack.uow() as uow:
        group = await uow.contacts.find_by_group_jid(stack.tenant_id, GROUP_JID)
        member = await uow.contacts.find_by_phone_identity(stack.tenant_id, "+5511977776666")
    assert group is not None
    assert group.kind is ContactKind.GROUP
    assert member is None
    group_thread = await thread(stack, await only_ticket(stack, group))
    assert set(group_thread) == {first, second}
    senders = {m.sender.jid if m.sender else None for m in group_thread.values()}
    assert len(senders) == 2
    assert None not in senders


async def test_our_sends_are_stored_once_acked_and_voted_on(stack: Stack) -> None:
    sent = await stack.broker.send_text(INSTANCE, CUSTOMER, "Olá!", idempotency_key="send-1")
    poll = await stack.broker.send_poll(
        INSTANCE,
        CUSTOMER,
        question="Qual horário?",
        options=["Manhã", "Tarde"],
        idempotency_key="poll-1",
    )
    await settled(stack)
    await customer_says(
        stack,
        kind="poll_vote",
        target_id=poll.provider_message_id,
        selected_options=("Manhã",),
        sender_phone=CUSTOMER,
    )
    await settled(stack)

    contact = await person(stack, CUSTOMER)
    assert contact.name is None  # our own messages never name the customer
    ticket = await only_ticket(stack, contact)
    messages = await thread(stack, ticket)
    assert set(messages) == {sent.provider_message_id, poll.provider_message_id}
    ours = messages[sent.provider_message_id]
    assert (ours.direction, ours.origin, ours.status) == (
        Direction.OUTBOUND,
        MessageOrigin.BROKER,
        MessageStatus.READ,
    )
    assert not ours.is_dispatchable
    assert ticket.unread_count == 0
    votes = messages[poll.provider_message_id].metadata["pollVotes"]
    assert isinstance(votes, dict)
    assert [vote["options"] for vote in votes.values()] == [["Manhã"]]


async def test_duplicated_webhooks_store_one_message(stack: Stack) -> None:
    stack.sim.state.set_faults(duplicate_webhooks=True)
    message_id = await customer_says(stack, text="Oi", sender_phone=CUSTOMER)
    await settled(stack)
    ticket = await only_ticket(stack, await person(stack, CUSTOMER))
    assert set(await thread(stack, ticket)) == {message_id}
    assert ticket.unread_count == 1
