"""The inbound worker's batch path: a claimed batch applied in one transaction must end
exactly as the same rows applied one by one, fall back to that when it cannot, and keep
concurrent workers from overwriting each other's counters."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from leadengine_api.features.inbound.apply import apply_event
from leadengine_api.features.inbound.envelopes import Source, parse_body
from leadengine_api.worker.config import WorkerConfig
from leadengine_api.worker.processor import InboundProcessor
from leadengine_core.instances import WhatsAppInstance
from leadengine_core.testing import EntityFactory, FixedClock, SequentialIds
from leadengine_integrations.normalize import samples
from leadengine_shared.metrics import InboundMetrics
from leadengine_storage import inbox
from leadengine_storage.engine import create_engine
from leadengine_storage.tables import (
    contact_identities,
    contact_tags,
    contacts,
    inbound_inbox,
    lead_activities,
    leads,
    messages,
    tickets,
)
from leadengine_storage.tenant_scope import UNSCOPED
from leadengine_storage.testing import truncate_all
from leadengine_storage.unit_of_work import SqlUnitOfWork
from prometheus_client import CollectorRegistry
from sqlalchemy import event, select
from sqlalchemy.ext.asyncio import AsyncEngine

BROKER_ID = samples.INSTANCE
DOMAIN_TABLES = (contacts, contact_identities, contact_tags, tickets, messages, leads)
_INBOX_IDS = SequentialIds(start=10**6)
"""Inbox rows are claimed in id order: increasing ids keep them in the order they were sent."""


@pytest.fixture
async def engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(database_url)
    await truncate_all(engine)
    yield engine
    await engine.dispose()


def _customer(number: int) -> tuple[str, str]:
    return f"55319888870{number:02d}@s.whatsapp.net", f"+55319888870{number:02d}"


def _text(
    message_id: str, number: int, text: str = "Oi", instance: str = BROKER_ID
) -> dict[str, Any]:
    chat, phone = _customer(number)
    return samples.message_inbound(
        message_id=message_id, chat_id=chat, phone=phone, text=text, instance=instance
    )


def _conversation() -> list[dict[str, Any]]:
    """A busy minute of one number: new and returning customers, the contract and raw views of
    one message, our own echo with its acks (one before it), an edit, a revoke, a reaction, a
    group, a status post and a poll vote for a poll we never sent."""
    bodies = [_text(f"M-{n}-{i}", n, f"mensagem {i}") for i in range(3) for n in range(6)]
    bodies += [
        samples.message_inbound(),
        samples.upsert(samples.wamessage(samples.TEXT)),
        samples.messages_update(samples.ack(samples.TARGET_ID, "DELIVERY_ACK")),
        samples.upsert(
            samples.wamessage(samples.TEXT, message_id=samples.TARGET_ID, from_me=True),
            upsert_type="append",
        ),
        samples.messages_update(samples.ack(samples.TARGET_ID, "READ")),
        samples.upsert(samples.wamessage(samples.reaction("👍"), message_id="R-1")),
        samples.upsert(samples.wamessage(samples.edit("corrigido"), message_id="E-1")),
        samples.upsert(samples.wamessage(samples.revoke(), message_id="V-1")),
        samples.upsert(
            samples.wamessage(
                samples.TEXT,
                message_id="G-1",
                remote_jid=samples.GROUP_JID,
                participant=samples.MEMBER_JID,
            )
        ),
        samples.upsert(
            samples.wamessage(samples.TEXT, message_id="S-1", remote_jid="status@broadcast")
        ),
        samples.poll_choice(["Sim"]),
    ]
    return bodies


async def _seed(engine: AsyncEngine, bodies: list[dict[str, Any]]) -> WhatsAppInstance:
    """A tenant with its queue and instance, and `bodies` waiting in the inbox in order."""
    make = EntityFactory()
    tenant = make.tenant()
    instance = make.instance(tenant_id=tenant.id, broker_id=BROKER_ID)
    async with SqlUnitOfWork(engine) as uow:
        await uow.tenants.add(tenant)
        await uow.instances.add(tenant.id, instance)
        await uow.queues.add(tenant.id, make.queue(tenant_id=tenant.id))
        await uow.commit()
    await _append(engine, instance, bodies)
    return instance


async def _append(
    engine: AsyncEngine, instance: WhatsAppInstance, bodies: list[dict[str, Any]]
) -> None:
    entries = [
        inbox.InboxEntry(
            id=_INBOX_IDS.new_id(),
            dedupe_key=parsed.item.dedupe_key,
            broker_id=instance.broker_id,
            tenant_id=instance.tenant_id,
            source=Source.BROKER.value,
            kind=parsed.item.event.kind,
            payload=parsed.payload,
        )
        for body in bodies
        for parsed in parse_body(Source.BROKER, body)
        if parsed.item.dedupe_key is not None
    ]
    async with engine.begin() as connection:
        await inbox.append(connection, entries, now=FixedClock().now())


def _processor(
    engine: AsyncEngine, batch_size: int, worker: int = 1
) -> tuple[InboundProcessor, InboundMetrics]:
    """Worker `worker`, with ids of its own: the same ids in every run of the same worker."""
    metrics = InboundMetrics(CollectorRegistry())
    config = WorkerConfig(database_url="", batch_size=batch_size)
    ids = SequentialIds(start=worker * 100_000)
    processor = InboundProcessor(
        engine, FixedClock(), ids, metrics, apply_event, config, f"worker-{worker}"
    )
    return processor, metrics


async def _drain(processor: InboundProcessor) -> None:
    while await processor.drain_once():
        pass


async def _snapshot(engine: AsyncEngine) -> dict[str, Any]:
    """Every domain row, and how each inbox row ended. Not why it ended: an ack deferred
    until its message arrived runs right after that message one by one, but after the rest
    of the batch here, so it may end a no-op regression instead of a step (same data)."""
    async with engine.connect() as connection:
        tables = {
            table.name: sorted(
                (await connection.execute(select(table).execution_options(**UNSCOPED))).all(),
                key=repr,
            )
            for table in DOMAIN_TABLES
        }
        activities = select(
            lead_activities.c.type, lead_activities.c.title, lead_activities.c.metadata
        ).execution_options(**UNSCOPED)
        tables["lead_activities"] = sorted((await connection.execute(activities)).all(), key=repr)
        ended = select(
            inbound_inbox.c.dedupe_key,
            inbound_inbox.c.status,
            inbound_inbox.c.waiting_for,
        ).execution_options(**UNSCOPED)
        tables["inbox"] = sorted((await connection.execute(ended)).all())
    return tables


@contextmanager
def _statements(engine: AsyncEngine) -> Iterator[list[str]]:
    seen: list[str] = []

    def count(*args: Any) -> None:
        seen.append(args[2])

    event.listen(engine.sync_engine, "before_cursor_execute", count)
    try:
        yield seen
    finally:
        event.remove(engine.sync_engine, "before_cursor_execute", count)


def _fallbacks(metrics: InboundMetrics) -> dict[str, float]:
    return {
        sample.labels["reason"]: sample.value
        for family in metrics.batch_fallbacks.collect()
        for sample in family.samples
        if sample.name.endswith("_total")
    }


async def test_a_batch_ends_exactly_as_the_same_rows_applied_one_by_one(
    engine: AsyncEngine,
) -> None:
    await _seed(engine, _conversation())
    one_by_one, _ = _processor(engine, batch_size=1)
    with _statements(engine) as row_statements:
        await _drain(one_by_one)
    expected = await _snapshot(engine)

    await truncate_all(engine)
    await _seed(engine, _conversation())
    batched, metrics = _processor(engine, batch_size=50)
    with _statements(engine) as batch_statements:
        await _drain(batched)

    assert await _snapshot(engine) == expected
    assert _fallbacks(metrics) == {}
    assert len(expected["messages"]) == 18 + 3
    assert {row.status for row in expected["inbox"]} == {"done"}
    assert len(batch_statements) * 4 < len(row_statements)


async def test_a_batch_across_tenants_ends_exactly_as_row_by_row(engine: AsyncEngine) -> None:
    """Returning customers of two tenants, with the same phone numbers, in one batch: their
    contacts, identities and tags are read for all tenants at once and must not mix."""

    async def run(batch_size: int) -> dict[str, Any]:
        make = EntityFactory()
        instances = []
        async with SqlUnitOfWork(engine) as uow:
            for broker_id in ("tenant-a-session", "tenant-b-session"):
                mine = make.for_tenant(make.ids.new_id())
                tenant = mine.tenant()
                instance = mine.instance(broker_id=broker_id)
                await uow.tenants.add(tenant)
                await uow.instances.add(tenant.id, instance)
                await uow.queues.add(tenant.id, mine.queue())
                instances.append(instance)
            await uow.commit()
        for round_, size in enumerate((1, batch_size)):
            for instance in instances:
                bodies = [
                    _text(f"{instance.broker_id}-{round_}-{n}", n, instance=instance.broker_id)
                    for n in range(5)
                ]
                await _append(engine, instance, bodies)
            processor, metrics = _processor(engine, batch_size=size, worker=round_ + 1)
            await _drain(processor)
            assert _fallbacks(metrics) == {}
        return await _snapshot(engine)

    expected = await run(batch_size=1)
    await truncate_all(engine)

    assert await run(batch_size=50) == expected
    assert len(expected["contacts"]) == 10
    assert len({row.tenant_id for row in expected["contact_identities"]}) == 2


async def test_a_batch_that_needs_a_merge_is_applied_row_by_row_instead(
    engine: AsyncEngine,
) -> None:
    """The LID-only customer turns out to be the phone customer: merging is not buffered, so
    the batch rolls back and every row is applied on its own, once."""
    lid_only = samples.upsert(
        samples.wamessage(samples.TEXT, message_id="L-1", remote_jid=samples.CUSTOMER_LID)
    )
    by_phone = samples.message_inbound(message_id="P-1")
    both = samples.upsert(
        samples.wamessage(
            samples.TEXT,
            message_id="B-1",
            remote_jid=samples.CUSTOMER_LID,
            remoteJidAlt=samples.CUSTOMER_JID,
        )
    )
    instance = await _seed(engine, [lid_only, by_phone])
    processor, metrics = _processor(engine, batch_size=50)
    await _drain(processor)
    await _append(engine, instance, [both, _text("X-1", 3)])
    await _drain(processor)

    state = await _snapshot(engine)
    assert _fallbacks(metrics) == {"Unbatchable": 1.0}
    assert len(state["contacts"]) == 2
    merged = [row for row in state["messages"] if row.provider_message_id != "X-1"]
    assert sorted(row.provider_message_id for row in merged) == ["B-1", "L-1", "P-1"]
    assert len({row.ticket_id for row in merged}) == 1
    assert {row.status for row in state["inbox"]} == {"done"}


@pytest.mark.parametrize(
    "database_url", [pytest.param("postgres", marks=pytest.mark.postgres)], indirect=True
)
async def test_two_workers_batching_the_same_customers_lose_no_counter_update(
    engine: AsyncEngine,
) -> None:
    """Several workers run on PostgreSQL only (SKIP LOCKED); each batch locks its contacts."""
    instance = await _seed(engine, [_text(f"first-{n}", n) for n in range(10)])
    await _drain(_processor(engine, batch_size=50)[0])
    await _append(engine, instance, [_text(f"M-{i}", i % 10) for i in range(400)])

    first, first_metrics = _processor(engine, batch_size=20, worker=2)
    second, second_metrics = _processor(engine, batch_size=20, worker=3)
    await asyncio.gather(_drain(first), _drain(second))

    state = await _snapshot(engine)
    assert len(state["messages"]) == 410
    assert [row.unread_count for row in state["tickets"]] == [41] * 10
    assert len(state["lead_activities"]) == 10 + 410
    assert {row.status for row in state["inbox"]} == {"done"}
    assert _fallbacks(first_metrics) == _fallbacks(second_metrics) == {}
