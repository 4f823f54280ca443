"""Keyset pages of a sorted list (newest first, or in key order): an opaque cursor names the
last item seen, so items inserted or removed meanwhile never shift a later page (no offsets)."""

from __future__ import annotations

import base64
import binascii
import json
from bisect import bisect_right
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

from domain.errors import InvalidInput

T = TypeVar("T")
Key = tuple[str, ...]

DEFAULT_LIMIT = 100
MAX_LIMIT = 500
_MAX_PARTS, _MAX_PART = 8, 200


@dataclass(frozen=True)
class Page(Generic[T]):
    items: list[T]
    next_cursor: str | None
    total: int


def encode_cursor(key: Key) -> str:
    raw = json.dumps(list(key), separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> Key:
    """The key a cursor names; a cursor this server did not give is refused, naming it."""
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        key = json.loads(base64.urlsafe_b64decode(padded.encode("ascii")))
    except (ValueError, binascii.Error, UnicodeError):
        key = None
    if (not isinstance(key, list) or not 1 <= len(key) <= _MAX_PARTS
            or not all(isinstance(part, str) and len(part) <= _MAX_PART for part in key)):
        raise InvalidInput("invalid_cursor", "cursor is not one this server gave",
                           "Con trỏ trang (cursor) không hợp lệ", "cursor")
    return tuple(key)


def check_limit(limit: object) -> int:
    if limit is None:
        return DEFAULT_LIMIT
    if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= MAX_LIMIT:
        raise InvalidInput("invalid_limit", f"limit must be an integer from 1 to {MAX_LIMIT}",
                           f"limit phải là số nguyên từ 1 đến {MAX_LIMIT}", "limit")
    return limit


REPLY_BUDGET = 512 * 1024
"""Bytes of items one page may carry: half NATS's 1 MB payload, whatever the items hold."""


def within_budget(page: Page[T], key: Callable[[T], Key], weigh: Callable[[T], int],
                  budget: int = REPLY_BUDGET) -> Page[T]:
    """`page` cut where its items' weight passes `budget` (one item always stays), its cursor
    then naming the last item kept: a page is bounded in bytes as well as in items."""
    used = 0
    for n, item in enumerate(page.items):
        used += weigh(item)
        if n and used > budget:
            return Page(page.items[:n], encode_cursor(key(page.items[n - 1])), page.total)
    return page


def newest_first(items: Sequence[T], key: Callable[[T], Key], limit: object = None,
                 cursor: str | None = None) -> Page[T]:
    """One page of `items` in descending `key` order, after `cursor` (keys must be unique:
    end them with the item's id)."""
    size = check_limit(limit)
    ordered = sorted(items, key=key, reverse=True)
    if cursor:
        after = decode_cursor(cursor)
        ordered = [item for item in ordered if key(item) < after]
    chunk = ordered[:size]
    more = len(ordered) > size
    return Page(chunk, encode_cursor(key(chunk[-1])) if more and chunk else None, len(items))


def in_key_order(ordered: Sequence[T], keys: Sequence[Key], limit: object = None,
                 cursor: str | None = None) -> Page[T]:
    """One page of `ordered`, which is sorted by `keys` ascending (unique, one per item), after
    `cursor`: a binary search, so a long list kept sorted is read a page at a time cheaply."""
    size = check_limit(limit)
    start = bisect_right(keys, decode_cursor(cursor)) if cursor else 0
    chunk = list(ordered[start:start + size])
    more = start + size < len(ordered)
    return Page(chunk, encode_cursor(keys[start + size - 1]) if more else None, len(ordered))
