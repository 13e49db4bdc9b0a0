"""The inbox query string as a `TicketFilter`: a dependency, so the list handler stays short.

List parameters (`status`, `priority`, `channel`, `tags`, `queueId`) may repeat and may hold
comma-separated values (`?status=OPEN,PENDING&status=ASSIGNED`), as the original API took them.
Ids are only parsed here; the service checks that each belongs to the caller's tenant.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, datetime
from enum import StrEnum
from typing import Annotated, TypeVar
from uuid import UUID

from leadengine_contracts.contacts import MAX_TAG_LENGTH
from leadengine_core.errors import ValidationFailed
from leadengine_core.ticket_status import FINISHED_STATUSES, OPEN_STATUSES
from leadengine_core.tickets import Channel, TicketFilter, TicketPriority, TicketStatus
from litestar.openapi.spec.enums import OpenAPIFormat
from litestar.params import FromQuery, QueryParameter

from leadengine_api.auth.principal import Principal
from leadengine_api.features.tickets.errors import invalid_field

__all__ = [
    "InboxQuery",
    "IncludeParam",
    "TicketInclude",
    "TicketScope",
    "TicketState",
    "inbox_query",
    "includes",
]

E = TypeVar("E", bound=StrEnum)

MAX_LIST_VALUES = 20


class TicketState(StrEnum):
    """Shorthand for a set of statuses; `status`, when also given, wins."""

    OPEN = "open"
    CLOSED = "closed"


class TicketScope(StrEnum):
    MINE = "mine"


@dataclass(frozen=True, slots=True)
class InboxQuery:
    filters: TicketFilter
    mine: bool = False

    def for_caller(self, principal: Principal) -> TicketFilter:
        """The filter, with `scope=mine` made the caller's own tickets."""
        if not self.mine:
            return self.filters
        me = principal.require_user()
        if self.filters.assignee_id not in (None, me):
            raise _invalid("assigneeId", "scope=mine already names the assignee: you")
        return replace(self.filters, assignee_id=me)


class TicketInclude(StrEnum):
    """What a single ticket can embed."""

    CONTACT = "contact"
    LEAD = "lead"


def _listed(name: str, allowed: str) -> QueryParameter:
    return QueryParameter(
        name=name,
        required=False,
        description=f"Any of {allowed}; repeat the parameter or separate values with commas.",
    )


StatusParam = Annotated[
    list[str] | None, _listed("status", ", ".join(s.value for s in TicketStatus))
]
PriorityParam = Annotated[
    list[str] | None, _listed("priority", ", ".join(p.value for p in TicketPriority))
]
ChannelParam = Annotated[list[str] | None, _listed("channel", ", ".join(c.value for c in Channel))]
TagsParam = Annotated[list[str] | None, _listed("tags", "the tags (a ticket with any one matches)")]
QueueParam = Annotated[list[str] | None, _listed("queueId", "the queue ids")]
IncludeParam = Annotated[list[str] | None, _listed("include", "contact, lead")]


def _one_of(name: str, enum: type[StrEnum]) -> QueryParameter:
    return QueryParameter(
        name=name, required=False, schema_extra={"enum": [member.value for member in enum]}
    )


async def inbox_query(
    status: StatusParam = None,
    state_name: Annotated[str | None, _one_of("state", TicketState)] = None,
    priority: PriorityParam = None,
    channel: ChannelParam = None,
    tags: TagsParam = None,
    queue_ids: QueueParam = None,
    assigneeId: FromQuery[UUID | None] = None,
    scope_name: Annotated[str | None, _one_of("scope", TicketScope)] = None,
    unassigned: FromQuery[bool] = False,
    instanceId: FromQuery[UUID | None] = None,
    search: Annotated[
        str | None,
        QueryParameter(
            max_length=200,
            description="Text in the subject or last message, or the contact's name, email or "
            "phone (however it is punctuated).",
        ),
    ] = None,
    updatedAfter: Annotated[
        str | None,
        QueryParameter(
            description="Only tickets active at or after this time (ISO 8601 with a UTC offset).",
            max_length=64,
            format=OpenAPIFormat.DATE_TIME,
        ),
    ] = None,
) -> InboxQuery:
    """What a list request asks for.

    Parameters Litestar validates are named as on the wire (`assigneeId`) because its errors
    name the Python parameter; `state` and `scope` are names Litestar reserves, so those two
    arrive as text and are checked here.
    """
    state = _member(state_name, TicketState, "state")
    filters = TicketFilter(
        statuses=_statuses(status, state),
        priorities=frozenset(_members(priority, TicketPriority, "priority")),
        channels=frozenset(_members(channel, Channel, "channel")),
        tags=frozenset(_tags(tags)),
        queue_ids=frozenset(_ids(queue_ids, "queueId")),
        assignee_id=assigneeId,
        unassigned=unassigned,
        instance_id=instanceId,
        search=search,
        active_from=None if updatedAfter is None else _in_utc(updatedAfter),
    )
    return InboxQuery(filters, mine=_member(scope_name, TicketScope, "scope") is not None)


def includes(raw: list[str] | None) -> frozenset[TicketInclude]:
    return frozenset(_members(raw, TicketInclude, "include"))


def _statuses(status: list[str] | None, state: TicketState | None) -> frozenset[TicketStatus]:
    listed = frozenset(_members(status, TicketStatus, "status"))
    if listed or state is None:
        return listed
    return OPEN_STATUSES if state is TicketState.OPEN else FINISHED_STATUSES


def _in_utc(text: str) -> datetime:
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise _invalid("updatedAfter", "not an ISO 8601 date-time") from None
    if moment.utcoffset() is None:
        raise _invalid("updatedAfter", "give the time with a UTC offset, e.g. 2025-01-31T12:00Z")
    try:
        return moment.astimezone(UTC)
    except OverflowError:
        raise _invalid("updatedAfter", "the time is out of range") from None


def _values(raw: list[str] | None, field: str) -> list[str]:
    values = [value.strip() for item in raw or [] for value in item.split(",") if value.strip()]
    if len(values) > MAX_LIST_VALUES:
        raise _invalid(field, f"at most {MAX_LIST_VALUES} values")
    return values


def _member(raw: str | None, enum: type[E], field: str) -> E | None:
    return None if raw is None else _parse(raw.strip(), enum, field)


def _members(raw: list[str] | None, enum: type[E], field: str) -> list[E]:
    return [_parse(value, enum, field) for value in _values(raw, field)]


def _parse(value: str, enum: type[E], field: str) -> E:
    try:
        return enum(value)
    except ValueError:
        allowed = ", ".join(member.value for member in enum)
        raise _invalid(field, f"each value must be one of {allowed}") from None


def _tags(raw: list[str] | None) -> list[str]:
    values = _values(raw, "tags")
    if any(len(tag) > MAX_TAG_LENGTH for tag in values):
        raise _invalid("tags", f"a tag has at most {MAX_TAG_LENGTH} characters")
    return values


def _ids(raw: list[str] | None, field: str) -> list[UUID]:
    try:
        return [UUID(value) for value in _values(raw, field)]
    except ValueError:
        raise _invalid(field, "each value must be a UUID") from None


def _invalid(field: str, message: str) -> ValidationFailed:
    return invalid_field(field, message, source="query")
