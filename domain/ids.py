"""Deterministic aggregate ids, so that retries and reloads name the same thing."""

from __future__ import annotations

from uuid import UUID, uuid5

_NS = UUID("6f1c8a52-3d0e-4b7a-9a51-2b1f0c7e9d44")

NETWORK_ID = uuid5(_NS, "network")


def account_id(username: str) -> UUID:
    return uuid5(_NS, f"account\x00{username}")


def assignment_id(cadre_id: str, area_id: str, valid_from_iso: str) -> UUID:
    return uuid5(_NS, f"assignment\x00{cadre_id}\x00{area_id}\x00{valid_from_iso}")


def report_id(account: UUID, idempotency_key: str) -> UUID:
    # One report per (account, key): the key is the caller's, so it is scoped to them.
    return uuid5(_NS, f"report\x00{account.hex}\x00{idempotency_key}")


def unit_report_id(account: UUID, idempotency_key: str) -> UUID:
    # As report_id: the drafting leader's key, scoped to them.
    return uuid5(_NS, f"unit-report\x00{account.hex}\x00{idempotency_key}")


def document_number_id(unit_id: str, year: int, sequence: int) -> UUID:
    # One aggregate per number: a second writer of the same number loses at the store.
    return uuid5(_NS, f"document-number\x00{unit_id}\x00{year}\x00{sequence}")
