"""Password hashing with argon2id, a bounded number at a time.

Each argon2 computation takes 64 MiB for a tenth of a second: unbounded, 52 concurrent wrong
passwords took the intake to 2.3 GB. `ARGON2_AT_ONCE` computations run at a time; the others
wait their turn. `verify_unknown` spends the same work on a username that does not exist, so
the time of an answer does not tell whether it does.
"""

from __future__ import annotations

import os
import secrets
import threading
from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from prometheus_client import Counter

_HASHER = PasswordHasher()
ARGON2_AT_ONCE = max(2, min(4, os.cpu_count() or 2))
_SLOTS = threading.BoundedSemaphore(ARGON2_AT_ONCE)
VERIFICATIONS = Counter("tinhhinh_password_verifications_total",
                        "argon2 verifications run, of real hashes and of the stand-in",
                        ["against"])


def hash_password(password: str) -> str:
    with _SLOTS:
        return _HASHER.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    VERIFICATIONS.labels("account").inc()
    return _verify(password_hash, password)


def verify_unknown(password: str) -> bool:
    """The work of a verification, for a username that has no account (always False)."""
    VERIFICATIONS.labels("stand_in").inc()
    _verify(_stand_in_hash(), password)
    return False


@cache
def _stand_in_hash() -> str:
    return hash_password(secrets.token_urlsafe(24))


def _verify(password_hash: str, password: str) -> bool:
    with _SLOTS:
        try:
            return _HASHER.verify(password_hash, password)
        except (VerificationError, InvalidHashError):
            return False
