"""The AsyncAPI 3 document of the Socket.IO protocol, generated from the event contracts.

Committed next to the OpenAPI document and drift-checked by `leadengine openapi --check`.
Channels are Socket.IO rooms; a message name is the Socket.IO event name.
"""

from __future__ import annotations

import re
from importlib.metadata import version
from typing import Any

from leadengine_contracts.events import (
    PAYLOADS,
    SocketAck,
    TicketRoomRequest,
    TicketTypingEvent,
    TicketTypingRequest,
)
from pydantic import BaseModel
from pydantic.json_schema import JsonSchemaMode, models_json_schema

from leadengine_api.realtime.sockets import TYPING_EVENT

__all__ = ["asyncapi_document"]

_SCHEMAS = "#/components/schemas/{model}"
_Models = list[tuple[type[BaseModel], JsonSchemaMode]]


def _key(name: str) -> str:
    """AsyncAPI component keys allow letters, digits, `.`, `-` and `_`."""
    return re.sub(r"[^A-Za-z0-9._-]", "-", name)


def _schemas(models: _Models) -> dict[str, Any]:
    _, document = models_json_schema(models, by_alias=True, ref_template=_SCHEMAS)
    return dict(document.get("$defs", {}))


def _message(name: str, model: type[BaseModel]) -> dict[str, Any]:
    return {
        "name": name,
        "title": name,
        "summary": (model.__doc__ or "").strip().split("\n\n")[0],
        "payload": {"$ref": _SCHEMAS.format(model=model.__name__)},
    }


def _ref(channel: str, name: str) -> dict[str, str]:
    return {"$ref": f"#/channels/{channel}/messages/{_key(name)}"}


def asyncapi_document() -> dict[str, Any]:
    server_events = {name.value: model for name, model in PAYLOADS.items()}
    client_events = {"join-ticket": TicketRoomRequest, "leave-ticket": TicketRoomRequest}
    messages = {
        **{_key(name): _message(name, model) for name, model in server_events.items()},
        **{_key(name): _message(name, model) for name, model in client_events.items()},
        "ticket-typing": _message(TYPING_EVENT, TicketTypingEvent),
        "ticket-typing-request": _message(TYPING_EVENT, TicketTypingRequest),
        "ack": _message("ack", SocketAck),
    }
    receive = {
        f"receive-{_key(name)}": {
            "action": "receive",
            "channel": {"$ref": "#/channels/tenant"},
            "messages": [_ref("tenant", name)],
        }
        for name in server_events
    }
    send = {
        f"send-{_key(name)}": {
            "action": "send",
            "channel": {"$ref": "#/channels/ticket"},
            "messages": [_ref("ticket", name)],
            "reply": {"messages": [_ref("ticket", "ack")]},
        }
        for name in [*client_events, "ticket-typing-request"]
    }
    models: _Models = [(model, "serialization") for model in dict.fromkeys(server_events.values())]
    models += [(TicketTypingEvent, "serialization"), (SocketAck, "serialization")]
    models += [(TicketRoomRequest, "validation"), (TicketTypingRequest, "validation")]
    return {
        "asyncapi": "3.0.0",
        "info": {
            "title": "LeadEngine realtime",
            "version": version("leadengine-api"),
            "description": "Socket.IO at `SOCKET_IO_PATH` (default `/socket.io`). Connect with "
            "the REST access JWT (`auth.token`, `Authorization: Bearer` or `?token=`). Every "
            "server event carries a per-tenant `seq`; after a reconnect, catch up with "
            "`GET /api/realtime/events?since=<seq>`. Acks are `{ok: true}` or "
            "`{ok: false, error}`.",
        },
        "defaultContentType": "application/json",
        "channels": {
            "tenant": {
                "address": "tenant:{tenantId}",
                "description": "Joined on connect; every server event of the tenant.",
                "parameters": {"tenantId": {"description": "The token's tenant."}},
                "messages": {
                    _key(name): {"$ref": f"#/components/messages/{_key(name)}"}
                    for name in server_events
                },
            },
            "ticket": {
                "address": "ticket:{ticketId}",
                "description": "Joined with `join-ticket` (a ticket of the socket's tenant); "
                "carries `ticket:typing`.",
                "parameters": {"ticketId": {"description": "A ticket of the socket's tenant."}},
                "messages": {
                    key: {"$ref": f"#/components/messages/{key}"}
                    for key in [
                        *map(_key, client_events),
                        "ticket-typing",
                        "ticket-typing-request",
                        "ack",
                    ]
                },
            },
        },
        "operations": {
            **receive,
            **send,
            "receive-ticket-typing": {
                "action": "receive",
                "channel": {"$ref": "#/channels/ticket"},
                "messages": [_ref("ticket", "ticket-typing")],
            },
        },
        "components": {"messages": messages, "schemas": _schemas(models)},
    }
