"""/api/users: ADMINs and SUPERVISORs see the team; only ADMINs change it."""

from __future__ import annotations

from uuid import UUID

from leadengine_contracts.auth import UserOut
from leadengine_contracts.pagination import Page
from leadengine_contracts.users import CreateUserRequest, UpdateUserRequest, UserStatus
from leadengine_core.ports import DEFAULT_PAGE_SIZE
from leadengine_core.users import Permission
from litestar import Controller, get, patch, post
from litestar.params import FromPath, FromQuery, JSONBody
from litestar.status_codes import HTTP_201_CREATED

from leadengine_api.api_docs import USER_ERRORS
from leadengine_api.features.tickets.pages import Cursor, Limit, page_out
from leadengine_api.features.users import service
from leadengine_api.injected import Caller, Context, Uow


class UsersController(Controller):
    path = "/api/users"
    tags = ["users"]

    @get("/", operation_id="listUsers", responses=USER_ERRORS)
    async def list_users(
        self,
        principal: Caller,
        uow: Uow,
        status: FromQuery[UserStatus] = UserStatus.ALL,
        cursor: Cursor = None,
        limit: Limit = DEFAULT_PAGE_SIZE,
    ) -> Page[UserOut]:
        """Newest first, so people waiting for activation are on top."""
        principal.require(Permission.USERS_READ)
        page = await uow.users.list_page(
            principal.tenant_id, is_active=status.is_active, cursor=cursor, limit=limit
        )
        return page_out(page, UserOut.from_domain)

    @post("/", operation_id="createUser", status_code=HTTP_201_CREATED, responses=USER_ERRORS)
    async def create_user(
        self, principal: Caller, uow: Uow, context: Context, data: JSONBody[CreateUserRequest]
    ) -> UserOut:
        principal.require(Permission.USERS_WRITE)
        user = await service.create_user(uow, context.clock, context.ids, principal.tenant_id, data)
        return UserOut.from_domain(user)

    @patch("/{user_id:uuid}", operation_id="updateUser", responses=USER_ERRORS)
    async def update_user(
        self,
        principal: Caller,
        uow: Uow,
        context: Context,
        user_id: FromPath[UUID],
        data: JSONBody[UpdateUserRequest],
    ) -> UserOut:
        """Change role, name or activation; `{"isActive": true}` admits a user who joined."""
        principal.require(Permission.USERS_WRITE)
        user = await service.update_user(
            uow, context.clock, principal.tenant_id, principal.user_id, user_id, data
        )
        return UserOut.from_domain(user)
