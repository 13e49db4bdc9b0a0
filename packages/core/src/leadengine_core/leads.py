"""A lead: the sales side of a contact (one per contact), with an activity log.

Lead status is free within the enum (the original enforced no order and sales teams move
leads both ways); what matters is that every change leaves an activity behind, so the
mutators return the `LeadActivity` for the caller to store.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from uuid import UUID

from leadengine_core.errors import Forbidden, ValidationFailed
from leadengine_core.messages import Direction


class LeadStatus(StrEnum):
    NEW = "NEW"
    CONTACTED = "CONTACTED"
    ENGAGED = "ENGAGED"
    QUALIFIED = "QUALIFIED"
    PROPOSAL = "PROPOSAL"
    NEGOTIATION = "NEGOTIATION"
    CONVERTED = "CONVERTED"
    LOST = "LOST"
    NURTURING = "NURTURING"


class LeadSource(StrEnum):
    ORGANIC = "ORGANIC"
    PAID_ADS = "PAID_ADS"
    SOCIAL_MEDIA = "SOCIAL_MEDIA"
    EMAIL = "EMAIL"
    REFERRAL = "REFERRAL"
    WHATSAPP = "WHATSAPP"
    WEBSITE = "WEBSITE"
    PHONE = "PHONE"
    EVENT = "EVENT"
    PARTNER = "PARTNER"
    IMPORT = "IMPORT"
    OTHER = "OTHER"


class LeadActivityType(StrEnum):
    CREATED = "CREATED"
    STATUS_CHANGED = "STATUS_CHANGED"
    WHATSAPP_SENT = "WHATSAPP_SENT"
    WHATSAPP_REPLIED = "WHATSAPP_REPLIED"
    NOTE_ADDED = "NOTE_ADDED"
    ASSIGNED = "ASSIGNED"
    CONVERTED = "CONVERTED"
    LOST = "LOST"


@dataclass(slots=True, kw_only=True)
class LeadActivity:
    """One line of a lead's history. A WhatsApp activity names its message in
    `metadata["messageId"]`, which makes recording it idempotent."""

    tenant_id: UUID
    id: UUID
    lead_id: UUID
    type: LeadActivityType
    title: str
    occurred_at: datetime
    actor_id: UUID | None = None
    description: str | None = None
    metadata: dict[str, object] = field(default_factory=dict)


@dataclass(slots=True, kw_only=True)
class Lead:
    tenant_id: UUID
    id: UUID
    contact_id: UUID
    source: LeadSource
    created_at: datetime
    updated_at: datetime
    status: LeadStatus = LeadStatus.NEW
    assignee_id: UUID | None = None
    value: float | None = None
    probability: int | None = None
    tags: list[str] = field(default_factory=list)
    notes: str | None = None
    custom_fields: dict[str, object] = field(default_factory=dict)
    last_contact_at: datetime | None = None

    def created_activity(self, *, activity_id: UUID, actor_id: UUID | None = None) -> LeadActivity:
        return self._activity(
            activity_id,
            LeadActivityType.CREATED,
            f"Lead created from {self.source}",
            at=self.created_at,
            actor_id=actor_id,
        )

    def change_status(
        self,
        to: LeadStatus,
        *,
        at: datetime,
        activity_id: UUID,
        actor_id: UUID | None = None,
        reason: str | None = None,
    ) -> LeadActivity | None:
        """Set the status; None when it already was `to` (nothing to record)."""
        if to == self.status:
            return None
        previous, self.status, self.updated_at = self.status, to, at
        kind = {
            LeadStatus.CONVERTED: LeadActivityType.CONVERTED,
            LeadStatus.LOST: LeadActivityType.LOST,
        }.get(to, LeadActivityType.STATUS_CHANGED)
        return self._activity(
            activity_id,
            kind,
            f"Status changed from {previous} to {to}",
            at=at,
            actor_id=actor_id,
            description=reason,
            metadata={"from": str(previous), "to": str(to)},
        )

    def assign(
        self, user_id: UUID | None, *, at: datetime, activity_id: UUID, actor_id: UUID | None = None
    ) -> LeadActivity | None:
        if user_id == self.assignee_id:
            return None
        self.assignee_id, self.updated_at = user_id, at
        return self._activity(
            activity_id,
            LeadActivityType.ASSIGNED,
            "Lead assigned" if user_id else "Lead unassigned",
            at=at,
            actor_id=actor_id,
            metadata={"assigneeId": str(user_id) if user_id else None},
        )

    def record_whatsapp_message(
        self,
        direction: Direction,
        *,
        message_id: UUID,
        at: datetime,
        activity_id: UUID,
        actor_id: UUID | None = None,
    ) -> LeadActivity:
        """A message exchanged with the lead's contact: refreshes `last_contact_at`."""
        if self.last_contact_at is None or at > self.last_contact_at:
            self.last_contact_at = at
        self.updated_at = max(self.updated_at, at)
        inbound = direction is Direction.INBOUND
        return self._activity(
            activity_id,
            LeadActivityType.WHATSAPP_REPLIED if inbound else LeadActivityType.WHATSAPP_SENT,
            "WhatsApp message received" if inbound else "WhatsApp message sent",
            at=at,
            actor_id=actor_id,
            metadata={"messageId": str(message_id)},
        )

    def merge_from(self, other: Lead, *, at: datetime) -> None:
        """Absorb the lead of a contact merged into this lead's contact.

        This lead's status and values win; gaps are filled from `other`, tags and custom
        fields are united and both notes are kept. The caller moves `other`'s activities here
        and deletes it.
        """
        if other.tenant_id != self.tenant_id:
            raise Forbidden("leads of different tenants cannot be merged")
        if other.id == self.id:
            raise ValidationFailed(
                "a lead cannot be merged into itself", details={"id": str(self.id)}
            )
        self.assignee_id = self.assignee_id or other.assignee_id
        self.value = other.value if self.value is None else self.value
        self.probability = other.probability if self.probability is None else self.probability
        self.notes = "\n\n".join(note for note in (self.notes, other.notes) if note) or None
        self.tags = list(dict.fromkeys([*self.tags, *other.tags]))
        self.custom_fields = {**other.custom_fields, **self.custom_fields}
        contacts = [moment for moment in (self.last_contact_at, other.last_contact_at) if moment]
        self.last_contact_at = max(contacts, default=None)
        self.updated_at = at

    def _activity(
        self,
        activity_id: UUID,
        kind: LeadActivityType,
        title: str,
        *,
        at: datetime,
        actor_id: UUID | None,
        description: str | None = None,
        metadata: dict[str, object] | None = None,
    ) -> LeadActivity:
        return LeadActivity(
            tenant_id=self.tenant_id,
            id=activity_id,
            lead_id=self.id,
            type=kind,
            title=title,
            occurred_at=at,
            actor_id=actor_id,
            description=description,
            metadata=metadata or {},
        )
