"""Failures retry with backoff, end `failed` (visible, counted), and replay to success."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from leadengine_api.features.inbound.apply import ApplyResult, InboundEvent, apply_event
from leadengine_api.features.inbound.testing import serve_webhook_api
from leadengine_api.worker.commands import list_inbox, replay_inbox
from leadengine_api.worker.config import WorkerConfig
from leadengine_api.worker.processor import ApplyEvent, InboundProcessor
from leadengine_core.instances import WhatsAppInstance
from leadengine_core.ports import Clock, IdGenerator, UnitOfWork
from leadengine_core.testing import FixedClock
from leadengine_integrations.normalize import samples
from leadengine_shared.metrics import InboundMetrics, new_registry, sample_value
from leadengine_shared.runtime import Uuid7Ids


async def _broken_apply(
    uow: UnitOfWork, clock: Clock, ids: IdGenerator, instance: WhatsAppInstance, event: InboundEvent
) -> ApplyResult:
    await apply_event(uow, clock, ids, instance, event)
    raise RuntimeError("downstream exploded")


async def test_failures_retry_then_fail_then_replay(
    database_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    async with serve_webhook_api(database_url, run_worker_in_process=False) as api:
        account = await api.tenant("retry")
        await api.add_instance(account.tenant_id, "sales-01")
        assert (await api.post(samples.message_inbound())).json()["accepted"] == 1

        clock = FixedClock(datetime.now(UTC) + timedelta(seconds=1))
        registry = new_registry()
        metrics = InboundMetrics(registry)
        config = WorkerConfig(database_url=database_url, max_attempts=3)

        def processor(apply: ApplyEvent = _broken_apply) -> InboundProcessor:
            return InboundProcessor(api.engine, clock, Uuid7Ids(), metrics, apply, config, "w-1")

        broken = processor()
        for attempt in range(1, 4):
            assert await broken.drain_once() == 1
            [row] = await api.inbox()
            assert row.attempts == attempt
            assert "downstream exploded" in row.last_error
            assert await api.message_count() == 0, "effects of a failed attempt are rolled back"
            assert await broken.drain_once() == 0, "a retry waits for its backoff"
            clock.advance(timedelta(hours=1))
        assert await api.statuses() == ["failed"]
        errors = {"kind": "message", "outcome": "error"}
        assert sample_value(registry, "inbound_messages_processed_total", errors) == 3

        await list_inbox(api.settings, "failed", 10)
        assert "failed" in capsys.readouterr().out
        assert await replay_inbox(api.settings, None, "failed") == 0
        [row] = await api.inbox()
        assert (row.status, row.attempts, row.last_error) == ("pending", 0, None)

        healthy = processor(apply_event)
        clock.advance(timedelta(seconds=1))
        assert await healthy.drain_once() == 1
        assert await api.statuses() == ["done"]
        assert await api.message_count(samples.MESSAGE_ID) == 1
