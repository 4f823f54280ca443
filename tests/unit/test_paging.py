"""Keyset pages: newest first, every item once, stable when newer items arrive meanwhile."""

from __future__ import annotations

import pytest

from domain.errors import InvalidInput
from services.common.paging import encode_cursor, in_key_order, newest_first, within_budget


def key(item: tuple[str, str]) -> tuple[str, str]:
    return item


ITEMS = [(f"2026-11-{day:02d}", f"id-{day}") for day in range(1, 26)]


def walk(items: list[tuple[str, str]], limit: int) -> list[tuple[str, str]]:
    seen, cursor = [], None
    while True:
        page = newest_first(items, key, limit, cursor)
        seen += page.items
        if page.next_cursor is None:
            return seen
        cursor = page.next_cursor


def test_pages_walk_every_item_once_newest_first():
    assert walk(ITEMS, 10) == sorted(ITEMS, reverse=True)
    first = newest_first(ITEMS, key, 10)
    assert len(first.items) == 10 and first.total == 25 and first.next_cursor


def test_the_last_page_has_no_next_cursor():
    page = newest_first(ITEMS, key, 25)
    assert len(page.items) == 25 and page.next_cursor is None
    assert newest_first([], key, 10).next_cursor is None


def test_items_inserted_between_pages_do_not_shift_the_next_page():
    # Given the first page read
    first = newest_first(ITEMS, key, 10)
    # When newer items arrive before the second page is asked for
    grown = [*ITEMS, ("2026-11-30", "id-30"), ("2026-11-29", "id-29")]
    second = newest_first(grown, key, 10, first.next_cursor)
    # Then the second page starts right after the first, with nothing repeated or skipped
    assert second.items == sorted(ITEMS, reverse=True)[10:20]
    assert second.total == 27


@pytest.mark.parametrize("cursor", ["%%%", "bm90IGpzb24", encode_cursor(()) or "W10",
                                    "eyJhIjoxfQ", "WzFd"])
def test_a_cursor_this_server_did_not_give_is_refused_naming_it(cursor):
    with pytest.raises(InvalidInput) as refused:
        newest_first(ITEMS, key, 10, cursor)
    assert refused.value.field == "cursor"


@pytest.mark.parametrize("limit", [0, 501, -1, "10", 2.5, True])
def test_a_limit_out_of_bounds_is_refused_naming_it(limit):
    with pytest.raises(InvalidInput) as refused:
        newest_first(ITEMS, key, limit)
    assert refused.value.field == "limit"


# --- in key order (oldest first): a list computed whole, kept sorted, read a page at a time -

def walk_in_order(ordered: list[tuple[str, str]], limit: int) -> list[tuple[str, str]]:
    seen, cursor = [], None
    while True:
        page = in_key_order(ordered, ordered, limit, cursor)
        seen += page.items
        if page.next_cursor is None:
            return seen
        cursor = page.next_cursor


def test_pages_in_key_order_walk_every_item_once():
    assert walk_in_order(sorted(ITEMS), 10) == sorted(ITEMS)
    first = in_key_order(sorted(ITEMS), sorted(ITEMS), 10)
    assert len(first.items) == 10 and first.total == 25 and first.next_cursor
    assert in_key_order([], [], 10).next_cursor is None


def test_a_page_in_key_order_after_a_vanished_item_starts_at_the_next_one():
    # Given the first page read
    ordered = sorted(ITEMS)
    first = in_key_order(ordered, ordered, 10)
    # When its last item is gone before the next page (a late report arrived) and one is new
    changed = sorted([*ordered[:9], *ordered[10:], ("2026-11-01", "id-0")])
    second = in_key_order(changed, changed, 10, first.next_cursor)
    # Then the next page starts right after where the first ended, skipping nothing
    assert second.items == ordered[10:20]


def test_a_page_in_key_order_refuses_a_foreign_cursor_and_a_bad_limit():
    with pytest.raises(InvalidInput) as refused:
        in_key_order(ITEMS, ITEMS, 10, "%%%")
    assert refused.value.field == "cursor"
    with pytest.raises(InvalidInput) as refused:
        in_key_order(ITEMS, ITEMS, 0)
    assert refused.value.field == "limit"


def test_a_page_heavier_than_its_budget_is_cut_and_its_cursor_resumes_after_the_cut():
    # Given a page of ten items that weigh 100 bytes each, and a budget of 350 bytes
    page = newest_first(ITEMS, key, 10)
    cut = within_budget(page, key, lambda _: 100, budget=350)
    # Then three items are kept, and the next page starts right after the third
    assert cut.items == page.items[:3] and cut.total == 25
    assert newest_first(ITEMS, key, 10, cut.next_cursor).items[0] == page.items[3]
    # And one item heavier than the whole budget still makes a page
    assert within_budget(page, key, lambda _: 10_000, budget=350).items == page.items[:1]
    assert within_budget(page, key, lambda _: 1, budget=350) == page
