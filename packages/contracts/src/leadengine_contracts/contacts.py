"""Contacts: the people (and WhatsApp groups) a tenant talks to, their tags, merges and bulk
changes."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, ClassVar, Self
from uuid import UUID

from leadengine_core.contacts import Contact, ContactKind, ContactLinks, ContactStatus, TagCount
from pydantic import Field, StringConstraints, model_validator

from leadengine_contracts.base import WireModel
from leadengine_contracts.partial_update import PartialUpdate
from leadengine_contracts.types import Email, Name

__all__ = [
    "MAX_BULK_CONTACTS",
    "MAX_MERGE_SOURCES",
    "MAX_TAG_LENGTH",
    "BulkContactsRequest",
    "BulkContactsResult",
    "ContactOut",
    "CreateContactRequest",
    "CustomFields",
    "MergeContactsRequest",
    "Tag",
    "TagCountOut",
    "Tags",
    "UpdateContactRequest",
]

MAX_MERGE_SOURCES = 50
MAX_BULK_CONTACTS = 500
MAX_TAG_LENGTH = 60

Tag = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=MAX_TAG_LENGTH)
]
Tags = Annotated[list[Tag], Field(max_length=50)]
CustomFields = Annotated[
    dict[Annotated[str, StringConstraints(min_length=1, max_length=100)], Any],
    Field(max_length=100),
]
"""Free-form JSON values by key; what inbound WhatsApp records (consent, first contact…) too."""
Phone = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=40)]
"""As typed (`(31) 98888-7777`, `+55 31 98888 7777`); stored in E.164."""
AvatarUrl = Annotated[
    str, StringConstraints(strip_whitespace=True, max_length=2048, pattern=r"^https?://\S+$")
]


class CreateContactRequest(WireModel):
    """A person with a phone is unique per tenant in either spelling of a Brazilian mobile
    (with or without the 9th digit): a second one is 409 naming `existingContactId`."""

    name: Name
    phone: Phone | None = None
    email: Email | None = None
    tags: Tags = Field(default_factory=list)
    custom_fields: CustomFields = Field(default_factory=dict)
    status: ContactStatus = ContactStatus.ACTIVE
    avatar_url: AvatarUrl | None = None


class UpdateContactRequest(PartialUpdate):
    """`phone` becomes the primary phone (numbers learned before still find the contact);
    `email` becomes the first email; `tags` and `customFields` replace the stored ones;
    `avatarUrl: null` removes the picture."""

    clearable: ClassVar[frozenset[str]] = frozenset({"avatar_url"})

    name: Name | None = None
    phone: Phone | None = None
    email: Email | None = None
    tags: Tags | None = None
    custom_fields: CustomFields | None = None
    status: ContactStatus | None = None
    avatar_url: AvatarUrl | None = None


class ContactOut(WireModel):
    id: UUID
    kind: ContactKind
    name: str | None
    phone: str | None
    """The primary phone, E.164."""
    phones: list[str]
    """Every phone identity of the person (Brazilian mobiles with the 9th digit)."""
    group_jid: str | None
    email: str | None
    emails: list[str]
    tags: list[str]
    custom_fields: dict[str, Any]
    status: ContactStatus
    avatar_url: str | None
    last_interaction_at: datetime | None
    created_at: datetime
    updated_at: datetime
    open_tickets: int
    """Tickets of the contact still OPEN, PENDING or ASSIGNED."""
    lead_id: UUID | None
    """The contact's lead (one at most)."""

    @classmethod
    def from_domain(cls, contact: Contact, links: ContactLinks) -> ContactOut:
        return cls(
            id=contact.id,
            kind=contact.kind,
            name=contact.name,
            phone=contact.primary_phone,
            phones=sorted(contact.phone_identities),
            group_jid=contact.group_jid,
            email=next(iter(contact.emails), None),
            emails=contact.emails,
            tags=contact.tags,
            custom_fields=contact.custom_fields,
            status=contact.status,
            avatar_url=contact.avatar_url,
            last_interaction_at=contact.last_interaction_at,
            created_at=contact.created_at,
            updated_at=contact.updated_at,
            open_tickets=links.open_tickets,
            lead_id=links.lead_id,
        )


class TagCountOut(WireModel):
    tag: str
    count: int

    @classmethod
    def from_domain(cls, tag_count: TagCount) -> TagCountOut:
        return cls(tag=tag_count.tag, count=tag_count.count)


class MergeContactsRequest(WireModel):
    """Fold the sources into the target, then delete them (see the merge operation)."""

    target_id: UUID
    source_ids: Annotated[list[UUID], Field(min_length=1, max_length=MAX_MERGE_SOURCES)]

    @model_validator(mode="after")
    def _target_is_not_a_source(self) -> Self:
        if self.target_id in self.source_ids:
            raise ValueError("targetId cannot also be one of sourceIds")
        return self


class BulkContactsRequest(WireModel):
    """One change for many contacts: all of them are the caller's tenant's, or nothing changes.
    Tags in both `addTags` and `removeTags` end up removed."""

    contact_ids: Annotated[list[UUID], Field(min_length=1, max_length=MAX_BULK_CONTACTS)]
    status: ContactStatus | None = None
    add_tags: Tags = Field(default_factory=list)
    remove_tags: Tags = Field(default_factory=list)

    @model_validator(mode="after")
    def _changes_something(self) -> Self:
        if self.status is None and not self.add_tags and not self.remove_tags:
            raise ValueError("send status, addTags or removeTags")
        return self


class BulkContactsResult(WireModel):
    updated: int
    """How many contacts changed (those already in the requested state are not counted)."""
