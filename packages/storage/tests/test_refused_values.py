"""Values PostgreSQL refuses leave storage as ValidationFailed (a 422), never as a crash."""

import pytest
from leadengine_core.errors import ValidationFailed
from leadengine_storage.engine import create_engine
from sqlalchemy import text


@pytest.mark.postgres
@pytest.mark.parametrize(
    ("statement", "value", "reason"),
    [
        ("SELECT CAST(:v AS text)", "a\x00b", "NUL"),
        ("SELECT CAST(:v AS smallint)", 10**6, "out of range"),
    ],
)
async def test_refused_values_are_validation_failures(
    postgres_url: str, statement: str, value: object, reason: str
) -> None:
    engine = create_engine(postgres_url)
    try:
        with pytest.raises(ValidationFailed) as caught:
            async with engine.begin() as connection:
                await connection.execute(text(statement), {"v": value})
        assert reason in str(caught.value.details["reason"])
        async with engine.connect() as connection:
            assert (await connection.execute(text("SELECT 1"))).scalar_one() == 1
    finally:
        await engine.dispose()
