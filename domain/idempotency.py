"""The Idempotency-Key every write carries: one rule for every entrance and service."""

from __future__ import annotations

import re

from domain.errors import InvalidInput

KEY_RE = re.compile(r"^[\x21-\x7e]{1,128}$")
FIELD = "Idempotency-Key"


def checked_key(key: str | None) -> str:
    """The key as given, if it is 1-128 printable ASCII characters; else a refusal naming
    the header (missing, or malformed)."""
    if key is None or not key.strip():
        raise InvalidInput("missing_idempotency_key", "The Idempotency-Key header is required",
                           "Thiếu khoá chống gửi trùng (Idempotency-Key)", FIELD)
    if not KEY_RE.match(key):
        raise InvalidInput("invalid_idempotency_key",
                           "Idempotency-Key must be 1-128 printable ASCII characters",
                           "Khoá chống gửi trùng phải gồm 1-128 ký tự ASCII in được", FIELD)
    return key
