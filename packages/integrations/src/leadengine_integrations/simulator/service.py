"""The broker's behaviour, in memory: sessions, sends with acks, customers, connection events.

Routes are thin; every rule of the simulated broker lives here. Errors are raised as `SimError`
with the status and code a real broker would answer (Portuguese messages included, since
clients match on them).
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Coroutine
from datetime import datetime, timedelta
from typing import Any, Literal

from leadengine_shared.logging import get_logger
from leadengine_shared.runtime import SystemClock

from leadengine_integrations.simulator.contract import (
    message_inbound,
    message_outbound,
    poll_choice,
)
from leadengine_integrations.simulator.customer import CustomerMessage
from leadengine_integrations.simulator.errors import SimError
from leadengine_integrations.simulator.events import (
    CONNECTION_UPDATE,
    MESSAGE_INBOUND,
    MESSAGE_OUTBOUND,
    MESSAGES_UPDATE,
    MESSAGES_UPSERT,
    POLL_CHOICE,
    ack_updates,
    connection_update,
    disconnect_reason,
    envelope,
    messages_upsert,
)
from leadengine_integrations.simulator.ids import SimIds
from leadengine_integrations.simulator.jids import digits_of, recipient_jid
from leadengine_integrations.simulator.schemas import (
    CreateInstanceBody,
    DownloadBody,
    PairBody,
    SendBody,
)
from leadengine_integrations.simulator.state import (
    PollRecord,
    RecordedSend,
    SimInstance,
    SimulatorState,
    StoredMedia,
)
from leadengine_integrations.simulator.wamessage import build_wamessage, sender_of
from leadengine_integrations.simulator.webhooks import WebhookDispatcher

__all__ = ["BrokerSimulator", "SendRoute"]

_log = get_logger("leadengine.broker_sim")

SendRoute = Literal["send-text", "send-media", "send-poll"]
_ROUTE_TYPES: dict[SendRoute, frozenset[str]] = {
    "send-text": frozenset({"text", "template", "location", "contact"}),
    "send-media": frozenset({"image", "video", "audio", "document"}),
    "send-poll": frozenset({"poll"}),
}
_RATE_WINDOW = timedelta(minutes=1)


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat().replace("+00:00", "Z") if moment else None


def _not_found(instance_id: str) -> SimError:
    return SimError(404, "INSTANCE_NOT_FOUND", f"instância {instance_id} não encontrada")


class BrokerSimulator:
    def __init__(self, state: SimulatorState, dispatcher: WebhookDispatcher) -> None:
        self.state = state
        self._config = state.config
        self._dispatcher = dispatcher
        self._ids = SimIds(state.config.seed)
        self._clock = SystemClock()
        self._tasks: set[asyncio.Task[None]] = set()

    async def stop(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)

    # sessions

    def list_instances(self, tenant_id: str | None) -> list[dict[str, Any]]:
        leak = self.state.faults.leak_tenants
        with self.state.locked():
            return [
                self._session(instance)
                for instance in self.state.instances.values()
                if leak or tenant_id is None or instance.tenant_id == tenant_id
            ]

    def create_instance(
        self, tenant_id: str | None, body: CreateInstanceBody, idempotency_key: str | None
    ) -> tuple[int, dict[str, Any]]:
        tenant = tenant_id or body.tenant_id
        instance_id = body.id or body.instance_id
        if not instance_id:
            raise SimError(422, "INVALID_INSTANCE_ID", "id da instância é obrigatório")
        with self.state.locked() as state:
            replayed = state.create_replies.get((tenant, idempotency_key or ""))
            existing = state.instances.get(replayed or instance_id)
            if existing is not None:
                if existing.tenant_id != tenant:
                    raise SimError(
                        409, "INSTANCE_ALREADY_EXISTS", "id de instância usado por outro tenant"
                    )
                return 200, self._session(existing)
            instance = SimInstance(
                id=instance_id,
                tenant_id=tenant,
                name=body.name or instance_id,
                webhook_url=body.webhook_url,
                created_at=self._clock.now(),
            )
            state.instances[instance_id] = instance
            if idempotency_key:
                state.create_replies[(tenant, idempotency_key)] = instance_id
        _log.info("broker_sim.instance.created", instance_id=instance_id, tenant_id=tenant)
        if self._config.auto_connect:
            self._connect(instance)
        else:
            self._new_qr(instance)
        return 201, self.session(instance_id)

    def session(self, instance_id: str) -> dict[str, Any]:
        with self.state.locked():
            instance = self._instance(instance_id)
            self._refresh_qr(instance)
            return self._session(instance)

    def qr(self, instance_id: str) -> dict[str, Any]:
        session = self.session(instance_id)
        keys = ("qr", "qrCode", "qrExpiresAt", "status", "connected", "pairingCode")
        return {key: session[key] for key in keys}

    def qr_image_text(self, instance_id: str) -> tuple[str, datetime | None]:
        with self.state.locked():
            instance = self._instance(instance_id)
            self._refresh_qr(instance)
            if instance.qr is None:
                raise SimError(404, "QR_NOT_AVAILABLE", "não há QR code para esta instância")
            return instance.qr, instance.qr_expires_at

    def pair(self, instance_id: str, body: PairBody) -> dict[str, Any]:
        with self.state.locked():
            instance = self._instance(instance_id)
            if instance.connected:
                return self._session(instance)
            if body.phone_number:
                digits = digits_of(body.phone_number)
                if digits is None:
                    raise SimError(422, "INVALID_PHONE", "número de telefone inválido")
                instance.status = "qr_required"
                instance.pairing_phone = digits
                instance.pairing_code = self._ids.pairing_code()
                return self._session(instance)
        self._new_qr(instance)
        return self.session(instance_id)

    def logout(self, instance_id: str) -> dict[str, Any]:
        with self.state.locked():
            instance = self._instance(instance_id)
        self._close(instance, 401)
        return {"id": instance_id, "status": instance.status}

    def wipe(self, instance_id: str) -> dict[str, Any]:
        with self.state.locked():
            instance = self._instance(instance_id)
            was_connected = instance.connected
            instance.phone_number = None
            instance.pairing_phone = None
        if was_connected:
            self._close(instance, 401)
        else:
            self._reset_session(instance)
        return {"id": instance_id, "wiped": True}

    def delete(self, instance_id: str) -> dict[str, Any]:
        with self.state.locked() as state:
            self._instance(instance_id)
            del state.instances[instance_id]
        _log.info("broker_sim.instance.deleted", instance_id=instance_id)
        return {"id": instance_id, "deleted": True}

    def metrics(self, instance_id: str) -> dict[str, Any]:
        with self.state.locked() as state:
            instance = self._instance(instance_id)
            by_type: dict[str, int] = {}
            for send in state.sends_log:
                if send.instance_id == instance_id:
                    by_type[send.type] = by_type.get(send.type, 0) + 1
            return {"sent": instance.sent, "received": instance.received, "sentByType": by_type}

    def groups(self, instance_id: str) -> list[dict[str, Any]]:
        with self.state.locked() as state:
            self._instance(instance_id)
            return [
                {"id": jid, "subject": subject}
                for jid, (owner, subject) in state.groups.items()
                if owner == instance_id
            ]

    def exists(self, instance_id: str, to: str | None) -> dict[str, Any]:
        with self.state.locked():
            self._connected(instance_id)
        jid = recipient_jid(to or "")
        if jid is None:
            raise SimError(422, "INVALID_TO", "destinatário inválido")
        return {"exists": True, "canReceive": True, "jid": jid}

    def download(self, instance_id: str, body: DownloadBody) -> StoredMedia:
        with self.state.locked() as state:
            self._instance(instance_id)
            media = state.media.get(body.message_id or "")
        if media is None or media.instance_id != instance_id:
            raise SimError(404, "MEDIA_NOT_FOUND", "mídia não encontrada")
        return media

    # sends

    def send(
        self,
        instance_id: str,
        route: SendRoute,
        body: SendBody,
        idempotency_key: str | None,
    ) -> tuple[int, dict[str, Any]]:
        """Accept one send, or replay the answer already given for its idempotency key."""
        key = idempotency_key or (body.metadata or {}).get("idempotencyKey")
        fingerprint = route + json.dumps(body.model_dump(mode="json"), sort_keys=True)
        with self.state.locked() as state:
            instance = self._instance(instance_id)
            if key and (previous := state.send_replies.get((instance_id, key))):
                if previous[0] != fingerprint:
                    raise SimError(
                        422, "IDEMPOTENCY_KEY_REUSED", "Idempotency-Key já usada com outro conteúdo"
                    )
                return 201, previous[1]
            self._connected(instance_id)
            if self._ids.chance(state.faults.error_rate):
                raise SimError(state.faults.error_status, "SIMULATED_FAILURE", "falha simulada")
            jid = recipient_jid(body.to or "")
            if jid is None:
                raise SimError(422, "INVALID_TO", "destinatário inválido")
            message_type = (body.type or _default_type(route)).lower()
            _validate_content(route, message_type, body)
            self._check_rate(instance)
            now = self._clock.now()
            provider_id = self._ids.provider_message_id()
            reply = {
                "success": True,
                "data": {
                    "id": provider_id,
                    "messageId": provider_id,
                    "status": "sent",
                    "ack": 1,
                    "timestamp": _iso(now),
                    "to": jid,
                    "type": message_type,
                },
            }
            state.sends_log.append(
                RecordedSend(
                    provider_id=provider_id,
                    instance_id=instance_id,
                    tenant_id=instance.tenant_id,
                    idempotency_key=key,
                    type=message_type,
                    to=body.to or "",
                    jid=jid,
                    body=body.model_dump(mode="json", by_alias=True, exclude_none=True),
                    accepted_at=now,
                )
            )
            if key:
                state.send_replies[(instance_id, key)] = (fingerprint, reply)
            if message_type == "poll":
                state.polls[provider_id] = PollRecord(
                    instance_id, body.question or "", list(body.options or [])
                )
            instance.sent += 1
            url = self._webhook_url(instance)
        _log.info(
            "broker_sim.send.accepted",
            instance_id=instance_id,
            provider_id=provider_id,
            type=message_type,
        )
        echo = message_outbound(
            instance_id,
            provider_id=provider_id,
            jid=jid,
            message_type=message_type,
            body=body,
            at=int(now.timestamp()),
        )
        self._dispatcher.publish(url, [envelope(MESSAGE_OUTBOUND, instance_id, echo, now)])
        self._spawn(self._send_acks(url, instance_id, provider_id, jid))
        return 201, reply

    async def _send_acks(
        self, url: str | None, instance_id: str, message_id: str, jid: str
    ) -> None:
        """SERVER_ACK → DELIVERY_ACK → READ, one per `ack_delay` (reversed by `out_of_order`)."""
        batch = []
        in_reverse = self.state.faults.out_of_order
        for status in self._config.ack_statuses:
            await asyncio.sleep(self._config.ack_delay)
            payload = ack_updates(instance_id, message_id, jid, status)
            event = envelope(MESSAGES_UPDATE, instance_id, payload, self._clock.now())
            if in_reverse:
                batch.append(event)
            else:
                self._dispatcher.publish(url, [event])
        self._dispatcher.publish(url, batch)

    # the simulated world

    def scan(self, instance_id: str) -> dict[str, Any]:
        """The operator scanned the QR (or typed the pairing code) on the phone."""
        with self.state.locked():
            instance = self._instance(instance_id)
        if not instance.connected:
            self._connect(instance)
        return self.session(instance_id)

    def confirm_pairing(self, instance_id: str, code: str) -> dict[str, Any]:
        with self.state.locked():
            instance = self._instance(instance_id)
            expected = instance.pairing_code
        if expected is None or code.strip().upper().replace("-", "") != expected:
            raise SimError(422, "INVALID_PAIRING_CODE", "código de pareamento inválido")
        return self.scan(instance_id)

    def disconnect(self, instance_id: str, status_code: int) -> dict[str, Any]:
        with self.state.locked():
            instance = self._instance(instance_id)
        self._close(instance, status_code)
        return self.session(instance_id)

    def customer_sends(self, instance_id: str, message: CustomerMessage) -> dict[str, Any]:
        """A customer's message reaches the instance: MESSAGE_INBOUND, raw upsert, POLL_CHOICE."""
        now = self._clock.now()
        with self.state.locked() as state:
            instance = self._connected(instance_id)
            poll = state.polls.get(message.target_id or "") if message.kind == "poll_vote" else None
            if poll is not None and not set(message.selected_options) <= set(poll.options):
                raise SimError(422, "INVALID_POLL_OPTION", "opção de enquete inexistente")
            message_id = message.message_id or self._ids.customer_message_id()
            built = build_wamessage(
                message,
                message_id=message_id,
                own_jid=instance.own_jid or "",
                ids=self._ids,
                timestamp=message.timestamp or int(now.timestamp()),
            )
            instance.received += 1
            if built.media is not None:
                content, mime_type, file_name = built.media
                state.media[message_id] = StoredMedia(instance_id, content, mime_type, file_name)
            if message.group_jid:
                state.groups[message.group_jid] = (instance_id, message.group_subject)
            events = []
            if built.contract_type is not None:
                inbound = message_inbound(instance_id, built)
                events.append(envelope(MESSAGE_INBOUND, instance_id, inbound, now))
            filtered = [built.wamessage] if built.contract_type is not None else []
            upsert = messages_upsert(instance_id, [built.wamessage], filtered)
            events.append(envelope(MESSAGES_UPSERT, instance_id, upsert, now))
            if poll is not None and message.target_id:
                sender = sender_of(message)
                voter = sender.alt_jid or sender.participant or sender.chat_jid
                poll.votes[voter] = list(message.selected_options)
                choice = poll_choice(
                    poll_id=message.target_id,
                    question=poll.question,
                    options=poll.options,
                    votes=poll.votes,
                    voter_jid=voter,
                    built=built,
                )
                events.append(envelope(POLL_CHOICE, instance_id, choice, now))
            url = self._webhook_url(instance)
        self._dispatcher.publish(url, events)
        return {
            "messageId": message_id,
            "remoteJid": built.wamessage["key"]["remoteJid"],
            "events": [event["event"] for event in events],
            "wamessage": built.wamessage,
        }

    # helpers (callers hold the lock where they touch state)

    def _instance(self, instance_id: str) -> SimInstance:
        instance = self.state.instances.get(instance_id)
        if instance is None:
            raise _not_found(instance_id)
        return instance

    def _connected(self, instance_id: str) -> SimInstance:
        instance = self._instance(instance_id)
        if not instance.connected:
            raise SimError(409, "INSTANCE_NOT_CONNECTED", "Instância de WhatsApp desconectada")
        return instance

    def _webhook_url(self, instance: SimInstance) -> str | None:
        return instance.webhook_url or self._config.webhook_url

    def _recent_sends(self, instance: SimInstance, now: datetime) -> int:
        since = now - _RATE_WINDOW
        return sum(
            1
            for s in self.state.sends_log
            if s.instance_id == instance.id and s.accepted_at > since
        )

    def _check_rate(self, instance: SimInstance) -> None:
        limit = self._config.rate_limit_per_minute
        if limit is not None and self._recent_sends(instance, self._clock.now()) >= limit:
            raise SimError(429, "RATE_LIMITED", "limite de envio atingido")

    def _rate(self, instance: SimInstance) -> dict[str, Any] | None:
        limit = self._config.rate_limit_per_minute
        if limit is None:
            return None
        now = self._clock.now()
        remaining = max(0, limit - self._recent_sends(instance, now))
        return {"limit": limit, "remaining": remaining, "resetAt": _iso(now + _RATE_WINDOW)}

    def _session(self, instance: SimInstance) -> dict[str, Any]:
        own_jid = instance.own_jid
        return {
            "id": instance.id,
            "instanceId": instance.id,
            "sessionId": instance.id,
            "name": instance.name,
            "tenantId": instance.tenant_id,
            "status": instance.status,
            "connected": instance.connected,
            "phoneNumber": instance.phone_number,
            "user": {"id": own_jid, "name": instance.name} if instance.connected else None,
            "qr": instance.qr,
            "qrCode": instance.qr,
            "qrExpiresAt": _iso(instance.qr_expires_at),
            "pairingCode": instance.pairing_code,
            "stats": {"sent": instance.sent, "received": instance.received},
            "rate": self._rate(instance),
            "createdAt": _iso(instance.created_at),
        }

    def _refresh_qr(self, instance: SimInstance) -> None:
        expires = instance.qr_expires_at
        if instance.status == "qr_required" and (expires is None or expires <= self._clock.now()):
            self._new_qr(instance)

    def _new_qr(self, instance: SimInstance) -> None:
        with self.state.locked():
            instance.status = "qr_required"
            instance.qr = self._ids.qr()
            instance.qr_expires_at = self._clock.now() + timedelta(seconds=self._config.qr_ttl)
            qr = instance.qr
        self._publish_connection(instance, connection="connecting", qr=qr)

    def _connect(self, instance: SimInstance) -> None:
        with self.state.locked():
            instance.status = "connected"
            instance.phone_number = (
                instance.pairing_phone or instance.phone_number or self._ids.own_phone()
            )
            instance.qr = instance.qr_expires_at = instance.pairing_code = None
        _log.info("broker_sim.instance.connected", instance_id=instance.id)
        self._publish_connection(instance, connection="open")

    def _close(self, instance: SimInstance, status_code: int) -> None:
        self._reset_session(instance)
        _log.info("broker_sim.instance.closed", instance_id=instance.id, status_code=status_code)
        reason = disconnect_reason(status_code, self._clock.now())
        self._publish_connection(instance, connection="close", last_disconnect=reason)

    def _reset_session(self, instance: SimInstance) -> None:
        with self.state.locked():
            instance.status = "disconnected"
            instance.qr = instance.qr_expires_at = instance.pairing_code = None

    def _publish_connection(self, instance: SimInstance, **raw: Any) -> None:
        payload = connection_update(instance.id, **raw)
        event = envelope(CONNECTION_UPDATE, instance.id, payload, self._clock.now())
        self._dispatcher.publish(self._webhook_url(instance), [event])

    def _spawn(self, coroutine: Coroutine[Any, Any, None]) -> None:
        """Run in the background and count it as pending webhook work until it ends."""
        self.state.add_pending(1)
        task = asyncio.get_running_loop().create_task(coroutine)
        self._tasks.add(task)

        def finished(done: asyncio.Task[None]) -> None:
            self._tasks.discard(done)
            self.state.add_pending(-1)

        task.add_done_callback(finished)


def _default_type(route: SendRoute) -> str:
    return {"send-text": "text", "send-media": "image", "send-poll": "poll"}[route]


def _validate_content(route: SendRoute, message_type: str, body: SendBody) -> None:
    if message_type not in _ROUTE_TYPES[route]:
        raise SimError(
            415, "DIRECT_ROUTE_UNAVAILABLE", f"tipo {message_type} não suportado em {route}"
        )
    problem: tuple[str, str] | None = None
    if message_type == "text" and not (body.text or body.message or "").strip():
        problem = ("INVALID_TEXT_PAYLOAD", "texto vazio")
    elif route == "send-media" and not (body.media and body.media.url):
        problem = ("INVALID_MEDIA_PAYLOAD", "media.url é obrigatório")
    elif message_type == "location" and (
        body.location is None or body.location.latitude is None or body.location.longitude is None
    ):
        problem = ("INVALID_LOCATION_PAYLOAD", "latitude e longitude são obrigatórias")
    elif message_type == "contact" and not (
        body.contact and (body.contact.vcard or body.contact.phone_number)
    ):
        problem = ("INVALID_CONTACT_PAYLOAD", "contato sem telefone")
    elif message_type == "template" and not (body.template and body.template.name):
        problem = ("INVALID_TEMPLATE_PAYLOAD", "template sem nome")
    elif message_type == "poll" and not (body.question and len(body.options or []) >= 2):
        problem = ("INVALID_POLL_PAYLOAD", "enquete precisa de pergunta e duas opções")
    if problem is not None:
        raise SimError(422, *problem)
