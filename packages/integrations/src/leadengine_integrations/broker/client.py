"""Async HTTP client for the Baileys broker contract (original system §4.2 and §4.3).

One shared `httpx.AsyncClient` per `BrokerClient`. Every call carries `X-API-Key`,
`Accept: application/json` and an `X-Request-Id`; failures become one `BrokerError` subclass
(see `errors.py`). Only calls that are safe to repeat are retried: GET and DELETE, and POSTs
that carry an `Idempotency-Key`, on network errors, timeouts and 502/503/504.
"""

from __future__ import annotations

import base64
import binascii
import time
import uuid
from collections.abc import Mapping, Sequence
from types import TracebackType
from typing import Any, Literal, Self, get_args
from urllib.parse import quote

import httpx
from leadengine_shared.logging import get_logger
from leadengine_shared.metrics import BrokerMetrics
from leadengine_shared.tracing import client_span, inject_traceparent
from tenacity import (
    AsyncRetrying,
    RetryCallState,
    retry_if_exception,
    stop_after_attempt,
    wait_random_exponential,
)

from leadengine_integrations.broker.errors import (
    BrokerError,
    BrokerErrorCode,
    BrokerNotFound,
    broker_error,
)
from leadengine_integrations.broker.models import (
    BrokerGroup,
    BrokerHealth,
    BrokerInstance,
    DownloadedMedia,
    InstanceStatus,
    PairingResult,
    QrCode,
    RecipientCheck,
    SendResult,
)
from leadengine_integrations.broker.parsing import as_str, layers, pick, raw_object
from leadengine_integrations.broker.responses import (
    error_from_response,
    filename_from_disposition,
    json_body,
    session_items,
    unexpected_answer,
)

__all__ = ["BrokerClient", "MediaType"]

MediaType = Literal["image", "video", "audio", "document"]

_log = get_logger("leadengine.broker")
_REPEATABLE_METHODS = frozenset({"GET", "DELETE"})
_SEND_ROUTES: dict[str, tuple[str, str]] = {
    "text": ("send_text", "send-text"),
    "location": ("send_location", "send-text"),
    "contact": ("send_contact", "send-text"),
    "template": ("send_template", "send-text"),
    **dict.fromkeys(get_args(MediaType), ("send_media", "send-media")),
    "poll": ("send_poll", "send-poll"),
}
_TRANSIENT_STATUSES = frozenset({502, 503, 504})


def _is_transient(exc: BaseException) -> bool:
    """Worth repeating at once: no answer at all, or a gateway/overload answer."""
    return isinstance(exc, BrokerError) and (
        exc.status is None or exc.status in _TRANSIENT_STATUSES
    )


def _path(*segments: str) -> str:
    return "/" + "/".join(quote(segment, safe="") for segment in segments)


def _vcard(display_name: str, phone_number: str) -> str:
    digits = "".join(ch for ch in phone_number if ch.isdigit())
    return (
        "BEGIN:VCARD\nVERSION:3.0\n"
        f"FN:{display_name}\nTEL;type=CELL;type=VOICE;waid={digits}:+{digits}\nEND:VCARD"
    )


class BrokerClient:
    """Talks to one broker; use as `async with BrokerClient(...) as broker:`."""

    def __init__(
        self,
        base_url: str,
        api_key: str,
        *,
        timeout: float = 15.0,
        metrics: BrokerMetrics | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        max_attempts: int = 3,
        backoff: float = 0.2,
        max_backoff: float = 2.0,
    ) -> None:
        if max_attempts < 1:
            raise ValueError("max_attempts must be at least 1")
        self._http = httpx.AsyncClient(
            base_url=base_url.rstrip("/"),
            headers={"X-API-Key": api_key, "Accept": "application/json"},
            timeout=timeout,
            transport=transport,
        )
        self._timeout = timeout
        self._metrics = metrics
        self._max_attempts = max_attempts
        self._backoff = backoff
        self._max_backoff = max_backoff

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self._http.aclose()

    async def health(self) -> BrokerHealth:
        response = await self._call("health", "GET", "/health")
        payload = json_body(response)
        return BrokerHealth(
            ok=True,
            status=as_str(pick(layers(payload, ("data",)), "status")),
            raw=raw_object(payload),
        )

    async def list_instances(self, tenant_id: str) -> list[BrokerInstance]:
        """This tenant's sessions; any other tenant's, or one without a tenant, is dropped."""
        response = await self._call(
            "list_instances",
            "GET",
            "/instances",
            params={"tenantId": tenant_id},
            tenant_id=tenant_id,
        )
        instances: list[BrokerInstance] = []
        dropped = 0
        for item in session_items(json_body(response)):
            try:
                instance = BrokerInstance.from_payload(item)
            except ValueError:
                dropped += 1
                continue
            if instance.tenant_id != tenant_id:
                dropped += 1
                continue
            instances.append(instance)
        if dropped:
            _log.warning("broker.instances.dropped", tenant_id=tenant_id, count=dropped)
        return instances

    async def create_instance(
        self,
        tenant_id: str,
        instance_id: str,
        name: str,
        webhook_url: str,
        verify_token: str,
        idempotency_key: str,
    ) -> BrokerInstance:
        response = await self._call(
            "create_instance",
            "POST",
            "/instances",
            params={"tenantId": tenant_id},
            body={
                "id": instance_id,
                "instanceId": instance_id,
                "name": name,
                "tenantId": tenant_id,
                "webhookUrl": webhook_url,
                "verifyToken": verify_token,
            },
            tenant_id=tenant_id,
            idempotency_key=idempotency_key,
        )
        payload = json_body(response)
        try:
            instance = BrokerInstance.from_payload(payload)
        except ValueError:
            instance = BrokerInstance(
                instance_id=instance_id,
                tenant_id=tenant_id,
                name=name,
                status="connecting",
                connected=False,
                raw=raw_object(payload),
            )
        if instance.tenant_id is None:
            instance = instance.model_copy(update={"tenant_id": tenant_id})
        if instance.tenant_id != tenant_id:
            raise unexpected_answer(
                response, "create_instance", "broker created the session under another tenant"
            )
        return instance

    async def status(self, instance_id: str) -> InstanceStatus:
        response = await self._call("status", "GET", _path("instances", instance_id, "status"))
        return InstanceStatus.from_payload(json_body(response))

    async def qr(self, instance_id: str) -> QrCode:
        """The current QR string; brokers without a QR route answer it in the status payload."""
        try:
            response = await self._call("qr", "GET", _path("instances", instance_id, "qr"))
        except BrokerNotFound:
            response = await self._call("status", "GET", _path("instances", instance_id, "status"))
        return QrCode.from_payload(json_body(response))

    async def qr_png(self, instance_id: str) -> bytes:
        response = await self._call(
            "qr_png", "GET", _path("instances", instance_id, "qr.png"), accept="image/png"
        )
        if not response.headers.get("content-type", "").startswith("image/"):
            raise BrokerNotFound(
                "broker has no QR image for this instance",
                operation="qr_png",
                status=response.status_code,
                request_id=response.request.headers["X-Request-Id"],
            )
        return response.content

    async def pair(self, instance_id: str, phone_number: str | None = None) -> PairingResult:
        """Start pairing: a new QR, or an 8-character pairing code when a phone is given."""
        body = {"phoneNumber": phone_number} if phone_number else {}
        response = await self._call(
            "pair", "POST", _path("instances", instance_id, "pair"), body=body
        )
        return PairingResult.from_payload(json_body(response))

    async def logout(self, instance_id: str) -> None:
        await self._call("logout", "POST", _path("instances", instance_id, "logout"))

    async def wipe(self, instance_id: str) -> None:
        """Forget the session's credentials; a session the broker does not know is already gone."""
        try:
            await self._call("wipe", "POST", _path("instances", instance_id, "session", "wipe"))
        except BrokerNotFound:
            return

    async def delete(self, instance_id: str) -> None:
        """Remove the instance; one the broker does not know is already gone."""
        try:
            await self._call("delete", "DELETE", _path("instances", instance_id))
        except BrokerNotFound:
            return

    async def exists(self, instance_id: str, to: str) -> RecipientCheck:
        response = await self._call(
            "exists",
            "POST",
            _path("instances", instance_id, "exists"),
            body={"sessionId": instance_id, "instanceId": instance_id, "to": to},
        )
        return RecipientCheck.from_payload(json_body(response))

    async def groups(self, instance_id: str) -> list[BrokerGroup]:
        response = await self._call("groups", "GET", _path("instances", instance_id, "groups"))
        return BrokerGroup.list_from_payload(json_body(response))

    async def metrics(self, instance_id: str) -> dict[str, Any]:
        """Free-form counters, as the broker reports them."""
        response = await self._call("metrics", "GET", _path("instances", instance_id, "metrics"))
        payload = json_body(response)
        objects = layers(payload, ("data", "result", "metrics"))
        return dict(objects[0]) if objects else {}

    async def send_text(
        self,
        instance_id: str,
        to: str,
        text: str,
        *,
        idempotency_key: str,
        preview_url: bool | None = None,
        metadata: Mapping[str, object] | None = None,
    ) -> SendResult:
        body = {"text": text, "message": text, "previewUrl": preview_url}
        return await self._send(instance_id, to, "text", body, idempotency_key, metadata)

    async def send_media(
        self,
        instance_id: str,
        to: str,
        *,
        media_type: MediaType,
        url: str,
        idempotency_key: str,
        mime_type: str | None = None,
        file_name: str | None = None,
        caption: str | None = None,
        voice_note: bool = False,
        metadata: Mapping[str, object] | None = None,
    ) -> SendResult:
        media: dict[str, object] = {"url": url, "mimetype": mime_type, "fileName": file_name}
        if voice_note:
            media["ptt"] = True
        body = {"caption": caption, "message": caption, "media": media}
        return await self._send(instance_id, to, media_type, body, idempotency_key, metadata)

    async def send_location(
        self,
        instance_id: str,
        to: str,
        *,
        latitude: float,
        longitude: float,
        idempotency_key: str,
        name: str | None = None,
        address: str | None = None,
        metadata: Mapping[str, object] | None = None,
    ) -> SendResult:
        location = {"latitude": latitude, "longitude": longitude, "name": name, "address": address}
        body = {"text": name, "message": name, "location": location}
        return await self._send(instance_id, to, "location", body, idempotency_key, metadata)

    async def send_contact(
        self,
        instance_id: str,
        to: str,
        *,
        display_name: str,
        phone_number: str,
        idempotency_key: str,
        vcard: str | None = None,
        metadata: Mapping[str, object] | None = None,
    ) -> SendResult:
        contact = {
            "displayName": display_name,
            "phoneNumber": phone_number,
            "vcard": vcard or _vcard(display_name, phone_number),
        }
        body = {
            "text": display_name,
            "message": display_name,
            "contact": contact,
            "contacts": [contact],
        }
        return await self._send(instance_id, to, "contact", body, idempotency_key, metadata)

    async def send_template(
        self,
        instance_id: str,
        to: str,
        *,
        name: str,
        idempotency_key: str,
        language: str | None = None,
        namespace: str | None = None,
        components: Sequence[Mapping[str, object]] | None = None,
        metadata: Mapping[str, object] | None = None,
    ) -> SendResult:
        template = {
            "name": name,
            "language": language,
            "namespace": namespace,
            "components": list(components) if components is not None else None,
        }
        body = {"text": name, "message": name, "template": template}
        return await self._send(instance_id, to, "template", body, idempotency_key, metadata)

    async def send_poll(
        self,
        instance_id: str,
        to: str,
        *,
        question: str,
        options: Sequence[str],
        idempotency_key: str,
        multiple_answers: bool = False,
        metadata: Mapping[str, object] | None = None,
    ) -> SendResult:
        body = {
            "question": question,
            "options": list(options),
            "selectableCount": max(2, len(options)) if multiple_answers else 1,
        }
        return await self._send(instance_id, to, "poll", body, idempotency_key, metadata)

    async def download_media(
        self,
        instance_id: str,
        *,
        tenant_id: str,
        message_id: str,
        media_type: str,
        direct_path: str | None = None,
        media_key: str | None = None,
    ) -> DownloadedMedia:
        """The decrypted bytes of an inbound media message (binary or base64 JSON answer)."""
        body = {
            "instanceId": instance_id,
            "tenantId": tenant_id,
            "messageId": message_id,
            "mediaType": media_type,
            "directPath": direct_path,
            "mediaKey": media_key,
        }
        response = await self._call(
            "download_media",
            "POST",
            _path("instances", instance_id, "media", "download"),
            body={key: value for key, value in body.items() if value is not None},
            accept="*/*",
        )
        content_type = response.headers.get("content-type", "")
        if not content_type.startswith("application/json"):
            return DownloadedMedia(
                content=response.content,
                mime_type=content_type.split(";")[0] or None,
                file_name=filename_from_disposition(response.headers.get("content-disposition")),
            )
        objects = layers(json_body(response), ("data", "result", "media"))
        encoded = as_str(pick(objects, "base64", "data", "buffer"))
        try:
            content = base64.b64decode(encoded or "", validate=True)
        except (binascii.Error, ValueError) as exc:
            raise unexpected_answer(
                response, "download_media", "broker answered media that is not base64"
            ) from exc
        return DownloadedMedia(
            content=content,
            mime_type=as_str(pick(objects, "mimeType", "mimetype")),
            file_name=as_str(pick(objects, "fileName")),
        )

    async def _send(
        self,
        instance_id: str,
        to: str,
        message_type: str,
        fields: Mapping[str, object],
        idempotency_key: str,
        metadata: Mapping[str, object] | None,
    ) -> SendResult:
        """The common §4.3 body; the idempotency key also travels as `metadata.idempotencyKey`."""
        operation, route = _SEND_ROUTES[message_type]
        body: dict[str, object] = {
            "sessionId": instance_id,
            "instanceId": instance_id,
            "to": to,
            "type": message_type,
            **fields,
            "metadata": {**(metadata or {}), "idempotencyKey": idempotency_key},
        }
        response = await self._call(
            operation,
            "POST",
            _path("instances", instance_id, route),
            body={key: value for key, value in body.items() if value is not None},
            idempotency_key=idempotency_key,
        )
        try:
            return SendResult.from_payload(json_body(response))
        except ValueError as exc:
            raise unexpected_answer(response, operation, str(exc)) from exc

    async def _call(
        self,
        operation: str,
        method: str,
        path: str,
        *,
        body: Mapping[str, object] | None = None,
        params: Mapping[str, str] | None = None,
        tenant_id: str | None = None,
        idempotency_key: str | None = None,
        accept: str = "application/json",
    ) -> httpx.Response:
        request_id = uuid.uuid4().hex
        headers = {"X-Request-Id": request_id, "Accept": accept}
        if tenant_id is not None:
            headers["X-Tenant-Id"] = tenant_id
        if idempotency_key is not None:
            headers["Idempotency-Key"] = idempotency_key
        repeatable = method in _REPEATABLE_METHODS or idempotency_key is not None

        def log_retry(state: RetryCallState) -> None:
            error = state.outcome.exception() if state.outcome else None
            _log.info(
                "broker.request.retrying",
                operation=operation,
                request_id=request_id,
                attempt=state.attempt_number,
                wait_s=round(state.upcoming_sleep, 3),
                code=getattr(error, "code", None),
                status=getattr(error, "status", None),
            )

        retrying = AsyncRetrying(
            stop=stop_after_attempt(self._max_attempts if repeatable else 1),
            wait=wait_random_exponential(multiplier=self._backoff, max=self._max_backoff),
            retry=retry_if_exception(_is_transient),
            before_sleep=log_retry,
            reraise=True,
        )
        request = self._http.build_request(
            method,
            path,
            json=dict(body) if body is not None else None,
            params=params,
            headers=headers,
        )
        try:
            return await retrying(self._attempt, operation, request)
        except BrokerError as error:
            _log.warning(
                "broker.request.failed",
                operation=operation,
                request_id=error.request_id,
                code=error.code,
                status=error.status,
                broker_code=error.broker_code,
                retryable=error.retryable,
            )
            raise

    async def _attempt(self, operation: str, request: httpx.Request) -> httpx.Response:
        """One HTTP call as a client span, its `traceparent` sent along to the broker."""
        attributes = {
            "broker.operation": operation,
            "http.request.method": request.method,
            "url.path": request.url.path,
        }
        with client_span(f"broker.{operation}", attributes) as current:
            inject_traceparent(request.headers)
            try:
                response = await self._send_once(operation, request)
            except BrokerError as error:
                current.set_attribute("error.type", str(error.code))
                if error.status is not None:
                    current.set_attribute("http.response.status_code", error.status)
                raise
            current.set_attribute("http.response.status_code", response.status_code)
            return response

    async def _send_once(self, operation: str, request: httpx.Request) -> httpx.Response:
        request_id = request.headers["X-Request-Id"]
        started = time.perf_counter()
        try:
            response = await self._http.send(request)
        except httpx.TimeoutException as exc:
            error = broker_error(
                BrokerErrorCode.BROKER_TIMEOUT,
                f"broker did not answer within {self._timeout}s",
                operation=operation,
                request_id=request_id,
            )
            self._observe(operation, request.method, None, error.code, started)
            raise error from exc
        except httpx.TransportError as exc:
            error = broker_error(
                BrokerErrorCode.BROKER_UNAVAILABLE,
                f"broker unreachable ({type(exc).__name__})",
                operation=operation,
                request_id=request_id,
            )
            self._observe(operation, request.method, None, error.code, started)
            raise error from exc
        if response.is_success:
            self._observe(operation, request.method, response.status_code, "OK", started)
            _log.debug(
                "broker.request.completed",
                operation=operation,
                request_id=request_id,
                status=response.status_code,
            )
            return response
        error = error_from_response(response, operation)
        self._observe(operation, request.method, response.status_code, error.code, started)
        raise error

    def _observe(
        self, operation: str, method: str, status: int | None, code: str, started: float
    ) -> None:
        if self._metrics is None:
            return
        result = "success" if code == "OK" else "error"
        labels = self._metrics.guard.labels(
            operation=operation, method=method, status=status, code=code, result=result
        )
        self._metrics.requests.labels(**labels).inc()
        self._metrics.latency.labels(operation=labels["operation"], result=result).observe(
            time.perf_counter() - started
        )
