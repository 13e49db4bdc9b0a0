"""Both hashing profiles verify each other's hashes; the running one decides rehashing."""

from collections.abc import Iterator

import pytest
from leadengine_api.auth import passwords


@pytest.fixture
def restore_profile() -> Iterator[None]:
    yield
    passwords.use_test_profile(False)


def test_profiles_verify_each_other(restore_profile: None) -> None:
    passwords.use_test_profile(True)
    cheap = passwords.hash_password("s3cret-pass")
    passwords.use_test_profile(False)
    strong = passwords.hash_password("s3cret-pass")
    assert passwords.verify_password(cheap, "s3cret-pass")
    assert passwords.needs_rehash(cheap)
    assert not passwords.needs_rehash(strong)
    passwords.use_test_profile(True)
    assert passwords.verify_password(strong, "s3cret-pass")
    assert not passwords.verify_password(strong, "wrong")


def test_unknown_user_and_garbage_hashes_never_verify() -> None:
    assert not passwords.verify_password(None, "anything")
    assert not passwords.verify_password("not-a-hash", "anything")
