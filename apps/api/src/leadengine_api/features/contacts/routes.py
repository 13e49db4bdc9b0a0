"""/api/contacts: list, create, view and change contacts; tag counts, merges, bulk changes.

Static paths (`/tags`, `/merge`, `/actions/bulk`) come before `/{contactId}`. Any role may
read and write contacts.
"""

from __future__ import annotations

from uuid import UUID

from leadengine_contracts.contacts import (
    BulkContactsRequest,
    BulkContactsResult,
    ContactOut,
    CreateContactRequest,
    MergeContactsRequest,
    TagCountOut,
    UpdateContactRequest,
)
from leadengine_contracts.pagination import Page
from leadengine_core.ports import DEFAULT_PAGE_SIZE
from leadengine_core.users import Permission
from litestar import Controller, get, patch, post
from litestar.params import FromPath, JSONBody
from litestar.status_codes import HTTP_200_OK, HTTP_201_CREATED

from leadengine_api.api_docs import USER_ERRORS
from leadengine_api.features.contacts import merge, query, service
from leadengine_api.features.contacts.views import contact_out, contacts_out
from leadengine_api.features.tickets.lookups import contact_of
from leadengine_api.features.tickets.pages import Cursor, Limit
from leadengine_api.injected import Caller, Context, Uow

__all__ = ["ContactsController"]


class ContactsController(Controller):
    path = "/api/contacts"
    tags = ["contacts"]

    @get("/", operation_id="listContacts", responses=USER_ERRORS)
    async def list_contacts(
        self,
        principal: Caller,
        uow: Uow,
        search: query.SearchParam = None,
        tags: query.TagsParam = None,
        status: query.StatusParam = None,
        cursor: Cursor = None,
        limit: Limit = DEFAULT_PAGE_SIZE,
    ) -> Page[ContactOut]:
        """Most recently updated first; filters combine with AND, tags with OR."""
        principal.require(Permission.CONTACTS_READ)
        filters = query.contact_filter(search, tags, status)
        page = await uow.contacts.list_page(
            principal.tenant_id, filters, cursor=cursor, limit=limit
        )
        return Page[ContactOut](
            items=await contacts_out(uow, principal.tenant_id, page.items),
            next_cursor=page.next_cursor,
            prev_cursor=page.prev_cursor,
        )

    @get("/tags", operation_id="listContactTags", responses=USER_ERRORS)
    async def list_tags(self, principal: Caller, uow: Uow) -> list[TagCountOut]:
        """Every tag in use with its number of contacts, most used first."""
        principal.require(Permission.CONTACTS_READ)
        counts = await uow.contacts.tag_counts(principal.tenant_id)
        return [TagCountOut.from_domain(count) for count in counts]

    @post("/merge", operation_id="mergeContacts", status_code=HTTP_200_OK, responses=USER_ERRORS)
    async def merge_contacts(
        self, principal: Caller, uow: Uow, context: Context, data: JSONBody[MergeContactsRequest]
    ) -> ContactOut:
        """Fold the sources into the target and delete them, all or nothing: tickets (with
        notes and messages), lead and history, phones, LIDs, emails and tags move over. When
        both have an open ticket on one instance, the source's is closed with reason `merged`
        first, so the contact keeps one open ticket per instance. Contacts of another kind
        (person and group) are 422."""
        principal.require(Permission.CONTACTS_WRITE)
        target = await merge.merge_contacts(
            uow,
            context.clock,
            principal.tenant_id,
            data.target_id,
            data.source_ids,
            actor_id=principal.user_id,
        )
        return await contact_out(uow, principal.tenant_id, target)

    @post(
        "/actions/bulk",
        operation_id="bulkUpdateContacts",
        status_code=HTTP_200_OK,
        responses=USER_ERRORS,
    )
    async def bulk_update(
        self, principal: Caller, uow: Uow, context: Context, data: JSONBody[BulkContactsRequest]
    ) -> BulkContactsResult:
        """Set a status and add or remove tags on many contacts; all ids must exist in the
        tenant, else 404 and nothing changes."""
        principal.require(Permission.CONTACTS_WRITE)
        updated = await service.bulk_update(uow, context.clock, principal.tenant_id, data)
        return BulkContactsResult(updated=updated)

    @post("/", operation_id="createContact", status_code=HTTP_201_CREATED, responses=USER_ERRORS)
    async def create_contact(
        self, principal: Caller, uow: Uow, context: Context, data: JSONBody[CreateContactRequest]
    ) -> ContactOut:
        """422 `INVALID_PHONE` for a phone that is no number; 409 `CONFLICT` with
        `details.existingContactId` when the person exists (in either spelling of a Brazilian
        mobile)."""
        principal.require(Permission.CONTACTS_WRITE)
        contact = await service.create_contact(
            uow, context.clock, context.ids, principal.tenant_id, data
        )
        return await contact_out(uow, principal.tenant_id, contact)

    @get("/{contact_id:uuid}", operation_id="getContact", responses=USER_ERRORS)
    async def get_contact(
        self, principal: Caller, uow: Uow, contact_id: FromPath[UUID]
    ) -> ContactOut:
        principal.require(Permission.CONTACTS_READ)
        contact = await contact_of(uow, principal.tenant_id, contact_id)
        return await contact_out(uow, principal.tenant_id, contact)

    @patch("/{contact_id:uuid}", operation_id="updateContact", responses=USER_ERRORS)
    async def update_contact(
        self,
        principal: Caller,
        uow: Uow,
        context: Context,
        contact_id: FromPath[UUID],
        data: JSONBody[UpdateContactRequest],
    ) -> ContactOut:
        principal.require(Permission.CONTACTS_WRITE)
        contact = await service.update_contact(
            uow, context.clock, principal.tenant_id, contact_id, data
        )
        return await contact_out(uow, principal.tenant_id, contact)
