"""JSON values read back as the standard library reads the server's text of them, though
msgspec decodes them (and falls back to `json` for what msgspec refuses, such as `1e400`)."""

import json

import pytest
from leadengine_storage.engine import create_engine
from sqlalchemy import text


@pytest.mark.postgres
@pytest.mark.parametrize("cast", ["jsonb", "json"])
@pytest.mark.parametrize(
    "document",
    ['{"tags": ["vip"], "n": 12345678901234567890123, "x": 1.5, "s": "ação"}', "[]", "1e400"],
)
async def test_json_values_decode_like_the_standard_library(
    postgres_url: str, cast: str, document: str
) -> None:
    engine = create_engine(postgres_url)
    try:
        async with engine.connect() as connection:
            value, as_text = (
                await connection.execute(
                    text(f"SELECT CAST(:d AS {cast}), CAST(CAST(:d AS {cast}) AS text)"),
                    {"d": document},
                )
            ).one()
        assert value == json.loads(as_text)
    finally:
        await engine.dispose()
