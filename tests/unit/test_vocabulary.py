"""The words the system records: each StrEnum's values are the strings events always carried."""

from __future__ import annotations

import json
from pathlib import Path

from domain.account import ROLES, Account, Role
from domain.case import STATUSES, CaseStatus
from domain.periods import REPORT_KINDS, ReportKind
from domain.report_content import ASSESSMENTS, Assessment
from domain.severity import Severity
from services.common.store import Store, store_env


def test_the_values_are_the_strings_stored_events_and_the_api_carry():
    assert [str(r) for r in Role] == ["cadre", "leader", "auditor", "admin"] == list(ROLES)
    assert set(ReportKind) == set(REPORT_KINDS) == {
        "weekly", "monthly", "quarterly", "semiannual", "annual", "urgent"}
    assert list(Assessment) == list(ASSESSMENTS) == ["stable", "attention", "complex"]
    assert list(CaseStatus) == list(STATUSES) == [
        "received", "verifying", "handling", "resolved", "prolonged", "transferred"]
    assert list(Severity) == ["low", "medium", "high", "urgent"]


def test_a_member_is_recorded_as_its_plain_value(tmp_path: Path):
    # Given an account opened with the enum member rather than the string
    store = Store(env=store_env(tmp_path))
    try:
        account = Account(username="ld.a", name="A", role=Role.LEADER, unit_id="u",
                          cadre_id=None, password_hash="-", must_change_password=False)
        store.save(account)
        # When the event is read back from SQLite
        [notification] = store.notifications_after(0, 10)
        stored = json.loads(notification.state)
        reread: Account = store.repository.get(account.id)
    finally:
        store.close()
    # Then the stored JSON holds the string, and it reads back equal to the member
    assert stored["role"] == "leader"
    assert reread.role == Role.LEADER and reread.role == "leader"
