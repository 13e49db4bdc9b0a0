"""WhatsApp JIDs: `user[_agent][:device]@server`.

The same person appears as `…@s.whatsapp.net` or `…@c.us`, with or without a device or agent
suffix, so JIDs are compared only in their `normalized` form. A phone number is read only from
the phone-number namespace: `@lid` (privacy ids), `@g.us`, `@broadcast` and `@newsletter` users
are digits too, but never phones.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

from leadengine_core.errors import InvalidJid
from leadengine_core.phone import MAX_DIGITS, MIN_DIGITS


class JidKind(StrEnum):
    PHONE = "PHONE"
    LID = "LID"
    GROUP = "GROUP"
    BROADCAST = "BROADCAST"
    NEWSLETTER = "NEWSLETTER"
    OTHER = "OTHER"


PHONE_SERVER = "s.whatsapp.net"
STATUS_BROADCAST = "status@broadcast"

_KIND_BY_SERVER = {
    PHONE_SERVER: JidKind.PHONE,
    "c.us": JidKind.PHONE,
    "hosted": JidKind.PHONE,
    "lid": JidKind.LID,
    "hosted.lid": JidKind.LID,
    "g.us": JidKind.GROUP,
    "broadcast": JidKind.BROADCAST,
    "newsletter": JidKind.NEWSLETTER,
}
_JID = re.compile(
    r"(?P<user>[A-Za-z0-9.-]+?)(?:_(?P<agent>[0-9]{1,9}))?(?::(?P<device>[0-9]{1,9}))?"
    r"@(?P<server>[a-z0-9-]+(?:\.[a-z0-9-]+)*)",
    re.ASCII,
)
_PHONE_USER = re.compile(rf"[0-9]{{{MIN_DIGITS},{MAX_DIGITS}}}", re.ASCII)


@dataclass(frozen=True, slots=True)
class Jid:
    user: str
    server: str
    kind: JidKind
    device: int | None = None
    agent: int | None = None

    @property
    def normalized(self) -> str:
        """The comparable form: no agent or device, `c.us` spelled `s.whatsapp.net`."""
        server = PHONE_SERVER if self.server == "c.us" else self.server
        return f"{self.user}@{server}"

    @property
    def phone(self) -> str | None:
        """E.164 for a phone-number JID; None for LIDs, groups, channels and service ids."""
        if self.kind is not JidKind.PHONE or _PHONE_USER.fullmatch(self.user) is None:
            return None
        return f"+{self.user}"

    @property
    def is_group(self) -> bool:
        return self.kind is JidKind.GROUP

    @property
    def is_status_broadcast(self) -> bool:
        return self.normalized == STATUS_BROADCAST


def parse_jid(value: str) -> Jid:
    """Split a JID into its parts; InvalidJid for anything that is not one."""
    user, separator, server = value.strip().rpartition("@")
    match = _JID.fullmatch(f"{user}{separator}{server.lower()}")
    if match is None:
        raise InvalidJid("not a WhatsApp JID", details={"value": value})
    server = match["server"]
    return Jid(
        user=match["user"],
        server=server,
        kind=_KIND_BY_SERVER.get(server, JidKind.OTHER),
        device=_optional_int(match["device"]),
        agent=_optional_int(match["agent"]),
    )


def try_parse_jid(value: str | None) -> Jid | None:
    """`parse_jid` for tolerant payload parsing, where a bad JID is just absent."""
    if value is None:
        return None
    try:
        return parse_jid(value)
    except InvalidJid:
        return None


def is_status_broadcast(value: str | None) -> bool:
    jid = try_parse_jid(value)
    return jid is not None and jid.is_status_broadcast


def _optional_int(digits: str | None) -> int | None:
    return None if digits is None else int(digits)
