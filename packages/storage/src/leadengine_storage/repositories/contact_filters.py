"""`ContactFilter` as SQL, with the semantics of `ContactFilter.matches` (core's reference)."""

from __future__ import annotations

from uuid import UUID

from leadengine_core.contacts import ContactFilter
from sqlalchemy import ColumnElement, exists, or_

from leadengine_storage.portable_sql import contains_folded, json_array_has_match
from leadengine_storage.repositories.contact_identities import IdentityKind
from leadengine_storage.tables import contact_identities, contact_tags, contacts

__all__ = ["contact_conditions"]


def contact_conditions(
    dialect: str, tenant_id: UUID, filters: ContactFilter
) -> list[ColumnElement[bool]]:
    conditions = [contacts.c.tenant_id == tenant_id]
    if filters.statuses:
        conditions.append(contacts.c.status.in_(sorted(map(str, filters.statuses))))
    if filters.tags:
        conditions.append(
            exists().where(
                contact_tags.c.tenant_id == tenant_id,
                contact_tags.c.contact_id == contacts.c.id,
                contact_tags.c.tag.in_(sorted(filters.tags)),
            )
        )
    if filters.needle:
        conditions.append(_search(dialect, tenant_id, filters))
    return conditions


def _search(dialect: str, tenant_id: UUID, filters: ContactFilter) -> ColumnElement[bool]:
    matches = [
        contains_folded(dialect, contacts.c.name, filters.needle),
        json_array_has_match(dialect, contacts.c.emails, filters.needle),
    ]
    digits = filters.phone_digits
    if digits:
        identity = contact_identities.c.value
        identity_matches = [identity.contains(digits, autoescape=True)]
        if filters.phone_key is not None:
            identity_matches.append(identity == filters.phone_key)
        matches.append(contacts.c.primary_phone.contains(digits, autoescape=True))
        matches.append(
            exists().where(
                contact_identities.c.tenant_id == tenant_id,
                contact_identities.c.contact_id == contacts.c.id,
                contact_identities.c.kind == IdentityKind.PHONE.value,
                or_(*identity_matches),
            )
        )
    return or_(*matches)
