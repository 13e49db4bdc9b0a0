"""User management over real HTTP: roles, activation, guard rails and tenant isolation."""

import httpx
from leadengine_api.testing import TEST_PASSWORD, Account, register_tenant


async def _add_user(api: httpx.AsyncClient, admin: Account, email: str, role: str) -> str:
    created = await api.post(
        "/api/users",
        headers=admin.headers,
        json={"name": email.split("@")[0], "email": email, "password": TEST_PASSWORD, "role": role},
    )
    assert created.status_code == 201, created.text
    return str(created.json()["id"])


async def _join(api: httpx.AsyncClient, slug: str, email: str) -> str:
    """Registers into an existing tenant: an inactive AGENT waiting for an ADMIN."""
    joined = await api.post(
        "/api/auth/register",
        json={"name": "Eve", "email": email, "password": TEST_PASSWORD, "tenantSlug": slug},
    )
    assert joined.status_code == 201, joined.text
    return str(joined.json()["user"]["id"])


async def _headers_of(api: httpx.AsyncClient, tenant: Account, email: str) -> dict[str, str]:
    login = await api.post(
        "/api/auth/login",
        json={"email": email, "password": TEST_PASSWORD, "tenantSlug": tenant.tenant_slug},
    )
    assert login.status_code == 200, login.text
    return {"Authorization": f"Bearer {login.json()['accessToken']}"}


async def _key_headers(api: httpx.AsyncClient, admin: Account, role: str) -> dict[str, str]:
    created = await api.post(
        "/api/api-keys", headers=admin.headers, json={"name": "robot", "role": role}
    )
    assert created.status_code == 201, created.text
    return {"Authorization": f"Bearer {created.json()['token']}"}


async def test_an_admin_creates_a_user_who_can_log_in(api: httpx.AsyncClient) -> None:
    admin = await register_tenant(api, "acme")
    created = await api.post(
        "/api/users",
        headers=admin.headers,
        json={
            "name": "Ana Lima",
            "email": " Ana@Acme.test ",
            "password": TEST_PASSWORD,
            "role": "SUPERVISOR",
        },
    )
    assert created.status_code == 201
    user = created.json()
    assert user["email"] == "ana@acme.test"
    assert user["role"] == "SUPERVISOR"
    assert user["isActive"] is True
    assert user["tenantId"] == admin.tenant_id
    assert "password" not in user
    assert "passwordHash" not in user

    me = await api.get("/api/auth/me", headers=await _headers_of(api, admin, "ana@acme.test"))
    assert me.json()["user"]["id"] == user["id"]


async def test_a_taken_email_conflicts(api: httpx.AsyncClient) -> None:
    admin = await register_tenant(api, "acme")
    again = await api.post(
        "/api/users",
        headers=admin.headers,
        json={
            "name": "Dup",
            "email": admin.email.upper(),
            "password": TEST_PASSWORD,
            "role": "AGENT",
        },
    )
    assert again.status_code == 409
    assert again.json()["code"] == "CONFLICT"


async def test_users_are_listed_newest_first_filtered_and_paged(api: httpx.AsyncClient) -> None:
    admin = await register_tenant(api, "acme")
    await register_tenant(api, "globex")
    first = await _add_user(api, admin, "first@acme.test", "AGENT")
    second = await _add_user(api, admin, "second@acme.test", "AGENT")
    waiting = await _join(api, "acme", "eve@acme.test")

    everyone = await api.get("/api/users", headers=admin.headers)
    assert everyone.status_code == 200
    assert [user["id"] for user in everyone.json()["items"]] == [
        waiting,
        second,
        first,
        admin.user_id,
    ]
    inactive = await api.get("/api/users?status=inactive", headers=admin.headers)
    assert [user["id"] for user in inactive.json()["items"]] == [waiting]
    active = await api.get("/api/users", params={"status": "active"}, headers=admin.headers)
    assert waiting not in {user["id"] for user in active.json()["items"]}

    page_one = (await api.get("/api/users?limit=3", headers=admin.headers)).json()
    assert [user["id"] for user in page_one["items"]] == [waiting, second, first]
    assert page_one["prevCursor"] is None
    page_two = (
        await api.get(
            "/api/users",
            params={"limit": 3, "cursor": page_one["nextCursor"]},
            headers=admin.headers,
        )
    ).json()
    assert [user["id"] for user in page_two["items"]] == [admin.user_id]
    assert page_two["nextCursor"] is None
    back = await api.get(
        "/api/users", params={"limit": 3, "cursor": page_two["prevCursor"]}, headers=admin.headers
    )
    assert [user["id"] for user in back.json()["items"]] == [waiting, second, first]


async def test_activating_a_user_who_joined_lets_them_log_in(api: httpx.AsyncClient) -> None:
    admin = await register_tenant(api, "acme")
    eve = await _join(api, "acme", "eve@acme.test")

    activated = await api.patch(f"/api/users/{eve}", headers=admin.headers, json={"isActive": True})
    assert activated.status_code == 200
    assert activated.json()["isActive"] is True
    assert activated.json()["role"] == "AGENT"
    assert (
        await api.get("/api/auth/me", headers=await _headers_of(api, admin, "eve@acme.test"))
    ).is_success


async def test_changes_take_effect_on_the_next_request(api: httpx.AsyncClient) -> None:
    admin = await register_tenant(api, "acme")
    boss = await _add_user(api, admin, "boss@acme.test", "SUPERVISOR")
    boss_headers = await _headers_of(api, admin, "boss@acme.test")
    assert (await api.get("/api/users", headers=boss_headers)).status_code == 200

    demoted = await api.patch(
        f"/api/users/{boss}", headers=admin.headers, json={"role": "AGENT", "name": "Ex Boss"}
    )
    assert demoted.json()["role"] == "AGENT"
    assert demoted.json()["name"] == "Ex Boss"
    assert (await api.get("/api/users", headers=boss_headers)).status_code == 403

    await api.patch(f"/api/users/{boss}", headers=admin.headers, json={"isActive": False})
    assert (await api.get("/api/auth/me", headers=boss_headers)).status_code == 401


async def test_nobody_deactivates_or_demotes_themselves(api: httpx.AsyncClient) -> None:
    admin = await register_tenant(api, "acme")
    await _add_user(api, admin, "second-admin@acme.test", "ADMIN")
    for change in ({"isActive": False}, {"role": "SUPERVISOR"}, {"role": "AGENT", "name": "X"}):
        refused = await api.patch(f"/api/users/{admin.user_id}", headers=admin.headers, json=change)
        assert refused.status_code == 403
        assert refused.json()["code"] == "SELF_LOCKOUT"
    renamed = await api.patch(
        f"/api/users/{admin.user_id}", headers=admin.headers, json={"name": "Still Admin"}
    )
    assert renamed.status_code == 200
    assert renamed.json()["role"] == "ADMIN"


async def test_the_tenant_keeps_an_active_admin(api: httpx.AsyncClient) -> None:
    admin = await register_tenant(api, "acme")
    robot = await _key_headers(api, admin, "ADMIN")
    for change in ({"isActive": False}, {"role": "SUPERVISOR"}):
        refused = await api.patch(f"/api/users/{admin.user_id}", headers=robot, json=change)
        assert refused.status_code == 409
        assert refused.json()["code"] == "LAST_ADMIN"

    other = await _add_user(api, admin, "other-admin@acme.test", "ADMIN")
    handed_over = await api.patch(
        f"/api/users/{admin.user_id}", headers=robot, json={"role": "AGENT"}
    )
    assert handed_over.status_code == 200
    last = await api.patch(f"/api/users/{other}", headers=robot, json={"isActive": False})
    assert last.json()["code"] == "LAST_ADMIN"


async def test_supervisors_read_agents_do_not_and_only_admins_write(api: httpx.AsyncClient) -> None:
    admin = await register_tenant(api, "acme")
    agent = await _add_user(api, admin, "agent@acme.test", "AGENT")
    await _add_user(api, admin, "boss@acme.test", "SUPERVISOR")
    supervisor = await _headers_of(api, admin, "boss@acme.test")
    agent_headers = await _headers_of(api, admin, "agent@acme.test")

    assert (await api.get("/api/users", headers=supervisor)).status_code == 200
    attempts = [
        api.get("/api/users", headers=agent_headers),
        api.post(
            "/api/users",
            headers=supervisor,
            json={"name": "X", "email": "x@acme.test", "password": TEST_PASSWORD, "role": "AGENT"},
        ),
        api.patch(f"/api/users/{agent}", headers=supervisor, json={"role": "SUPERVISOR"}),
    ]
    for attempt in attempts:
        response = await attempt
        assert response.status_code == 403
        assert response.json()["code"] == "FORBIDDEN"


async def test_every_route_needs_a_credential(api: httpx.AsyncClient) -> None:
    admin = await register_tenant(api, "acme")
    responses = [
        await api.get("/api/users"),
        await api.post("/api/users", json={}),
        await api.patch(f"/api/users/{admin.user_id}", json={"name": "X"}),
        await api.get("/api/users", headers={"Authorization": "Bearer nope"}),
    ]
    assert [response.status_code for response in responses] == [401] * 4


async def test_another_tenants_user_is_not_found(api: httpx.AsyncClient) -> None:
    acme = await register_tenant(api, "acme")
    globex = await register_tenant(api, "globex")
    foreign = await api.patch(
        f"/api/users/{globex.user_id}", headers=acme.headers, json={"role": "AGENT"}
    )
    assert foreign.status_code == 404
    assert foreign.json()["code"] == "NOT_FOUND"
    listed = (await api.get("/api/users", headers=acme.headers)).json()["items"]
    assert [user["id"] for user in listed] == [acme.user_id]
    me = await api.get("/api/auth/me", headers=globex.headers)
    assert me.json()["user"]["role"] == "ADMIN"


async def test_a_mismatched_tenant_header_is_refused(api: httpx.AsyncClient) -> None:
    acme = await register_tenant(api, "acme")
    globex = await register_tenant(api, "globex")
    headers = {**acme.headers, "X-Tenant-Id": globex.tenant_id}
    responses = [
        await api.get("/api/users", headers=headers),
        await api.post(
            "/api/users",
            headers=headers,
            json={"name": "X", "email": "x@acme.test", "password": TEST_PASSWORD, "role": "AGENT"},
        ),
        await api.patch(f"/api/users/{acme.user_id}", headers=headers, json={"name": "X"}),
    ]
    for response in responses:
        assert response.status_code == 403
        assert response.json()["code"] == "FORBIDDEN"


def _assert_invalid(response: httpx.Response, *fields: str) -> None:
    assert response.status_code == 422, response.text
    problem = response.json()
    assert problem["code"] == "VALIDATION_ERROR"
    assert set(fields) <= {error["field"] for error in problem["errors"]}, problem


async def test_invalid_input_is_422_with_field_errors(api: httpx.AsyncClient) -> None:
    admin = await register_tenant(api, "acme")
    me = f"/api/users/{admin.user_id}"
    bad_user = {"name": "", "email": "nope", "password": "short", "role": "ROOT"}
    _assert_invalid(
        await api.post("/api/users", headers=admin.headers, json=bad_user),
        "name",
        "email",
        "password",
        "role",
    )
    smuggled = {"name": "X", "email": "x@acme.test", "password": TEST_PASSWORD, "role": "AGENT"}
    smuggled["tenantId"] = admin.tenant_id
    _assert_invalid(await api.post("/api/users", headers=admin.headers, json=smuggled), "tenantId")
    _assert_invalid(await api.patch(me, headers=admin.headers, json={"role": None}), "role")
    _assert_invalid(await api.patch(me, headers=admin.headers, json={"isActive": "?"}), "isActive")
    _assert_invalid(await api.patch(me, headers=admin.headers, json={}), "")
    for query, field in [
        ("status=sleeping", "status"),
        ("limit=0", "limit"),
        ("limit=101", "limit"),
    ]:
        _assert_invalid(await api.get(f"/api/users?{query}", headers=admin.headers), field)

    made_up = await api.get("/api/users?cursor=not-a-cursor", headers=admin.headers)
    assert made_up.status_code == 422
    assert made_up.json()["code"] == "VALIDATION_ERROR"
    not_an_id = await api.patch("/api/users/not-a-uuid", headers=admin.headers, json={"name": "X"})
    assert not_an_id.status_code == 404
