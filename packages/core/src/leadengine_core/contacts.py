"""A contact: a person or a WhatsApp group, found again by any of its WhatsApp identities.

A person is keyed by the phone identities (`phone.phone_identity`) and `@lid` aliases seen so
far; whichever arrives first creates the contact, and when a message links a LID to a phone the
two records merge instead of becoming two people. A group is keyed by its group JID.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from uuid import UUID

from leadengine_core.errors import Forbidden, InvalidJid, InvalidPhone, ValidationFailed
from leadengine_core.jid import JidKind, parse_jid
from leadengine_core.phone import normalize_phone, phone_identity

# What a person types when searching for a number: "+55 (31) 98888-7777", "3198888".
_PHONE_LIKE = re.compile(r"[0-9+()\-.\s]*[0-9][0-9+()\-.\s]*", re.ASCII)
_NON_DIGITS = re.compile(r"[^0-9]", re.ASCII)


class ContactKind(StrEnum):
    PERSON = "PERSON"
    GROUP = "GROUP"


class ContactStatus(StrEnum):
    ACTIVE = "ACTIVE"
    INACTIVE = "INACTIVE"
    ARCHIVED = "ARCHIVED"


@dataclass(slots=True, kw_only=True)
class Contact:
    """`name` stays None until someone (an agent, or the customer's own pushName) names it."""

    tenant_id: UUID
    id: UUID
    created_at: datetime
    updated_at: datetime
    kind: ContactKind = ContactKind.PERSON
    name: str | None = None
    primary_phone: str | None = None
    phone_identities: set[str] = field(default_factory=set)
    lid_aliases: set[str] = field(default_factory=set)
    group_jid: str | None = None
    emails: list[str] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)
    custom_fields: dict[str, object] = field(default_factory=dict)
    status: ContactStatus = ContactStatus.ACTIVE
    avatar_url: str | None = None
    last_interaction_at: datetime | None = None

    def learn_phone(self, e164: str, *, at: datetime | None = None) -> bool:
        """Remember a phone; the first one learned becomes the primary phone."""
        identity = phone_identity(e164)
        changed = identity not in self.phone_identities or self.primary_phone is None
        self.phone_identities.add(identity)
        self.primary_phone = self.primary_phone or e164
        return self._touched(changed, at)

    def set_primary_phone(self, e164: str, *, at: datetime | None = None) -> bool:
        """An agent's choice of the number to use: learned like any phone, then made primary.
        Phones learned before stay identities: WhatsApp may still write from them."""
        changed = self.learn_phone(e164) or self.primary_phone != e164
        self.primary_phone = e164
        return self._touched(changed, at)

    def add_lid(self, lid: str, *, at: datetime | None = None) -> bool:
        """Remember an `@lid` alias, stored normalised (`123@lid`)."""
        jid = parse_jid(lid)
        if jid.kind is not JidKind.LID:
            raise InvalidJid("expected an @lid JID", details={"value": lid})
        changed = jid.normalized not in self.lid_aliases
        self.lid_aliases.add(jid.normalized)
        return self._touched(changed, at)

    def learn_push_name(
        self, push_name: str | None, *, from_me: bool, at: datetime | None = None
    ) -> bool:
        """Take the WhatsApp profile name only for a nameless contact.

        A `fromMe` message carries our own pushName, and a name an agent typed always wins.
        """
        candidate = (push_name or "").strip()
        if from_me or not candidate or self.name:
            return False
        self.name = candidate
        return self._touched(True, at)

    def record_interaction(self, at: datetime) -> None:
        if self.last_interaction_at is None or at > self.last_interaction_at:
            self.last_interaction_at = at

    def merge_from(self, other: Contact, *, at: datetime | None = None) -> None:
        """Absorb a duplicate of the same person; this contact's own values win conflicts.

        The caller then re-points the duplicate's tickets, messages and lead, and deletes it.
        """
        if other.tenant_id != self.tenant_id:
            raise Forbidden("contacts of different tenants cannot be merged")
        if other.id == self.id or other.kind is not self.kind:
            raise ValidationFailed(
                "only two different contacts of the same kind can be merged",
                details={"contactId": str(self.id), "otherId": str(other.id)},
            )
        self.name = self.name or other.name
        self.primary_phone = self.primary_phone or other.primary_phone
        self.group_jid = self.group_jid or other.group_jid
        self.avatar_url = self.avatar_url or other.avatar_url
        self.phone_identities |= other.phone_identities
        self.lid_aliases |= other.lid_aliases
        self.emails = _union(self.emails, other.emails)
        self.tags = _union(self.tags, other.tags)
        self.custom_fields = {**other.custom_fields, **self.custom_fields}
        if other.last_interaction_at is not None:
            self.record_interaction(other.last_interaction_at)
        self._touched(True, at)

    def _touched(self, changed: bool, at: datetime | None) -> bool:
        if changed and at is not None:
            self.updated_at = at
        return changed


def _union(first: list[str], second: list[str]) -> list[str]:
    """Both lists, first-seen order, without duplicates."""
    return list(dict.fromkeys([*first, *second]))


@dataclass(frozen=True, slots=True, kw_only=True)
class ContactLinks:
    """What hangs off a contact, as a contact list shows it."""

    open_tickets: int = 0
    lead_id: UUID | None = None


@dataclass(frozen=True, slots=True)
class TagCount:
    """How many contacts of a tenant carry `tag`."""

    tag: str
    count: int


@dataclass(frozen=True, slots=True, kw_only=True)
class ContactFilter:
    """Contact list filters; an empty set or None means "any". `matches` is the reference
    semantics that storage reproduces in SQL."""

    search: str | None = None
    tags: frozenset[str] = frozenset()
    statuses: frozenset[ContactStatus] = frozenset()

    @property
    def needle(self) -> str:
        """The search text, trimmed; empty when there is no search."""
        return (self.search or "").strip()

    @property
    def phone_digits(self) -> str | None:
        """The search as phone digits when it reads like a number (`(31) 98888-7777`), so a
        number is found however it was punctuated; None for any other search."""
        if _PHONE_LIKE.fullmatch(self.needle) is None:
            return None
        return _NON_DIGITS.sub("", self.needle)

    @property
    def phone_key(self) -> str | None:
        """The identity key of a search that is a whole phone number, so either spelling of a
        Brazilian mobile finds the person; None for anything else."""
        if self.phone_digits is None:
            return None
        try:
            return phone_identity(normalize_phone(self.needle))
        except InvalidPhone:
            return None

    def matches(self, contact: Contact) -> bool:
        """Any of the tags; search is a case-insensitive substring of the name or an email,
        the digits of a phone-like search within the primary phone or a phone identity, or a
        whole number in either spelling (`phone_key`)."""
        return (
            (not self.statuses or contact.status in self.statuses)
            and (not self.tags or not self.tags.isdisjoint(contact.tags))
            and self._matches_search(contact)
        )

    def _matches_search(self, contact: Contact) -> bool:
        needle = self.needle.casefold()
        if not needle:
            return True
        texts = [contact.name or "", *contact.emails]
        if any(needle in text.casefold() for text in texts):
            return True
        digits = self.phone_digits
        if digits is None:
            return False
        phones = [contact.primary_phone or "", *contact.phone_identities]
        return self.phone_key in contact.phone_identities or any(digits in p for p in phones)
