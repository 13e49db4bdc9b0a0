"""Tenant API keys: credentials for machine clients, acting in one tenant with one role.

A key is shown once as `le_<prefix>_<secret>`. The prefix is public and finds the key; only a
SHA-256 of the secret is stored. A slow password hash (Argon2, bcrypt) exists to make guessing
a human password expensive; a secret of 256 random bits cannot be guessed at any speed, so a
fast hash loses nothing and keeps every authenticated request cheap.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from uuid import UUID

from leadengine_core.users import Role

TOKEN_SCHEME = "le"  # noqa: S105 (the token's visible scheme, not a secret)
LAST_USED_PRECISION = timedelta(minutes=1)
"""`last_used_at` moves at most this often, so a busy key does not turn every read into a write."""

_PREFIX_BYTES = 8
_SECRET_BYTES = 32  # 256 bits from the OS's CSPRNG
_PREFIX = re.compile(r"[0-9a-f]{16}", re.ASCII)
_SECRET = re.compile(r"[A-Za-z0-9_-]{43}", re.ASCII)


@dataclass(frozen=True, slots=True)
class ApiKeyToken:
    """The credential a client sends; it exists in full only in the response that creates it."""

    prefix: str
    secret: str = field(repr=False)

    @classmethod
    def generate(cls) -> ApiKeyToken:
        return cls(
            prefix=secrets.token_hex(_PREFIX_BYTES), secret=secrets.token_urlsafe(_SECRET_BYTES)
        )

    @classmethod
    def parse(cls, value: str) -> ApiKeyToken | None:
        """The token in `value`, or None when it is not shaped like one of ours."""
        scheme, _, rest = value.partition("_")
        prefix, _, secret = rest.partition("_")
        if scheme != TOKEN_SCHEME or not _PREFIX.fullmatch(prefix) or not _SECRET.fullmatch(secret):
            return None
        return cls(prefix=prefix, secret=secret)

    @property
    def bearer(self) -> str:
        """The whole token, as the client puts it after `Authorization: Bearer`."""
        return f"{TOKEN_SCHEME}_{self.prefix}_{self.secret}"

    @property
    def secret_hash(self) -> str:
        return hashlib.sha256(self.secret.encode("ascii")).hexdigest()


@dataclass(slots=True, kw_only=True)
class ApiKey:
    tenant_id: UUID
    id: UUID
    name: str
    role: Role
    prefix: str
    secret_hash: str = field(repr=False)
    created_at: datetime
    updated_at: datetime
    created_by: UUID | None = None
    last_used_at: datetime | None = None
    revoked_at: datetime | None = None

    @property
    def is_revoked(self) -> bool:
        return self.revoked_at is not None

    def accepts(self, token: ApiKeyToken) -> bool:
        """True for this key's own, unrevoked token; the hashes are compared in constant time."""
        matches = hmac.compare_digest(token.secret_hash, self.secret_hash)
        return matches and token.prefix == self.prefix and not self.is_revoked

    def revoke(self, now: datetime) -> None:
        self.revoked_at = self.updated_at = now

    def record_use(self, now: datetime) -> bool:
        """Stamp `last_used_at` unless fresher than `LAST_USED_PRECISION`; True if it moved."""
        if self.last_used_at is not None and now - self.last_used_at < LAST_USED_PRECISION:
            return False
        self.last_used_at = now
        return True
