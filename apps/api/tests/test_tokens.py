"""Access tokens: a verified token is remembered, but its expiry is checked on every use."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from uuid import uuid4

import pytest
from leadengine_api.auth.tokens import TokenService
from leadengine_api.problems import ApiError
from leadengine_core.users import Role

SECRET = "tokens-test-secret-" + "x" * 32


def test_a_remembered_token_still_expires() -> None:
    tokens = TokenService(SECRET, access_ttl=60, refresh_ttl=300)
    issued_at = datetime.now(UTC) - timedelta(seconds=59)
    user, tenant = uuid4(), uuid4()
    token = tokens.issue(user, tenant, Role.AGENT, now=issued_at).access_token
    first = tokens.decode(token, "access")
    assert (first.user_id, first.tenant_id, first.role) == (user, tenant, Role.AGENT)
    assert tokens.decode(token, "access") == first
    time.sleep(max(0.0, (issued_at + timedelta(seconds=60.05)).timestamp() - time.time()))
    with pytest.raises(ApiError) as expired:
        tokens.decode(token, "access")
    assert expired.value.code == "TOKEN_EXPIRED"


def test_a_token_of_the_other_kind_is_refused_even_once_remembered() -> None:
    tokens = TokenService(SECRET, access_ttl=60, refresh_ttl=300)
    pair = tokens.issue(uuid4(), uuid4(), Role.ADMIN, now=datetime.now(UTC))
    tokens.decode(pair.access_token, "access")
    for _ in range(2):
        with pytest.raises(ApiError) as wrong_kind:
            tokens.decode(pair.access_token, "refresh")
        assert wrong_kind.value.code == "UNAUTHORIZED"


def test_a_forged_token_is_refused_every_time() -> None:
    forged = TokenService("another-secret-" + "y" * 32, access_ttl=60, refresh_ttl=300)
    token = forged.issue(uuid4(), uuid4(), Role.ADMIN, now=datetime.now(UTC)).access_token
    tokens = TokenService(SECRET, access_ttl=60, refresh_ttl=300)
    for _ in range(2):
        with pytest.raises(ApiError) as refused:
            tokens.decode(token, "access")
        assert refused.value.code == "UNAUTHORIZED"
