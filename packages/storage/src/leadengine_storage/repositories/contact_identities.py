"""The ways WhatsApp names a contact, as rows of `contact_identities`: (kind, value) pairs."""

from __future__ import annotations

from enum import StrEnum

from leadengine_core.contacts import Contact

__all__ = ["Identity", "IdentityKind", "identities_of"]


class IdentityKind(StrEnum):
    PHONE = "phone"
    LID = "lid"
    GROUP = "group"


Identity = tuple[IdentityKind, str]


def identities_of(contact: Contact) -> list[Identity]:
    identities = [(IdentityKind.PHONE, key) for key in sorted(contact.phone_identities)]
    identities += [(IdentityKind.LID, lid) for lid in sorted(contact.lid_aliases)]
    if contact.group_jid is not None:
        identities.append((IdentityKind.GROUP, contact.group_jid))
    return identities
