"""The broker's own contract events, derived from a `WAMessage` the way the real broker does.

`MESSAGE_INBOUND` mirrors the broker's lead mapper, flaws included: `chatId`/`remoteJid` are
resolved to the phone JID when the alt JID reveals it, and `contact.phone` is the digits of
whatever JID is left — for a LID-only sender that is the LID's digits, not a phone (lesson 23).
Consumers must not trust it; the simulator keeps it so their normalisers are tested against it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from leadengine_integrations.simulator.schemas import SendBody
from leadengine_integrations.simulator.wamessage import BuiltMessage, option_hash

__all__ = ["message_inbound", "message_outbound", "poll_choice"]

_E164_DIGITS = 15
_OUTBOUND_TYPES = {"image": "media", "video": "media", "audio": "media", "document": "media"}


def _iso(epoch_seconds: int) -> str:
    moment = datetime.fromtimestamp(epoch_seconds, UTC)
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _broker_phone(jid: str | None) -> str | None:
    """The broker's `normalizePhone`: the digits before `@`, whatever the server."""
    if not jid:
        return None
    user = jid.split("@", 1)[0].strip()
    return f"+{user}" if user.isdigit() and len(user) <= _E164_DIGITS else None


def _resolved(jid: str | None, alt: str | None) -> str | None:
    if jid and jid.endswith("@lid") and alt:
        return alt
    return jid


def _contact(wamessage: Mapping[str, Any]) -> dict[str, Any]:
    key = wamessage["key"]
    remote = _resolved(key.get("remoteJid"), key.get("remoteJidAlt"))
    participant = _resolved(key.get("participant"), key.get("participantAlt"))
    is_group = bool(remote and remote.endswith("@g.us"))
    phone = (
        _broker_phone(participant)
        if is_group
        else _broker_phone(remote) or _broker_phone(participant)
    )
    push_name = (wamessage.get("pushName") or "").strip()
    return {
        "owner": "user",
        "remoteJid": remote,
        "participant": participant,
        "phone": phone,
        "displayName": push_name or phone or remote,
        "isGroup": is_group,
    }


def _media_summary(wamessage: Mapping[str, Any]) -> dict[str, Any] | None:
    content = wamessage["message"]
    if "documentWithCaptionMessage" in content:
        content = content["documentWithCaptionMessage"]["message"]
    for name, fields in content.items():
        if name.endswith("Message") and isinstance(fields, dict) and "mediaKey" in fields:
            return {
                "type": name.removesuffix("Message"),
                "caption": fields.get("caption"),
                "mimetype": fields.get("mimetype"),
                "fileName": fields.get("fileName"),
                "size": int(fields["fileLength"]),
                "directPath": fields.get("directPath"),
                "mediaKey": fields.get("mediaKey"),
            }
    return None


def message_inbound(instance_id: str, built: BuiltMessage) -> dict[str, Any]:
    """`MESSAGE_INBOUND` payload (§9.1) for a message the broker's filter lets through."""
    wamessage = built.wamessage
    key = wamessage["key"]
    message: dict[str, Any] = {
        "id": key["id"],
        "messageId": key["id"],
        "chatId": _resolved(key.get("remoteJid"), key.get("remoteJidAlt")),
        "type": built.contract_type,
        "text": built.text,
        "conversation": built.text,
    }
    media = _media_summary(wamessage)
    if media is not None:
        message["media"] = media
    return {
        "instanceId": instance_id,
        "contact": _contact(wamessage),
        "message": message,
        "metadata": {
            "timestamp": _iso(wamessage["messageTimestamp"]),
            "broker": {"direction": "inbound", "type": "baileys"},
            "source": "baileys-acessus",
        },
    }


def message_outbound(
    instance_id: str, *, provider_id: str, jid: str, message_type: str, body: SendBody, at: int
) -> dict[str, Any]:
    """`MESSAGE_OUTBOUND` (§9.1) for a send through the broker's API: an echo of OUR message,
    `owner: "device"`, with the phone as display name. Consumers must never send it again."""
    phone = _broker_phone(jid)
    text = body.text or body.caption or body.question
    message: dict[str, Any] = {
        "id": provider_id,
        "messageId": provider_id,
        "chatId": jid,
        "type": _OUTBOUND_TYPES.get(message_type, message_type),
        "text": text,
        "conversation": text,
    }
    if body.media is not None:
        message["media"] = {
            "type": message_type,
            "caption": body.caption,
            "mimetype": body.media.mimetype,
            "fileName": body.media.file_name,
            "source": "url",
        }
    return {
        "instanceId": instance_id,
        "contact": {
            "owner": "device",
            "remoteJid": jid,
            "participant": None,
            "phone": phone,
            "displayName": phone,
            "isGroup": jid.endswith("@g.us"),
        },
        "message": message,
        "metadata": {
            "timestamp": _iso(at),
            "broker": {"direction": "outbound", "type": "baileys"},
            "source": "baileys-acessus",
        },
    }


def poll_choice(
    *,
    poll_id: str,
    question: str,
    options: Sequence[str],
    votes: Mapping[str, Sequence[str]],
    voter_jid: str,
    built: BuiltMessage,
) -> dict[str, Any]:
    """`POLL_CHOICE` payload: the decrypted vote plus running totals over every voter."""
    wamessage = built.wamessage
    totals = {option: sum(option in chosen for chosen in votes.values()) for option in options}
    aggregates = [
        {"id": option_hash(option), "text": option, "votes": totals[option]} for option in options
    ]
    return {
        "pollId": poll_id,
        "question": question,
        "chatId": _resolved(
            wamessage["key"].get("remoteJid"), wamessage["key"].get("remoteJidAlt")
        ),
        "messageId": wamessage["key"]["id"],
        "timestamp": _iso(wamessage["messageTimestamp"]),
        "voterJid": voter_jid,
        "selectedOptions": [
            {"id": option_hash(option), "text": option} for option in votes.get(voter_jid, ())
        ],
        "optionsAggregates": aggregates,
        "aggregates": {
            "totalVoters": sum(1 for chosen in votes.values() if chosen),
            "totalVotes": sum(totals.values()),
            "optionTotals": aggregates,
        },
        "contact": _contact(wamessage),
    }
