"""Totality: any JSON value yields a batch, never an exception, and every event is storable."""

from __future__ import annotations

import copy
import dataclasses
import json
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from leadengine_integrations.normalize import (
    IgnoredEvent,
    InboundMessage,
    RejectedEvent,
    RejectReason,
    WebhookBatch,
    parse_evolution_webhook,
    parse_webhook,
)
from leadengine_integrations.normalize import samples as s

Parser = Callable[[object], WebhookBatch]
PARSERS: list[Parser] = [parse_webhook, parse_evolution_webhook]
KEY_LIMIT = 1024

EVENT_NAMES = [
    "WHATSAPP_MESSAGES_UPSERT",
    "WHATSAPP_MESSAGES_UPDATE",
    "WHATSAPP_MESSAGE_RECEIPT_UPDATE",
    "WHATSAPP_CONNECTION_UPDATE",
    "MESSAGE_INBOUND",
    "MESSAGE_OUTBOUND",
    "POLL_CHOICE",
    "messages.upsert",
    "send.message",
    "messages.update",
    "messages.delete",
    "messages.edited",
    "connection.update",
    "qrcode.updated",
]
FIELD_NAMES = [
    "event",
    "type",
    "instanceId",
    "iid",
    "instance",
    "payload",
    "raw",
    "normalized",
    "messages",
    "updates",
    "receipts",
    "events",
    "body",
    "data",
    "key",
    "message",
    "remoteJid",
    "fromMe",
    "id",
    "participant",
    "remoteJidAlt",
    "participantAlt",
    "senderPn",
    "isViewOnce",
    "messageTimestamp",
    "pushName",
    "status",
    "update",
    "receipt",
    "readTimestamp",
    "userJid",
    "conversation",
    "extendedTextMessage",
    "imageMessage",
    "documentWithCaptionMessage",
    "protocolMessage",
    "editedMessage",
    "ephemeralMessage",
    "viewOnceMessageV2",
    "reactionMessage",
    "pollCreationMessageV3",
    "contactsArrayMessage",
    "contacts",
    "locationMessage",
    "degreesLatitude",
    "contextInfo",
    "stanzaId",
    "quotedMessage",
    "text",
    "caption",
    "fileLength",
    "url",
    "low",
    "high",
    "unsigned",
    "connection",
    "qr",
    "lastDisconnect",
    "error",
    "output",
    "statusCode",
    "contact",
    "chatId",
    "pollId",
    "selectedOptions",
    "keyId",
    "state",
    "qrcode",
    "code",
    "timestampMs",
    "messageStubType",
    "options",
    "vcard",
    "nativeFlowResponseMessage",
    "paramsJson",
    "mediaUrl",
    "wuid",
    "timestamp",
]
JIDS = [
    s.CUSTOMER_JID,
    s.CUSTOMER_LID,
    s.GROUP_JID,
    "status@broadcast",
    "1@newsletter",
    "x@bot",
    "5531988887777:2@c.us",
    "@",
    "a@b@c",
    "",
]
SPECIAL_TEXTS = [
    *EVENT_NAMES,
    *JIDS,
    "REVOKE",
    "MESSAGE_EDIT",
    "READ",
    "DELETED",
    "1748779190",
    "1748779190123",
    "2025-06-01T12:00:00Z",
    "waid=5511977776666",
    "open",
    "close",
    '{"id": 1}',
    "[" * 3000,
    "https://mmg.whatsapp.net/x.enc",
    "notify",
]
HUGE_INTS = [2**63, -(2**64), 10**400, 2**31, -(2**31) - 1]

any_text = st.text(
    st.characters(min_codepoint=0, max_codepoint=0x10FFFF, exclude_categories=()), max_size=30
)
scalars = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.sampled_from(HUGE_INTS)
    | st.floats(allow_nan=True, allow_infinity=True)
    | any_text
    | st.sampled_from(SPECIAL_TEXTS)
)
field_names = st.sampled_from(FIELD_NAMES) | any_text
json_values = st.recursive(
    scalars,
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(field_names, children, max_size=6)
    ),
    max_leaves=30,
)
CONTENT_KEYS = [
    "conversation",
    "extendedTextMessage",
    "imageMessage",
    "videoMessage",
    "audioMessage",
    "documentMessage",
    "stickerMessage",
    "locationMessage",
    "liveLocationMessage",
    "contactMessage",
    "contactsArrayMessage",
    "pollCreationMessageV3",
    "pollUpdateMessage",
    "buttonsResponseMessage",
    "listResponseMessage",
    "templateButtonReplyMessage",
    "interactiveResponseMessage",
    "reactionMessage",
    "protocolMessage",
    "eventMessage",
    "ephemeralMessage",
    "viewOnceMessageV2",
    "documentWithCaptionMessage",
    "editedMessage",
    "messageContextInfo",
    "senderKeyDistributionMessage",
]
KEY_FIELDS = [
    "remoteJid",
    "fromMe",
    "id",
    "participant",
    "remoteJidAlt",
    "participantAlt",
    "senderPn",
    "senderLid",
    "participantPn",
    "isViewOnce",
]
content_bodies = st.dictionaries(field_names, json_values, max_size=6)
contents: st.SearchStrategy[dict[str, object]] = st.dictionaries(
    st.sampled_from(CONTENT_KEYS),
    content_bodies | st.fixed_dictionaries({"message": st.deferred(lambda: contents)}) | scalars,
    max_size=3,
)
wamessages = st.fixed_dictionaries(
    {"key": st.dictionaries(st.sampled_from(KEY_FIELDS), st.sampled_from(JIDS) | scalars)},
    optional={
        "message": contents,
        "messageTimestamp": scalars,
        "messageStubType": scalars,
        "pushName": scalars,
    },
)
broker_events = st.fixed_dictionaries(
    {"event": st.sampled_from(EVENT_NAMES), "instanceId": scalars},
    optional={
        "payload": st.fixed_dictionaries(
            {},
            optional={
                "raw": st.fixed_dictionaries({"messages": st.lists(wamessages, max_size=3)})
                | json_values,
                "messages": st.lists(wamessages, max_size=2),
                "contact": json_values,
                "message": json_values,
            },
        ),
        "body": json_values,
    },
)
evolution_events = st.fixed_dictionaries(
    {"event": st.sampled_from(EVENT_NAMES), "instance": scalars, "data": wamessages | json_values}
)


def assert_well_formed(batch: WebhookBatch) -> None:
    assert RejectReason.PARSER_ERROR not in {event.reason for event in batch.rejected}
    for event, key in batch.items:
        if isinstance(event, IgnoredEvent | RejectedEvent):
            assert key is None
        else:
            assert isinstance(key, str)
            assert 0 < len(key) <= KEY_LIMIT
        for value in _values(event):
            if isinstance(value, str):
                assert "\x00" not in value
                value.encode("utf-8")
            elif isinstance(value, datetime):
                assert value.tzinfo is UTC
        if isinstance(event, InboundMessage):
            json.dumps(event.raw, allow_nan=False)


def _values(value: object) -> Iterator[object]:
    yield value
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        for field in dataclasses.fields(value):
            yield from _values(getattr(value, field.name))
    elif isinstance(value, tuple | list):
        for item in value:
            yield from _values(item)
    elif isinstance(value, dict):
        for key, item in value.items():
            yield key
            yield from _values(item)


@pytest.mark.parametrize("parse", PARSERS)
@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(body=json_values)
def test_any_json_value(parse: Parser, body: object) -> None:
    assert_well_formed(parse(body))


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(body=broker_events | st.lists(broker_events, max_size=3))
def test_broker_shaped_values(body: object) -> None:
    assert_well_formed(parse_webhook(body))


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(body=evolution_events)
def test_evolution_shaped_values(body: object) -> None:
    assert_well_formed(parse_evolution_webhook(body))


def _paths(value: object, prefix: tuple[object, ...] = ()) -> Iterator[tuple[object, ...]]:
    yield prefix
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _paths(item, (*prefix, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _paths(item, (*prefix, index))


def _mutate(body: Any, path: tuple[object, ...], replacement: object, delete: bool) -> None:
    parent = body
    for step in path[:-1]:
        parent = parent[step]
    if delete and isinstance(parent, dict):
        del parent[path[-1]]
    else:
        parent[path[-1]] = replacement


SAMPLES = [(parse_webhook, s.broker_bodies()), (parse_evolution_webhook, s.evolution_bodies())]
CONFUSIONS: list[object] = [
    None,
    True,
    0,
    -1,
    1.5,
    float("nan"),
    10**5000,
    "",
    "x\x00\ud800",
    [],
    [None],
    {},
    {"low": -1},
]


@pytest.mark.parametrize(("parse", "samples"), SAMPLES, ids=["broker", "evolution"])
def test_every_field_of_real_payloads_survives_every_type_confusion(
    parse: Parser, samples: list[Any]
) -> None:
    """Exhaustive: each field of each sample, replaced by each confusing value or dropped."""
    for sample in samples:
        for path in list(_paths(sample))[1:]:
            for replacement in [*CONFUSIONS, _DROP]:
                body: Any = copy.deepcopy(sample)
                _mutate(body, path, replacement, delete=replacement is _DROP)
                try:
                    assert_well_formed(parse(body))
                except AssertionError as failure:
                    raise AssertionError(f"{path} = {replacement!r:.40}") from failure


_DROP = object()


@pytest.mark.parametrize(("parse", "samples"), SAMPLES, ids=["broker", "evolution"])
@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_random_mutations_of_real_payloads(
    parse: Parser, samples: list[Any], data: st.DataObject
) -> None:
    """Several fields at once, replaced by arbitrary JSON or dropped; deepest first, so the
    paths of parents stay valid while their children change."""
    body: Any = copy.deepcopy(data.draw(st.sampled_from(samples)))
    rate = data.draw(st.sampled_from([0.03, 0.1, 0.25]))
    chooser = data.draw(st.randoms(use_true_random=True))
    for path in sorted(_paths(body), key=len, reverse=True):
        if path and chooser.random() < rate:
            _mutate(body, path, data.draw(json_values), delete=chooser.random() < 0.2)

    assert_well_formed(parse(body))


def _nested(depth: int, leaf: object, wrap: Callable[[object], object]) -> object:
    value = leaf
    for _ in range(depth):
        value = wrap(value)
    return value


def _message(content: object, message_id: str | None = s.MESSAGE_ID) -> dict[str, object]:
    """Built by hand: the sample builders deep-copy, which recursion limits forbid here."""
    key = {"remoteJid": s.CUSTOMER_JID, "fromMe": False, "id": message_id}
    return {"key": key, "messageTimestamp": s.TIMESTAMP, "message": content}


def _upsert(*messages: object) -> dict[str, object]:
    return {
        "event": "WHATSAPP_MESSAGES_UPSERT",
        "instanceId": s.INSTANCE,
        "payload": {"raw": {"messages": list(messages)}},
    }


@pytest.mark.parametrize("parse", PARSERS)
def test_deep_nesting(parse: Parser) -> None:
    deep_content = _nested(5000, s.TEXT, lambda inner: {"ephemeralMessage": {"message": inner}})
    deep_quote = _nested(
        5000,
        s.TEXT,
        lambda inner: {
            "extendedTextMessage": {
                "text": "q",
                "contextInfo": {"stanzaId": "x", "quotedMessage": inner},
            }
        },
    )
    deep_list = _nested(5000, [], lambda inner: [inner])
    bodies = [
        _upsert(_message(deep_content, message_id=None), _message(deep_quote)),
        {"event": "messages.upsert", "instance": "evo", "data": _message(deep_quote)},
        {"event": "WHATSAPP_MESSAGES_UPSERT", "instanceId": "i", "payload": {"raw": "[" * 100_000}},
        {"events": deep_list},
        deep_list,
    ]
    for body in bodies:
        assert_well_formed(parse(body))


def test_deep_message_without_id_still_gets_a_stable_key() -> None:
    def body() -> dict[str, object]:
        deep = _nested(5000, s.TEXT, lambda inner: {"x": inner})
        return _upsert(_message({"eventMessage": deep}, message_id=None))

    first, again = parse_webhook(body()), parse_webhook(body())

    assert first.items[0].dedupe_key == again.items[0].dedupe_key is not None


@pytest.mark.parametrize("parse", PARSERS)
def test_integers_too_long_to_print(parse: Parser) -> None:
    giant = 10**5000
    message = _message(
        {"imageMessage": {"fileLength": giant, "seconds": giant, "caption": giant}}, "id"
    )
    message |= {"messageTimestamp": giant, "status": giant, "messageStubType": giant}
    reaction = _message({"reactionMessage": {"key": {"id": giant}, "senderTimestampMs": giant}})
    protocol = _message({"protocolMessage": {"type": giant, "key": {"id": "t"}}}, "p")
    update = {"key": {"id": giant, "remoteJid": giant}, "update": {"status": giant}}
    nack = {"key": {"id": "n"}, "update": {"status": 0, "messageStubParameters": [giant]}}
    long_value = {"low": giant, "high": giant, "unsigned": True}
    bodies: list[object] = [
        _upsert(message, reaction, protocol, _message(s.TEXT) | {"messageTimestamp": long_value}),
        {
            "event": "WHATSAPP_MESSAGES_UPDATE",
            "instanceId": giant,
            "payload": {"raw": {"updates": [update, nack]}},
        },
        {"event": "messages.update", "instance": "evo", "data": {"keyId": "k", "status": giant}},
        {
            "event": "connection.update",
            "instance": "evo",
            "data": {"state": "close", "statusReason": giant},
        },
        giant,
    ]
    for body in bodies:
        assert_well_formed(parse(body))
