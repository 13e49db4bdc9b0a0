"""An authenticated request runs in one unit of work, which nothing can leave open."""

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from leadengine_api.app import served_app
from leadengine_api.context import AppContext
from leadengine_api.testing import register_tenant, serve
from leadengine_shared.settings import load_settings
from leadengine_storage.engine import create_engine
from leadengine_storage.testing import truncate_all
from sqlalchemy import event

JWT_SECRET = "request-uow-test-secret-" + "x" * 32


@dataclass(slots=True)
class Counted:
    http: httpx.AsyncClient
    context: AppContext
    checkouts: int = 0
    begins: int = 0

    def reset(self) -> None:
        self.checkouts = self.begins = 0


@pytest.fixture
async def counted(database_url: str) -> AsyncIterator[Counted]:
    """The API, counting the connection checkouts and transactions of its engine; no worker
    runs in the process, so every one is a request's."""
    engine = create_engine(database_url)
    await truncate_all(engine)
    await engine.dispose()
    settings = load_settings(
        database_url=database_url,
        environment="test",
        jwt_secret=JWT_SECRET,
        run_worker_in_process=False,
    )
    context = AppContext.build(settings)
    async with (
        serve(served_app(context)) as url,
        httpx.AsyncClient(base_url=url, timeout=30) as http,
    ):
        counts = Counted(http, context)

        def checkout(*_: Any) -> None:
            counts.checkouts += 1

        def begin(*_: Any) -> None:
            counts.begins += 1

        event.listen(context.engine.sync_engine, "checkout", checkout)
        event.listen(context.engine.sync_engine, "begin", begin)
        yield counts


async def test_an_authenticated_read_is_one_checkout_and_one_transaction(counted: Counted) -> None:
    account = await register_tenant(counted.http, "acme")
    counted.reset()
    listed = await counted.http.get("/api/tickets?state=open&limit=50", headers=account.headers)
    assert listed.status_code == 200, listed.text
    assert (counted.checkouts, counted.begins) == (1, 1)


async def test_an_authenticated_write_is_one_checkout_and_one_transaction(
    counted: Counted,
) -> None:
    account = await register_tenant(counted.http, "acme")
    counted.reset()
    created = await counted.http.post(
        "/api/queues", json={"name": "Vendas"}, headers=account.headers
    )
    assert created.status_code == 201, created.text
    assert (counted.checkouts, counted.begins) == (1, 1)


async def test_a_failing_dependency_leaves_no_connection_or_lock_behind(counted: Counted) -> None:
    """The inbox filter is a dependency; its 422 comes after authentication opened the request's
    unit of work, which must be over by the time the answer arrives (on SQLite a stranded one
    would hold the write lock and the next write would wait for it)."""
    account = await register_tenant(counted.http, "acme")
    refused = await counted.http.get("/api/tickets?status=DONE", headers=account.headers)
    assert refused.status_code == 422, refused.text
    assert counted.context.engine.pool.checkedout() == 0
    created = await counted.http.post(
        "/api/queues", json={"name": "Vendas"}, headers=account.headers
    )
    assert created.status_code == 201, created.text


async def test_a_refused_credential_leaves_no_connection_behind(counted: Counted) -> None:
    refused = await counted.http.get(
        "/api/tickets", headers={"Authorization": "Bearer not-a-token"}
    )
    assert refused.status_code == 401
    assert counted.context.engine.pool.checkedout() == 0


async def test_a_deactivated_user_is_refused_on_the_next_request(counted: Counted) -> None:
    admin = await register_tenant(counted.http, "acme")
    created = await counted.http.post(
        "/api/users",
        json={"name": "Ana", "email": "ana@acme.test", "password": "password-123", "role": "AGENT"},
        headers=admin.headers,
    )
    assert created.status_code == 201, created.text
    login = await counted.http.post(
        "/api/auth/login",
        json={"email": "ana@acme.test", "password": "password-123", "tenantSlug": "acme"},
    )
    ana = {"Authorization": f"Bearer {login.json()['accessToken']}"}
    assert (await counted.http.get("/api/tickets", headers=ana)).status_code == 200

    deactivated = await counted.http.patch(
        f"/api/users/{created.json()['id']}", json={"isActive": False}, headers=admin.headers
    )
    assert deactivated.status_code == 200, deactivated.text
    refused = await counted.http.get("/api/tickets", headers=ana)
    assert refused.status_code == 401
    assert refused.json()["code"] == "UNAUTHORIZED"
