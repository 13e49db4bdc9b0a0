"""Turning a send's `to` into a JID the way the broker does, and refusing what it would."""

from __future__ import annotations

import re

__all__ = ["digits_of", "phone_jid", "recipient_jid"]

_PHONE = re.compile(r"[0-9]{10,15}")
_JID = re.compile(
    r"(?P<user>[0-9]+(?:-[0-9]+)?)(?::[0-9]+)?@(?P<server>s\.whatsapp\.net|c\.us|g\.us|lid)"
)
_SEPARATORS = str.maketrans("", "", " +-().")


def digits_of(value: str) -> str | None:
    """The digits of an E.164-ish phone (`+55 (11) 98888-7777`), or None if it is not one."""
    digits = value.strip().translate(_SEPARATORS)
    return digits if _PHONE.fullmatch(digits) else None


def phone_jid(digits: str) -> str:
    return f"{digits}@s.whatsapp.net"


def recipient_jid(to: str) -> str | None:
    """A phone becomes `<digits>@s.whatsapp.net`; a user, group or LID JID passes normalised."""
    match = _JID.fullmatch(to.strip())
    if match:
        server = "s.whatsapp.net" if match["server"] == "c.us" else match["server"]
        return f"{match['user']}@{server}"
    digits = digits_of(to)
    return phone_jid(digits) if digits else None
