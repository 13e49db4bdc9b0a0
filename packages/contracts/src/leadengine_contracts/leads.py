"""Leads: the sales side of a contact (one per contact) and its activity history."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Annotated, Any, ClassVar, Self
from uuid import UUID

from leadengine_core.leads import Lead, LeadActivity, LeadActivityType, LeadSource, LeadStatus
from pydantic import BeforeValidator, Field, StringConstraints, model_validator

from leadengine_contracts.base import WireModel
from leadengine_contracts.contacts import ContactOut, Tags
from leadengine_contracts.partial_update import PartialUpdate
from leadengine_contracts.types import Number, WholeNumber

__all__ = [
    "CreateLeadRequest",
    "LeadActivityOut",
    "LeadInclude",
    "LeadOut",
    "UpdateLeadRequest",
]


def _upper(value: object) -> object:
    """Enum names in any case (`whatsapp`, `Whatsapp`), as the original accepted them."""
    return value.strip().upper() if isinstance(value, str) else value


Source = Annotated[LeadSource, BeforeValidator(_upper)]
Status = Annotated[LeadStatus, BeforeValidator(_upper)]
Value = Annotated[float, Number, Field(ge=0, le=1e12, allow_inf_nan=False)]
Probability = Annotated[int, WholeNumber, Field(ge=0, le=100)]
Notes = Annotated[str, StringConstraints(strip_whitespace=True, max_length=5000)]
Reason = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=500)]


class LeadInclude(StrEnum):
    """Related records a lead response may embed (`?include=contact`)."""

    CONTACT = "contact"


class CreateLeadRequest(WireModel):
    """A contact has at most one lead: a second one is 409 naming `existingLeadId`."""

    contact_id: UUID
    source: Source
    status: Status = LeadStatus.NEW
    value: Value | None = None
    probability: Probability | None = None
    tags: Tags = Field(default_factory=list)
    notes: Notes | None = None


class UpdateLeadRequest(PartialUpdate):
    """A status change is recorded in the history (CONVERTED and LOST with their own types),
    with `reason` as its description; `value`, `probability`, `notes` and `assigneeId` take
    null to clear."""

    clearable: ClassVar[frozenset[str]] = frozenset(
        {"value", "probability", "notes", "assignee_id"}
    )

    status: Status | None = None
    reason: Reason | None = None
    source: Source | None = None
    value: Value | None = None
    probability: Probability | None = None
    tags: Tags | None = None
    notes: Notes | None = None
    assignee_id: UUID | None = None

    @model_validator(mode="after")
    def _reason_goes_with_status(self) -> Self:
        if self.reason is not None and self.status is None:
            raise ValueError("reason explains a status change: send status too")
        return self


class LeadOut(WireModel):
    id: UUID
    contact_id: UUID
    status: LeadStatus
    source: LeadSource
    assignee_id: UUID | None
    value: float | None
    probability: int | None
    tags: list[str]
    notes: str | None
    custom_fields: dict[str, Any]
    last_contact_at: datetime | None
    created_at: datetime
    updated_at: datetime
    contact: ContactOut | None = None
    """Only with `?include=contact`."""

    @classmethod
    def from_domain(cls, lead: Lead, *, contact: ContactOut | None = None) -> LeadOut:
        return cls(
            id=lead.id,
            contact_id=lead.contact_id,
            status=lead.status,
            source=lead.source,
            assignee_id=lead.assignee_id,
            value=lead.value,
            probability=lead.probability,
            tags=lead.tags,
            notes=lead.notes,
            custom_fields=lead.custom_fields,
            last_contact_at=lead.last_contact_at,
            created_at=lead.created_at,
            updated_at=lead.updated_at,
            contact=contact,
        )


class LeadActivityOut(WireModel):
    id: UUID
    lead_id: UUID
    type: LeadActivityType
    title: str
    description: str | None
    actor_id: UUID | None
    """The user who did it; None for the system (inbound WhatsApp)."""
    metadata: dict[str, Any]
    occurred_at: datetime

    @classmethod
    def from_domain(cls, activity: LeadActivity) -> LeadActivityOut:
        return cls(
            id=activity.id,
            lead_id=activity.lead_id,
            type=activity.type,
            title=activity.title,
            description=activity.description,
            actor_id=activity.actor_id,
            metadata=activity.metadata,
            occurred_at=activity.occurred_at,
        )
