"""Auth routes over real HTTP on SQLite and PostgreSQL."""

import httpx
from leadengine_api.testing import register_tenant


async def test_register_login_me_refresh(api: httpx.AsyncClient) -> None:
    account = await register_tenant(api, "acme")
    me = await api.get("/api/auth/me", headers=account.headers)
    assert me.status_code == 200
    body = me.json()
    assert body["user"]["role"] == "ADMIN"
    assert body["tenant"]["slug"] == "acme"
    assert "users:write" in body["permissions"]

    login = await api.post(
        "/api/auth/login",
        json={"email": account.email.upper(), "password": account.password, "tenantSlug": "acme"},
    )
    assert login.status_code == 200
    refreshed = await api.post(
        "/api/auth/token/refresh", json={"refreshToken": login.json()["refreshToken"]}
    )
    assert refreshed.status_code == 200
    new_access = refreshed.json()["accessToken"]
    again = await api.get("/api/auth/me", headers={"Authorization": f"Bearer {new_access}"})
    assert again.status_code == 200


async def test_a_refresh_token_is_not_an_access_token(api: httpx.AsyncClient) -> None:
    account = await register_tenant(api, "acme")
    login = await api.post(
        "/api/auth/login",
        json={"email": account.email, "password": account.password, "tenantSlug": "acme"},
    )
    refresh_token = login.json()["refreshToken"]
    me = await api.get("/api/auth/me", headers={"Authorization": f"Bearer {refresh_token}"})
    assert me.status_code == 401
    assert me.json()["code"] == "UNAUTHORIZED"
    swapped = await api.post("/api/auth/token/refresh", json={"refreshToken": account.access_token})
    assert swapped.status_code == 401


async def test_joining_an_existing_tenant_waits_for_activation(api: httpx.AsyncClient) -> None:
    await register_tenant(api, "acme")
    joined = await api.post(
        "/api/auth/register",
        json={
            "name": "Eve",
            "email": "eve@x.test",
            "password": "password-123",
            "tenantSlug": "acme",
        },
    )
    assert joined.status_code == 201
    assert joined.json()["pendingActivation"] is True
    assert joined.json()["user"]["role"] == "AGENT"
    login = await api.post(
        "/api/auth/login",
        json={"email": "eve@x.test", "password": "password-123", "tenantSlug": "acme"},
    )
    assert login.status_code == 401
    assert login.json()["code"] == "INVALID_CREDENTIALS"


async def test_duplicate_email_in_a_tenant_conflicts(api: httpx.AsyncClient) -> None:
    account = await register_tenant(api, "acme")
    again = await api.post(
        "/api/auth/register",
        json={
            "name": "Again",
            "email": account.email,
            "password": "password-123",
            "tenantSlug": "acme",
        },
    )
    assert again.status_code == 409
    assert again.json()["code"] == "CONFLICT"


async def test_wrong_credentials_are_one_indistinct_401(api: httpx.AsyncClient) -> None:
    account = await register_tenant(api, "acme")
    attempts = [
        {"email": account.email, "password": "wrong-password", "tenantSlug": "acme"},
        {"email": "nobody@acme.test", "password": account.password, "tenantSlug": "acme"},
        {"email": account.email, "password": account.password, "tenantSlug": "nope"},
    ]
    for attempt in attempts:
        response = await api.post("/api/auth/login", json=attempt)
        assert response.status_code == 401
        assert response.headers["content-type"] == "application/problem+json"
        assert response.json()["code"] == "INVALID_CREDENTIALS"


async def test_missing_bad_and_mismatched_credentials(api: httpx.AsyncClient) -> None:
    account = await register_tenant(api, "acme")
    other = await register_tenant(api, "globex")
    assert (await api.get("/api/auth/me")).status_code == 401
    garbage = await api.get("/api/auth/me", headers={"Authorization": "Bearer not-a-jwt"})
    assert garbage.status_code == 401
    mismatch = await api.get(
        "/api/auth/me", headers={**account.headers, "X-Tenant-Id": other.tenant_id}
    )
    assert mismatch.status_code == 403
    assert mismatch.json()["code"] == "FORBIDDEN"
    same = await api.get(
        "/api/auth/me", headers={**account.headers, "X-Tenant-Id": account.tenant_id}
    )
    assert same.status_code == 200


async def test_validation_errors_are_422_problems_with_fields(api: httpx.AsyncClient) -> None:
    response = await api.post("/api/auth/login", json={"email": 5, "tenantSlug": "Not A Slug"})
    assert response.status_code == 422
    problem = response.json()
    assert problem["code"] == "VALIDATION_ERROR"
    fields = {error["field"] for error in problem["errors"]}
    assert {"email", "password", "tenantSlug"} <= fields
    assert problem["requestId"] == response.headers["x-request-id"]


async def test_malformed_json_is_a_400_problem(api: httpx.AsyncClient) -> None:
    response = await api.post(
        "/api/auth/login", content=b"{nope", headers={"content-type": "application/json"}
    )
    assert response.status_code == 400
    assert response.json()["code"] == "BAD_REQUEST"


async def test_request_ids_are_echoed_or_generated(api: httpx.AsyncClient) -> None:
    echoed = await api.get("/healthz", headers={"X-Request-Id": "abc-123"})
    assert echoed.headers["x-request-id"] == "abc-123"
    generated = await api.get("/no/such/route", headers={"X-Request-Id": "bad id with spaces"})
    assert generated.status_code == 404
    assert generated.headers["x-request-id"].startswith("req_")
    assert generated.json()["code"] == "NOT_FOUND"
