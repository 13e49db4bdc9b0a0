"""Dedupe keys: the durable inbox stores each key once (UNIQUE), so a key names the fact an
event reports, not the delivery that carried it.

| event | key |
|---|---|
| message (raw) | `msg:{instance}:{provider_message_id}` (no id: `msg:{instance}:sha256:{digest}`) |
| message (contract) | `msg:{instance}:{provider_message_id}:contract` |
| ack | `ack:{instance}:{provider_message_id}:{status}` (+ `:{participant}` for group receipts) |
| edit | `edit:{instance}:{target}:{edit epoch ms, else the edit message's id}` |
| revoke | `revoke:{instance}:{target}` |
| reaction | `react:{instance}:{target}:{sender}:{emoji or empty}:{epoch ms}` |
| poll vote | `vote:{instance}:{poll}:{voter}:{epoch ms}:{selection digest}` |
| connection | `conn:{instance}:{status}:{epoch ms, else sha256 of the event}` |

Why each part:

- Messages key on the instance and WhatsApp's id (ids are per account, §10.4), so every
  redelivery collapses into one (§10.1-3). The broker's MESSAGE_INBOUND and the raw upsert of
  the same message keep one key each: the contract event arrives first but carries less (no
  quote, no LID alternate, no media details), so the raw copy must still reach the apply step,
  which stores one message row and enriches it. A message without an id hashes its canonical
  JSON (never a random id, §10.37), so a byte-identical redelivery still collapses.
- Acks include the status (lesson 20): DELIVERED then READ are two facts. Group receipts come
  per member, so they include the member.
- Edits key on the edit time: the raw protocol message (`timestampMs`) and Baileys' processed
  update (`floor(timestampMs / 1000)`) of the same edit then collapse, because times are
  compared at the precision both carry: whole seconds.
- Reactions and votes include the time, because a reactor may put back an emoji they removed,
  and a voter may return to an earlier choice.

Absent parts are empty strings; `%` and `:` inside a part are percent-encoded, so parts can
never run into each other. Every part is length-capped upstream, so keys fit a btree index.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from datetime import datetime

from leadengine_integrations.normalize.audit import canonical_digest
from leadengine_integrations.normalize.timestamps import epoch_ms


def message_key(
    instance: str, provider_message_id: str | None, raw: object, *, contract: bool = False
) -> str:
    if provider_message_id is None:
        return _join("msg", instance, "sha256", canonical_digest(raw))
    if contract:
        return _join("msg", instance, provider_message_id, "contract")
    return _join("msg", instance, provider_message_id)


def ack_key(instance: str, provider_message_id: str, status: str, participant: str | None) -> str:
    parts = ["ack", instance, provider_message_id, status]
    if participant is not None:
        parts.append(participant)
    return _join(*parts)


def edit_key(instance: str, target: str, at: datetime | None, edit_message_id: str | None) -> str:
    moment = None if at is None else str(epoch_ms(at) // 1000 * 1000)
    return _join("edit", instance, target, moment or edit_message_id)


def revoke_key(instance: str, target: str) -> str:
    return _join("revoke", instance, target)


def reaction_key(instance: str, target: str, sender: str, emoji: str, at: datetime | None) -> str:
    return _join("react", instance, target, sender, emoji, _ms(at))


def vote_key(
    instance: str,
    poll_message_id: str,
    voter: str | None,
    at: datetime | None,
    selection: Iterable[str],
) -> str:
    chosen = "\n".join(sorted(selection)).encode("utf-8", "replace")
    digest = hashlib.sha256(chosen).hexdigest()[:16]
    return _join("vote", instance, poll_message_id, voter, _ms(at), digest)


def connection_key(instance: str, status: str, at: datetime | None, event: object) -> str:
    moment = _ms(at)
    return _join("conn", instance, status, moment or f"sha256-{canonical_digest(event)}")


def _ms(at: datetime | None) -> str | None:
    return None if at is None else str(epoch_ms(at))


def _join(*parts: str | None) -> str:
    return ":".join(_escape(part) for part in parts)


def _escape(part: str | None) -> str:
    if part is None:
        return ""
    return part.replace("%", "%25").replace(":", "%3A")
