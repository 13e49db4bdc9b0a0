"""Password hashing with Argon2id (argon2-cffi's recommended parameters).

`ENVIRONMENT=test` switches to argon2-cffi's CHEAPEST profile: test suites register and log in
hundreds of accounts, and the real cost would dominate their run time. Hashes record their own
parameters, so either profile verifies the other's, and a login rehashes a hash made with
weaker parameters than the running profile.
"""

from __future__ import annotations

from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from argon2.profiles import CHEAPEST

__all__ = ["hash_password", "needs_rehash", "use_test_profile", "verify_password"]

_STANDARD = PasswordHasher()
_TEST = PasswordHasher.from_parameters(CHEAPEST)
_hasher = _STANDARD


def use_test_profile(enabled: bool) -> None:
    """Called once when the app is built, from its settings."""
    global _hasher
    _hasher = _TEST if enabled else _STANDARD


@cache
def _decoy_hash(hasher: PasswordHasher) -> str:
    """Verifying against this keeps unknown-user logins as slow as wrong-password ones."""
    return hasher.hash("decoy-password-for-timing")


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    try:
        verified = _hasher.verify(password_hash or _decoy_hash(_hasher), password)
    except (VerificationError, InvalidHashError):
        return False
    return verified and password_hash is not None


def needs_rehash(password_hash: str) -> bool:
    return _hasher.check_needs_rehash(password_hash)
