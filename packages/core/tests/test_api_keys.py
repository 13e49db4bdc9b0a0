from datetime import timedelta

import pytest
from leadengine_core.api_keys import LAST_USED_PRECISION, ApiKeyToken
from leadengine_core.testing import EntityFactory, InMemoryUnitOfWork

make = EntityFactory()


def test_a_generated_token_parses_back_and_hides_its_secret() -> None:
    token = ApiKeyToken.generate()

    assert ApiKeyToken.parse(token.bearer) == token
    assert token.bearer.startswith(f"le_{token.prefix}_")
    assert token.secret not in repr(token)
    assert len(token.secret_hash) == 64


def test_tokens_carry_256_random_bits() -> None:
    tokens = {ApiKeyToken.generate() for _ in range(50)}

    assert len({token.prefix for token in tokens}) == 50
    assert all(len(token.secret) == 43 for token in tokens)  # 32 bytes, url-safe base64


@pytest.mark.parametrize(
    "value",
    [
        "",
        "le_",
        "eyJhbGciOiJIUzI1NiJ9.e30.sig",
        "xx_0123456789abcdef_" + "A" * 43,
        "le_0123456789ABCDEF_" + "A" * 43,
        "le_0123456789abcdef_" + "A" * 42,
        "le_0123456789abcdef_" + "A" * 44,
        "le_0123456789abcdef_" + "A" * 42 + "=",
    ],
)
def test_anything_else_is_not_a_token(value: str) -> None:
    assert ApiKeyToken.parse(value) is None


def test_a_key_accepts_only_its_own_unrevoked_token() -> None:
    token = ApiKeyToken.generate()
    key = make.api_key(token)
    other = ApiKeyToken.generate()

    assert key.accepts(token)
    assert not key.accepts(ApiKeyToken(prefix=token.prefix, secret=other.secret))
    assert not key.accepts(ApiKeyToken(prefix=other.prefix, secret=token.secret))
    key.revoke(make.clock.now())
    assert key.is_revoked
    assert not key.accepts(token)


def test_the_secret_hash_never_shows_in_repr() -> None:
    key = make.api_key()
    assert key.secret_hash not in repr(key)


def test_last_use_is_recorded_at_most_once_per_minute() -> None:
    key, now = make.api_key(), make.clock.now()

    assert key.record_use(now)
    assert not key.record_use(now + LAST_USED_PRECISION - timedelta(seconds=1))
    assert key.last_used_at == now
    assert key.record_use(now + LAST_USED_PRECISION)
    assert key.last_used_at == now + LAST_USED_PRECISION


async def test_the_fake_finds_keys_by_prefix_across_tenants_and_lists_active_ones() -> None:
    uow, other = InMemoryUnitOfWork(), make.for_tenant(make.ids.new_id())
    older, newer, revoked = make.api_key(), make.api_key(), make.api_key()
    make.clock.advance()
    newer.created_at = make.clock.now()
    revoked.revoke(make.clock.now())
    theirs = other.api_key()
    async with uow:
        for key in (older, newer, revoked, theirs):
            await uow.api_keys.add(key.tenant_id, key)

        assert await uow.api_keys.find_by_prefix(theirs.prefix) == theirs
        assert await uow.api_keys.get(make.tenant_id, theirs.id) is None
        assert await uow.api_keys.list_active(make.tenant_id) == [newer, older]
