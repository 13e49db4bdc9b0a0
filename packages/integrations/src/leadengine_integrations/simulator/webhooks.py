"""Delivers webhook events one at a time, in order, signed, retried byte-identical.

One queue and one worker keep delivery order equal to publish order (acks 2 → 3 → 4), which is
what the `out_of_order` and `duplicate_webhooks` faults then deliberately break. A failed
delivery (network error, timeout or any non-2xx, as with the real broker) is re-sent with the
same bytes and headers after each pause in `webhook_retry_delays`, then given up.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Mapping, Sequence
from typing import Any

import httpx
from leadengine_shared.logging import get_logger

from leadengine_integrations.simulator.events import serialize, sign
from leadengine_integrations.simulator.state import SimulatorState, WebhookDelivery

__all__ = ["WebhookDispatcher"]

_log = get_logger("leadengine.broker_sim.webhooks")


class WebhookDispatcher:
    def __init__(self, state: SimulatorState) -> None:
        self._state = state
        self._config = state.config
        self._queue: asyncio.Queue[WebhookDelivery] = asyncio.Queue()
        self._worker: asyncio.Task[None] | None = None
        self._http: httpx.AsyncClient | None = None

    async def start(self) -> None:
        self._http = httpx.AsyncClient(timeout=self._config.webhook_timeout)
        self._worker = asyncio.create_task(self._run(), name="broker-sim-webhooks")

    async def stop(self) -> None:
        if self._worker is not None:
            self._worker.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._worker
        if self._http is not None:
            await self._http.aclose()

    def publish(self, url: str | None, events: Sequence[Mapping[str, Any]]) -> None:
        """Queue related events; the fault knobs decide their order and whether they repeat."""
        if not url or not events:
            return
        faults = self._state.faults
        ordered = list(reversed(events)) if faults.out_of_order else list(events)
        copies = 2 if faults.duplicate_webhooks else 1
        deliveries = [
            WebhookDelivery(
                event=str(event["event"]),
                instance_id=str(event["instanceId"]),
                url=url,
                body=serialize(event),
            )
            for event in ordered
            for _ in range(copies)
        ]
        with self._state.locked() as state:
            state.deliveries_log.extend(deliveries)
            state.pending_webhooks += len(deliveries)
        for delivery in deliveries:
            self._queue.put_nowait(delivery)

    def _headers(self, body: bytes) -> dict[str, str]:
        headers = {
            "content-type": "application/json",
            "user-agent": "leadengine-broker-sim",
            "x-signature": sign(self._config.signing_secret, body),
        }
        if self._config.webhook_api_key:
            headers["x-api-key"] = self._config.webhook_api_key
        return headers

    async def _run(self) -> None:
        while True:
            delivery = await self._queue.get()
            try:
                await self._deliver(delivery)
            finally:
                self._state.add_pending(-1)

    async def _deliver(self, delivery: WebhookDelivery) -> None:
        assert self._http is not None
        headers = self._headers(delivery.body)
        pauses = (0.0, *self._config.webhook_retry_delays)
        for attempt, pause in enumerate(pauses, start=1):
            await asyncio.sleep(pause)
            with self._state.locked():
                delivery.attempts = attempt
            try:
                response = await self._http.post(
                    delivery.url, content=delivery.body, headers=headers
                )
            except httpx.HTTPError as exc:
                error = type(exc).__name__
            else:
                if response.is_success:
                    with self._state.locked():
                        delivery.status = "delivered"
                    return
                error = f"HTTP {response.status_code}"
            with self._state.locked():
                delivery.last_error = error
            _log.info(
                "broker_sim.webhook.failed",
                webhook_event=delivery.event,
                instance_id=delivery.instance_id,
                attempt=attempt,
                error=error,
            )
        with self._state.locked():
            delivery.status = "failed"
        _log.warning(
            "broker_sim.webhook.gave_up",
            webhook_event=delivery.event,
            instance_id=delivery.instance_id,
            attempts=len(pauses),
        )
