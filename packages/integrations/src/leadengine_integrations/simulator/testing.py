"""Test helpers: a real HTTP endpoint that records the simulator's webhooks.

    async with run_webhook_receiver() as receiver:
        async with run_simulator(SimulatorConfig(webhook_url=receiver.url, seed=1)) as sim:
            ...
            acks = await receiver.wait_for(3, event="WHATSAPP_MESSAGES_UPDATE")

`receiver.fail_next(2)` answers the next two deliveries with 500, to exercise retries.
"""

from __future__ import annotations

import asyncio
import hmac
import json
import threading
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, MutableMapping
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass
from typing import Any

from leadengine_integrations.simulator.events import sign
from leadengine_integrations.simulator.serving import ServedApp

__all__ = [
    "ReceivedWebhook",
    "WebhookReceiver",
    "run_webhook_receiver",
    "webhook_receiver_thread",
]

Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]


@dataclass(frozen=True, slots=True)
class ReceivedWebhook:
    body: bytes
    headers: dict[str, str]
    answered: int

    @property
    def json(self) -> Any:
        return json.loads(self.body)

    @property
    def event(self) -> str:
        return str(self.json.get("event"))

    @property
    def accepted(self) -> bool:
        return 200 <= self.answered < 300

    def signed_with(self, secret: str) -> bool:
        presented = self.headers.get("x-signature", "")
        return hmac.compare_digest(presented, sign(secret, self.body))


class WebhookReceiver:
    """ASGI app recording every request it answers, accepted or failed on purpose."""

    def __init__(self) -> None:
        self.url = ""
        self._lock = threading.Lock()
        self._received: list[ReceivedWebhook] = []
        self._failures: list[int] = []

    def clear(self) -> None:
        """Forget what was received and any pending failures (for a receiver shared by tests)."""
        with self._lock:
            self._received.clear()
            self._failures.clear()

    def fail_next(self, count: int, status: int = 500) -> None:
        with self._lock:
            self._failures.extend([status] * count)

    def received(self, event: str | None = None) -> list[ReceivedWebhook]:
        """Every request, failed ones included, oldest first."""
        with self._lock:
            return [r for r in self._received if event in (None, r.event)]

    def accepted(self, event: str | None = None) -> list[ReceivedWebhook]:
        return [r for r in self.received(event) if r.accepted]

    async def wait_for(
        self, count: int, *, event: str | None = None, within: float = 10.0
    ) -> list[ReceivedWebhook]:
        """The first `count` accepted webhooks (of `event`), waiting for them to arrive."""
        try:
            async with asyncio.timeout(within):
                # Polled: requests are recorded on the receiver's own thread and event loop.
                while len(self.accepted(event)) < count:  # noqa: ASYNC110
                    await asyncio.sleep(0.01)
        except TimeoutError:
            arrived = len(self.accepted(event))
            raise TimeoutError(f"{arrived} of {count} {event or 'webhooks'} arrived") from None
        return self.accepted(event)[:count]

    async def __call__(self, scope: MutableMapping[str, Any], receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return
        body = b""
        more = True
        while more:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            body += message.get("body", b"")
            more = message.get("more_body", False)
        headers = {name.decode().lower(): value.decode() for name, value in scope["headers"]}
        with self._lock:
            status = self._failures.pop(0) if self._failures else 202
            self._received.append(ReceivedWebhook(body, headers, status))
        await send({"type": "http.response.start", "status": status, "headers": []})
        await send({"type": "http.response.body", "body": b""})


@asynccontextmanager
async def run_webhook_receiver() -> AsyncIterator[WebhookReceiver]:
    """A receiver on a free loopback port for the duration of the block."""
    receiver = WebhookReceiver()
    served = ServedApp(receiver, lifespan="off")
    receiver.url = await asyncio.to_thread(served.start) + "/webhook"
    try:
        yield receiver
    finally:
        await asyncio.to_thread(served.stop)


@contextmanager
def webhook_receiver_thread() -> Iterator[WebhookReceiver]:
    """The same, as a sync context manager for session-wide fixtures (`clear()` per test)."""
    receiver = WebhookReceiver()
    served = ServedApp(receiver, lifespan="off")
    receiver.url = served.start() + "/webhook"
    try:
        yield receiver
    finally:
        served.stop()
