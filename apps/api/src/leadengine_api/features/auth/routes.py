"""/api/auth: register, login, refresh (public) and the current user."""

from __future__ import annotations

from leadengine_contracts.auth import (
    LoginRequest,
    MeResponse,
    RefreshRequest,
    RegisterRequest,
    RegisterResponse,
    TenantOut,
    TokenResponse,
    UserOut,
)
from litestar import Controller, get, post
from litestar.params import JSONBody
from litestar.status_codes import HTTP_200_OK, HTTP_201_CREATED

from leadengine_api.api_docs import PUBLIC, PUBLIC_ERRORS, USER_ERRORS
from leadengine_api.features.auth import service
from leadengine_api.injected import Caller, Context, Uow
from leadengine_api.problems import ApiError


def _token_response(signed_in: service.SignedIn) -> TokenResponse:
    return TokenResponse(
        access_token=signed_in.tokens.access_token,
        refresh_token=signed_in.tokens.refresh_token,
        expires_in=signed_in.tokens.expires_in,
        user=UserOut.from_domain(signed_in.user),
    )


class AuthController(Controller):
    path = "/api/auth"
    tags = ["auth"]

    @post(
        "/register",
        operation_id="register",
        status_code=HTTP_201_CREATED,
        security=PUBLIC,
        responses=PUBLIC_ERRORS,
    )
    async def register(
        self,
        data: JSONBody[RegisterRequest],
        uow: Uow,
        context: Context,
    ) -> RegisterResponse:
        created = await service.register(uow, context.clock, context.ids, data)
        return RegisterResponse(
            tenant=TenantOut.from_domain(created.tenant),
            user=UserOut.from_domain(created.user),
            pending_activation=created.pending_activation,
        )

    @post(
        "/login",
        operation_id="login",
        status_code=HTTP_200_OK,
        security=PUBLIC,
        responses=PUBLIC_ERRORS,
    )
    async def login(
        self,
        data: JSONBody[LoginRequest],
        uow: Uow,
        context: Context,
    ) -> TokenResponse:
        return _token_response(await service.login(uow, context.clock, context.tokens, data))

    @post(
        "/token/refresh",
        operation_id="refreshToken",
        status_code=HTTP_200_OK,
        security=PUBLIC,
        responses=PUBLIC_ERRORS,
    )
    async def refresh(
        self,
        data: JSONBody[RefreshRequest],
        uow: Uow,
        context: Context,
    ) -> TokenResponse:
        signed_in = await service.refresh(uow, context.clock, context.tokens, data.refresh_token)
        return _token_response(signed_in)

    @get("/me", operation_id="getMe", responses=USER_ERRORS)
    async def me(self, principal: Caller, uow: Uow) -> MeResponse:
        user = await uow.users.get(principal.tenant_id, principal.require_user())
        tenant = await uow.tenants.get(principal.tenant_id)
        if user is None or tenant is None:
            raise ApiError(401, "UNAUTHORIZED", "the account is not active")
        return MeResponse(
            user=UserOut.from_domain(user),
            tenant=TenantOut.from_domain(tenant),
            permissions=sorted(p.value for p in user.permissions),
        )
