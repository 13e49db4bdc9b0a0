"""Access and refresh JWTs (HS256). The tenant always comes from here, never from a header.

A client sends the same access token with every request until it expires, so verified tokens
are remembered (a bounded LRU): a repeat costs an expiry check instead of a JWT decode (about
3% of a cheap read). Only what the token itself proves is remembered; whether its user and
tenant are still active is read on every request (ADR 0011).
"""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Literal
from uuid import UUID

import jwt
from leadengine_core.users import Role

from leadengine_api.problems import ApiError

__all__ = ["Claims", "TokenPair", "TokenService"]

TokenType = Literal["access", "refresh"]
_ALGORITHM = "HS256"
_ISSUER = "leadengine"
VERIFIED_TOKENS_KEPT = 4096


@dataclass(frozen=True, slots=True)
class Claims:
    user_id: UUID
    tenant_id: UUID
    role: Role
    type: TokenType


@dataclass(frozen=True, slots=True)
class TokenPair:
    access_token: str
    refresh_token: str
    expires_in: int


class TokenService:
    def __init__(self, secret: str, *, access_ttl: int, refresh_ttl: int) -> None:
        self._secret = secret
        self._ttl: dict[TokenType, int] = {"access": access_ttl, "refresh": refresh_ttl}
        self._verified = lru_cache(maxsize=VERIFIED_TOKENS_KEPT)(self._verify)

    def issue(self, user_id: UUID, tenant_id: UUID, role: Role, *, now: datetime) -> TokenPair:
        return TokenPair(
            access_token=self._encode(user_id, tenant_id, role, "access", now),
            refresh_token=self._encode(user_id, tenant_id, role, "refresh", now),
            expires_in=self._ttl["access"],
        )

    def _encode(
        self, user_id: UUID, tenant_id: UUID, role: Role, kind: TokenType, now: datetime
    ) -> str:
        claims = {
            "iss": _ISSUER,
            "sub": str(user_id),
            "tid": str(tenant_id),
            "role": role.value,
            "typ": kind,
            "iat": now,
            "exp": now + timedelta(seconds=self._ttl[kind]),
            "jti": uuid.uuid4().hex,
        }
        return jwt.encode(claims, self._secret, algorithm=_ALGORITHM)

    def decode(self, token: str, expected: TokenType) -> Claims:
        """Verify signature, expiry and kind; raise a 401 `ApiError` on any failure."""
        claims, expires_at = self._verified(token, expected)
        if expires_at <= time.time():
            raise ApiError(401, "TOKEN_EXPIRED", "the token has expired")
        return claims

    def _verify(self, token: str, expected: TokenType) -> tuple[Claims, float]:
        """The claims and expiry (epoch seconds) of a valid token; raises, so never caches,
        for an invalid one."""
        try:
            payload = jwt.decode(
                token,
                self._secret,
                algorithms=[_ALGORITHM],
                issuer=_ISSUER,
                options={"require": ["exp", "sub", "tid", "typ"]},
            )
        except jwt.ExpiredSignatureError as exc:
            raise ApiError(401, "TOKEN_EXPIRED", "the token has expired") from exc
        except jwt.PyJWTError as exc:
            raise ApiError(401, "UNAUTHORIZED", "the token is not valid") from exc
        if payload.get("typ") != expected:
            raise ApiError(401, "UNAUTHORIZED", f"an {expected} token is required")
        try:
            claims = Claims(
                user_id=UUID(payload["sub"]),
                tenant_id=UUID(payload["tid"]),
                role=Role(payload["role"]),
                type=expected,
            )
        except (KeyError, ValueError) as exc:
            raise ApiError(401, "UNAUTHORIZED", "the token is not valid") from exc
        return claims, float(payload["exp"])
