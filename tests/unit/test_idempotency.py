"""One rule for the Idempotency-Key of every write (domain/idempotency.py)."""

from __future__ import annotations

import pytest

from domain.errors import InvalidInput
from domain.idempotency import checked_key


@pytest.mark.parametrize("key", ["k", "a" * 128, "web-3f9c:1", "~!#$%&'()*+,-./"])
def test_printable_ascii_keys_of_1_to_128_characters_are_taken_as_given(key: str) -> None:
    assert checked_key(key) == key


@pytest.mark.parametrize(("key", "code"), [
    (None, "missing_idempotency_key"), ("", "missing_idempotency_key"),
    ("   ", "missing_idempotency_key"), ("a" * 129, "invalid_idempotency_key"),
    ("khoá", "invalid_idempotency_key"), ("a b", "invalid_idempotency_key"),
])
def test_a_missing_or_malformed_key_is_refused_naming_the_header(key: str | None,
                                                                  code: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        checked_key(key)
    assert refused.value.code == code and refused.value.field == "Idempotency-Key"
    assert refused.value.message_vi
