"""Passwords, stateless bearer tokens and per-operation role checks.

Passwords are salted PBKDF2-HMAC-SHA256 (``pbkdf2_sha256$ITERATIONS$SALT$HASH``). Tokens are
``base64url(payload).base64url(hmac_sha256(secret, payload))`` with the username, role and
expiry in the payload: any worker process holding the same secret verifies them without a
session table.

>>> h = hash_password("s3cret", iterations=1000)
>>> verify_password("s3cret", h), verify_password("nope", h)
(True, False)
>>> signer = TokenSigner("k" * 32)
>>> signer.verify(signer.issue("qa", "qa"))["role"]
'qa'
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from fastapi import Request

from .errors import ApiError
from .passwords import hash_password, verify_password

__all__ = ["Principal", "TokenSigner", "hash_password", "require", "verify_password"]

TOKEN_TTL_SECONDS = 8 * 3600


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@dataclass(frozen=True)
class Principal:
    """The authenticated caller."""

    username: str
    role: str


class TokenSigner:
    """Issues and verifies HMAC-signed bearer tokens."""

    def __init__(self, secret: str, ttl: int = TOKEN_TTL_SECONDS) -> None:
        if len(secret) < 16:
            raise ValueError("the token secret must have at least 16 characters")
        self._key = secret.encode("utf-8")
        self.ttl = ttl

    def issue(self, username: str, role: str) -> str:
        """Return a token for ``username`` with ``role`` valid for ``ttl`` seconds."""
        payload = json.dumps(
            {"sub": username, "role": role, "exp": int(time.time()) + self.ttl},
            separators=(",", ":"),
        ).encode("utf-8")
        sig = hmac.new(self._key, payload, hashlib.sha256).digest()
        return f"{_b64(payload)}.{_b64(sig)}"

    def verify(self, token: str) -> dict[str, Any]:
        """Return the payload of a valid token; raise :class:`ApiError` 401 otherwise."""
        try:
            p64, s64 = token.split(".")
            payload, sig = _unb64(p64), _unb64(s64)
        except (ValueError, UnicodeEncodeError):
            raise ApiError(401, "invalid_token", "the bearer token is malformed") from None
        expected = hmac.new(self._key, payload, hashlib.sha256).digest()
        if not hmac.compare_digest(sig, expected):
            raise ApiError(401, "invalid_token", "the bearer token signature is invalid")
        data: dict[str, Any] = json.loads(payload)
        if int(data.get("exp", 0)) < time.time():
            raise ApiError(401, "token_expired", "the bearer token has expired; log in again")
        return data


def require(*roles: str) -> Callable[[Request], Awaitable[Principal]]:
    """A FastAPI dependency admitting callers whose role is in ``roles`` (any role if empty).

    It is ``async`` though it never waits: FastAPI runs a plain ``def`` dependency on a worker
    thread, and checking a token's signature costs less than that hop.
    """

    async def dependency(request: Request) -> Principal:
        header = request.headers.get("authorization", "")
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise ApiError(401, "unauthorized", "missing bearer token: log in at POST /auth/login")
        data = request.app.state.ctx.signer.verify(token.strip())
        principal = Principal(str(data["sub"]), str(data["role"]))
        if roles and principal.role not in roles:
            raise ApiError(
                403,
                "forbidden",
                f"role {principal.role!r} may not perform this operation",
                {"allowed_roles": list(roles)},
            )
        return principal

    dependency.__name__ = "require_" + ("_".join(roles) or "any")
    return dependency
