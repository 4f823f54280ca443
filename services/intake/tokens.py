"""Bearer tokens: HMAC-signed, expiring, void once the password changes."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import secrets
from pathlib import Path
from uuid import UUID

from domain.clock import Clock
from domain.errors import Unauthenticated


def load_or_create_secret(home: Path) -> bytes:
    path = home / "secret.key"
    try:
        return bytes.fromhex(path.read_text().strip())
    except FileNotFoundError:
        pass
    secret = secrets.token_bytes(32)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        os.write(fd, secret.hex().encode())
    finally:
        os.close(fd)
    return secret


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def password_stamp(password_hash: str) -> str:
    return hashlib.sha256(password_hash.encode()).hexdigest()[:16]


def _refused() -> Unauthenticated:
    return Unauthenticated("invalid_token", "The token is missing, invalid or expired",
                           "Phiên đăng nhập không hợp lệ hoặc đã hết hạn, vui lòng đăng nhập lại")


class TokenService:
    def __init__(self, secret: bytes, ttl_seconds: int, clock: Clock):
        self.secret = secret
        self.ttl = ttl_seconds
        self.clock = clock

    def issue(self, account_id: UUID, password_hash: str) -> str:
        now = int(self.clock.now().timestamp())
        body = _b64(json.dumps({"sub": account_id.hex, "iat": now, "exp": now + self.ttl,
                                "pws": password_stamp(password_hash)}).encode())
        return f"{body}.{self._sign(body)}"

    def _sign(self, body: str) -> str:
        return _b64(hmac.new(self.secret, body.encode(), hashlib.sha256).digest())

    def verify(self, token: str) -> tuple[UUID, str]:
        """The account id and password stamp a valid token carries."""
        try:
            body, sig = token.split(".", 1)
            if not hmac.compare_digest(sig, self._sign(body)):
                raise _refused()
            claims = json.loads(_unb64(body))
            account_id = UUID(hex=claims["sub"])
            expires = int(claims["exp"])
            stamp = str(claims["pws"])
        except (ValueError, KeyError, TypeError):
            raise _refused() from None
        if self.clock.now().timestamp() >= expires:
            raise _refused()
        return account_id, stamp
