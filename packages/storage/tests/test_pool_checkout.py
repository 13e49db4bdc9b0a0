"""Pooled PostgreSQL connections the server closed are replaced at checkout, without a ping."""

import pytest
from leadengine_storage.engine import create_engine
from sqlalchemy import text


@pytest.mark.postgres
async def test_a_connection_the_server_terminated_is_replaced_at_checkout(
    postgres_url: str,
) -> None:
    engine = create_engine(postgres_url, pool_size=1)
    try:
        async with engine.connect() as connection:
            backend = (await connection.execute(text("SELECT pg_backend_pid()"))).scalar_one()
        other = create_engine(postgres_url, pool_size=1)
        try:
            async with other.connect() as admin:
                stopped = await admin.execute(
                    text("SELECT pg_terminate_backend(:pid, 5000)"), {"pid": backend}
                )
                assert stopped.scalar_one() is True
        finally:
            await other.dispose()

        async with engine.connect() as connection:
            fresh = (await connection.execute(text("SELECT pg_backend_pid()"))).scalar_one()
        assert fresh != backend
    finally:
        await engine.dispose()


@pytest.mark.postgres
async def test_a_checkout_does_not_ping(postgres_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    engine = create_engine(postgres_url, pool_size=1)
    pings: list[object] = []
    monkeypatch.setattr(engine.dialect, "do_ping", pings.append)
    try:
        for n in range(2):
            async with engine.connect() as connection:
                assert (await connection.execute(text(f"SELECT {n}"))).scalar_one() == n
        assert pings == []
    finally:
        await engine.dispose()
