"""Domain errors with stable codes.

The API maps each `code` to an HTTP status in one table; adapters translate their own failures
into these once, so no layer above core needs to know about SQL or HTTP client exceptions.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import ClassVar
from uuid import UUID


class DomainError(Exception):
    """A broken business rule; `code` is part of the public API and never changes."""

    code: ClassVar[str] = "DOMAIN_ERROR"

    def __init__(self, message: str, *, details: Mapping[str, object] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.details: dict[str, object] = dict(details or {})


class NotFound(DomainError):
    code: ClassVar[str] = "NOT_FOUND"


class Conflict(DomainError):
    code: ClassVar[str] = "CONFLICT"


class OpenTicketExists(Conflict):
    """The contact already has an open ticket on this instance; callers usually reuse it."""

    def __init__(
        self, existing_ticket_id: UUID, message: str = "contact already has an open ticket"
    ) -> None:
        super().__init__(message, details={"existingTicketId": str(existing_ticket_id)})
        self.existing_ticket_id = existing_ticket_id


class InvalidTransition(DomainError):
    code: ClassVar[str] = "INVALID_TRANSITION"


class InvalidPhone(DomainError):
    code: ClassVar[str] = "INVALID_PHONE"


class InvalidJid(DomainError):
    code: ClassVar[str] = "INVALID_JID"


class Forbidden(DomainError):
    code: ClassVar[str] = "FORBIDDEN"


class ValidationFailed(DomainError):
    code: ClassVar[str] = "VALIDATION_ERROR"
