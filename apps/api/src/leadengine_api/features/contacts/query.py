"""List query strings: values that may repeat and may be comma-separated
(`?status=ACTIVE,INACTIVE&status=ARCHIVED`), as the original API took them; and the contact
list's filters as a `ContactFilter`."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, TypeVar

from leadengine_contracts.contacts import MAX_TAG_LENGTH
from leadengine_core.contacts import ContactFilter, ContactStatus
from leadengine_core.errors import ValidationFailed
from litestar.params import QueryParameter

from leadengine_api.features.tickets.errors import invalid_field

__all__ = ["SearchParam", "StatusParam", "TagsParam", "contact_filter", "listed", "listed_members"]

E = TypeVar("E", bound=StrEnum)

MAX_LIST_VALUES = 50


def listed(name: str, allowed: str) -> QueryParameter:
    """A query parameter taking a list: repeated, comma-separated, or both."""
    return QueryParameter(
        name=name,
        required=False,
        description=f"Any of {allowed}; repeat the parameter or separate values with commas.",
    )


def listed_members(raw: list[str] | None, enum: type[E], field: str) -> frozenset[E]:
    """The enum members named, in any case; 422 naming `field` for an unknown one."""
    members = {member.value.casefold(): member for member in enum}
    try:
        return frozenset(members[value.casefold()] for value in _values(raw, field))
    except KeyError:
        allowed = ", ".join(members.values())
        raise _invalid(field, f"each value must be one of {allowed}") from None


StatusParam = Annotated[
    list[str] | None, listed("status", ", ".join(s.value for s in ContactStatus))
]
TagsParam = Annotated[list[str] | None, listed("tags", "the tags (a contact with any one matches)")]
SearchParam = Annotated[
    str | None,
    QueryParameter(
        max_length=200,
        description="Text in the name or an email, or a phone number however it is punctuated "
        "(with or without the 9th digit of a Brazilian mobile).",
    ),
]


def contact_filter(
    search: str | None, tags: list[str] | None, status: list[str] | None
) -> ContactFilter:
    """Called by the handler, not as a dependency: an error raised while dependencies resolve
    would skip the cleanup of the request's unit of work."""
    return ContactFilter(
        search=search,
        tags=frozenset(_tags(tags)),
        statuses=listed_members(status, ContactStatus, "status"),
    )


def _values(raw: list[str] | None, field: str) -> list[str]:
    values = [value.strip() for item in raw or [] for value in item.split(",")]
    if not all(values):
        raise _invalid(field, "a value cannot be empty")
    if len(values) > MAX_LIST_VALUES:
        raise _invalid(field, f"at most {MAX_LIST_VALUES} values")
    return values


def _tags(raw: list[str] | None) -> list[str]:
    values = _values(raw, "tags")
    if any(len(tag) > MAX_TAG_LENGTH for tag in values):
        raise _invalid("tags", f"a tag has at most {MAX_TAG_LENGTH} characters")
    return values


def _invalid(field: str, message: str) -> ValidationFailed:
    return invalid_field(field, message, source="query")
