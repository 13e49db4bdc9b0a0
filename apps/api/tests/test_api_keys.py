"""Tenant API keys over real HTTP: shown once, authenticate as their role, revoked at once."""

import re

import httpx
from leadengine_api.testing import TEST_PASSWORD, Account, register_tenant

TOKEN = re.compile(r"le_(?P<prefix>[0-9a-f]{16})_(?P<secret>[A-Za-z0-9_-]{43})")


async def _issue(api: httpx.AsyncClient, admin: Account, role: str = "AGENT") -> dict[str, str]:
    """Creates a key; returns its id, prefix and bearer headers."""
    created = await api.post(
        "/api/api-keys", headers=admin.headers, json={"name": "CRM sync", "role": role}
    )
    assert created.status_code == 201, created.text
    body = created.json()
    return {"id": body["key"]["id"], "token": body["token"], "prefix": body["key"]["prefix"]}


def _bearer(key: dict[str, str]) -> dict[str, str]:
    return {"Authorization": f"Bearer {key['token']}"}


async def test_a_key_is_shown_once_used_and_revoked(api: httpx.AsyncClient) -> None:
    admin = await register_tenant(api, "acme")
    created = await api.post(
        "/api/api-keys", headers=admin.headers, json={"name": "CRM sync", "role": "SUPERVISOR"}
    )
    assert created.status_code == 201
    body = created.json()
    match = TOKEN.fullmatch(body["token"])
    assert match is not None
    assert body["key"]["prefix"] == match["prefix"]
    assert body["key"]["role"] == "SUPERVISOR"
    assert body["key"]["createdBy"] == admin.user_id
    assert body["key"]["lastUsedAt"] is None
    key_id, robot = body["key"]["id"], {"Authorization": f"Bearer {body['token']}"}

    listed = await api.get("/api/api-keys", headers=admin.headers)
    assert listed.status_code == 200
    assert [key["id"] for key in listed.json()["items"]] == [key_id]
    assert body["token"] not in listed.text
    assert match["secret"] not in listed.text

    queues = await api.get("/api/queues", headers=robot)
    assert queues.status_code == 200
    assert len(queues.json()["items"]) == 1
    created_queue = await api.post("/api/queues", headers=robot, json={"name": "Robots"})
    assert created_queue.status_code == 201
    used = (await api.get("/api/api-keys", headers=admin.headers)).json()["items"][0]
    assert used["lastUsedAt"] is not None

    revoked = await api.delete(f"/api/api-keys/{key_id}", headers=admin.headers)
    assert revoked.status_code == 204
    refused = await api.get("/api/queues", headers=robot)
    assert refused.status_code == 401
    assert refused.json()["code"] == "UNAUTHORIZED"
    assert (await api.get("/api/api-keys", headers=admin.headers)).json()["items"] == []
    again = await api.delete(f"/api/api-keys/{key_id}", headers=admin.headers)
    assert again.status_code == 404


async def test_a_key_acts_with_its_role(api: httpx.AsyncClient) -> None:
    admin = await register_tenant(api, "acme")
    agent = _bearer(await _issue(api, admin, "AGENT"))
    assert (await api.get("/api/queues", headers=agent)).status_code == 200
    refused = await api.post("/api/queues", headers=agent, json={"name": "Nope"})
    assert refused.status_code == 403
    assert (await api.get("/api/users", headers=agent)).status_code == 403


async def test_a_key_of_one_tenant_never_reaches_another(api: httpx.AsyncClient) -> None:
    acme = await register_tenant(api, "acme")
    globex = await register_tenant(api, "globex")
    robot = _bearer(await _issue(api, acme, "ADMIN"))
    theirs = await api.post("/api/queues", headers=globex.headers, json={"name": "Globex only"})
    theirs_id = theirs.json()["id"]

    listed = await api.get("/api/queues", headers=robot)
    assert "Globex only" not in listed.text
    changed = await api.patch(f"/api/queues/{theirs_id}", headers=robot, json={"name": "Mine"})
    assert changed.status_code == 404
    users = (await api.get("/api/users", headers=robot)).json()["items"]
    assert [user["id"] for user in users] == [acme.user_id]
    foreign_user = await api.patch(
        f"/api/users/{globex.user_id}", headers=robot, json={"isActive": False}
    )
    assert foreign_user.status_code == 404
    claimed = await api.get("/api/queues", headers={**robot, "X-Tenant-Id": globex.tenant_id})
    assert claimed.status_code == 403


async def test_another_tenants_key_cannot_be_seen_or_revoked(api: httpx.AsyncClient) -> None:
    acme = await register_tenant(api, "acme")
    globex = await register_tenant(api, "globex")
    theirs = await _issue(api, globex)
    await _issue(api, acme)

    revoked = await api.delete(f"/api/api-keys/{theirs['id']}", headers=acme.headers)
    assert revoked.status_code == 404
    assert revoked.json()["code"] == "NOT_FOUND"
    listed = await api.get("/api/api-keys", headers=acme.headers)
    assert theirs["id"] not in listed.text
    assert (await api.get("/api/queues", headers=_bearer(theirs))).status_code == 200


async def test_forged_and_malformed_keys_are_refused(api: httpx.AsyncClient) -> None:
    admin = await register_tenant(api, "acme")
    key = await _issue(api, admin)
    forged_secret = f"le_{key['prefix']}_{'A' * 43}"
    unknown_prefix = f"le_{'0' * 16}_{key['token'].split('_', 2)[2]}"
    for token in (forged_secret, unknown_prefix, "le_", "le_short_secret", key["token"] + "x"):
        response = await api.get("/api/queues", headers={"Authorization": f"Bearer {token}"})
        assert response.status_code == 401, token
        assert response.json()["code"] == "UNAUTHORIZED"


async def test_me_and_key_management_are_for_users_only(api: httpx.AsyncClient) -> None:
    admin = await register_tenant(api, "acme")
    key = await _issue(api, admin, "ADMIN")
    robot = _bearer(key)
    me = await api.get("/api/auth/me", headers=robot)
    assert me.status_code == 403
    assert me.json()["code"] == "USER_CREDENTIAL_REQUIRED"
    for response in [
        await api.post("/api/api-keys", headers=robot, json={"name": "Child", "role": "ADMIN"}),
        await api.get("/api/api-keys", headers=robot),
        await api.delete(f"/api/api-keys/{key['id']}", headers=robot),
    ]:
        assert response.status_code == 403
        assert response.json()["code"] == "USER_CREDENTIAL_REQUIRED"


async def test_only_admins_manage_keys(api: httpx.AsyncClient) -> None:
    admin = await register_tenant(api, "acme")
    key = await _issue(api, admin)
    created = await api.post(
        "/api/users",
        headers=admin.headers,
        json={
            "name": "Boss",
            "email": "boss@acme.test",
            "password": TEST_PASSWORD,
            "role": "SUPERVISOR",
        },
    )
    assert created.status_code == 201
    login = await api.post(
        "/api/auth/login",
        json={"email": "boss@acme.test", "password": TEST_PASSWORD, "tenantSlug": "acme"},
    )
    supervisor = {"Authorization": f"Bearer {login.json()['accessToken']}"}
    for response in [
        await api.post("/api/api-keys", headers=supervisor, json={"name": "X", "role": "AGENT"}),
        await api.get("/api/api-keys", headers=supervisor),
        await api.delete(f"/api/api-keys/{key['id']}", headers=supervisor),
    ]:
        assert response.status_code == 403
        assert response.json()["code"] == "FORBIDDEN"


async def test_every_route_needs_a_credential(api: httpx.AsyncClient) -> None:
    admin = await register_tenant(api, "acme")
    key = await _issue(api, admin)
    responses = [
        await api.post("/api/api-keys", json={"name": "X", "role": "AGENT"}),
        await api.get("/api/api-keys"),
        await api.delete(f"/api/api-keys/{key['id']}"),
    ]
    assert [response.status_code for response in responses] == [401] * 3


async def test_a_mismatched_tenant_header_is_refused(api: httpx.AsyncClient) -> None:
    acme = await register_tenant(api, "acme")
    globex = await register_tenant(api, "globex")
    key = await _issue(api, acme)
    headers = {**acme.headers, "X-Tenant-Id": globex.tenant_id}
    for response in [
        await api.post("/api/api-keys", headers=headers, json={"name": "X", "role": "AGENT"}),
        await api.get("/api/api-keys", headers=headers),
        await api.delete(f"/api/api-keys/{key['id']}", headers=headers),
    ]:
        assert response.status_code == 403
        assert response.json()["code"] == "FORBIDDEN"


async def test_invalid_input_is_422_with_field_errors(api: httpx.AsyncClient) -> None:
    admin = await register_tenant(api, "acme")
    response = await api.post(
        "/api/api-keys", headers=admin.headers, json={"name": "", "role": "ROOT", "secret": "x"}
    )
    assert response.status_code == 422
    problem = response.json()
    assert problem["code"] == "VALIDATION_ERROR"
    assert {"name", "role", "secret"} <= {error["field"] for error in problem["errors"]}
    for name in ("x" * 121, "nul\u0000byte"):
        bad_name = await api.post(
            "/api/api-keys", headers=admin.headers, json={"name": name, "role": "AGENT"}
        )
        assert bad_name.status_code == 422
        assert [error["field"] for error in bad_name.json()["errors"]] == ["name"]
    missing = await api.post("/api/api-keys", headers=admin.headers, json={"name": "X"})
    assert missing.status_code == 422
    assert "role" in {error["field"] for error in missing.json()["errors"]}
    not_an_id = await api.delete("/api/api-keys/not-a-uuid", headers=admin.headers)
    assert not_an_id.status_code == 404


async def test_a_key_is_stamped_used_even_by_a_request_that_fails(api: httpx.AsyncClient) -> None:
    """The stamp commits with authentication, not with the handler's work."""
    admin = await register_tenant(api, "acme")
    key = await _issue(api, admin)
    refused = await api.post("/api/queues", headers=_bearer(key), json={"name": "Robots"})
    assert refused.status_code == 403, refused.text
    used = (await api.get("/api/api-keys", headers=admin.headers)).json()["items"][0]
    assert used["lastUsedAt"] is not None
