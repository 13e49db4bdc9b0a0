"""/api/api-keys: ADMINs issue and revoke credentials for machine clients.

Only a signed-in ADMIN manages keys, never a key itself: a leaked key that could mint others
would outlive its own revocation.
"""

from __future__ import annotations

from uuid import UUID

from leadengine_contracts.api_keys import ApiKeyList, CreateApiKeyRequest, CreatedApiKey
from leadengine_core.users import Permission
from litestar import Controller, delete, get, post
from litestar.params import FromPath, JSONBody
from litestar.status_codes import HTTP_201_CREATED, HTTP_204_NO_CONTENT

from leadengine_api.api_docs import USER_ERRORS
from leadengine_api.auth.principal import Principal
from leadengine_api.features.api_keys import service
from leadengine_api.injected import Caller, Context, Uow


def _admin_user(principal: Principal) -> UUID:
    principal.require(Permission.API_KEYS_WRITE)
    return principal.require_user()


class ApiKeysController(Controller):
    path = "/api/api-keys"
    tags = ["api-keys"]

    @post("/", operation_id="createApiKey", status_code=HTTP_201_CREATED, responses=USER_ERRORS)
    async def create_api_key(
        self, principal: Caller, uow: Uow, context: Context, data: JSONBody[CreateApiKeyRequest]
    ) -> CreatedApiKey:
        """The token is in this response only; store it now, it cannot be shown again."""
        admin_id = _admin_user(principal)
        issued = await service.issue_key(
            uow, context.clock, context.ids, principal.tenant_id, admin_id, data
        )
        return CreatedApiKey.from_domain(issued.key, issued.token)

    @get("/", operation_id="listApiKeys", responses=USER_ERRORS)
    async def list_api_keys(self, principal: Caller, uow: Uow) -> ApiKeyList:
        """Keys not revoked, newest first, without their secrets."""
        _admin_user(principal)
        return ApiKeyList.from_domain(await uow.api_keys.list_active(principal.tenant_id))

    @delete(
        "/{key_id:uuid}",
        operation_id="revokeApiKey",
        status_code=HTTP_204_NO_CONTENT,
        responses=USER_ERRORS,
    )
    async def revoke_api_key(
        self, principal: Caller, uow: Uow, context: Context, key_id: FromPath[UUID]
    ) -> None:
        """Requests with the key fail from now on."""
        _admin_user(principal)
        await service.revoke_key(uow, context.clock, principal.tenant_id, key_id)
