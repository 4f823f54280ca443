"""Passwords set by someone else (an admin, a plan file) must be changed by their owner: the
flag in the domain, its old events, the plan's `demo` key and the use cases that set it."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from domain.account import Account
from domain.clock import FixedClock
from domain.errors import InvalidInput
from services.common.plan_file import PlanError, parse_plan
from services.common.store import Store
from services.intake import administration, network_plan, password_change
from services.intake.administration import Administration
from services.intake.directory import AccountView, Directory
from services.intake.network_plan import apply_plan
from services.intake.password_change import PasswordChange
from services.intake.ratelimit import SignInLimiter

NOW = datetime(2026, 11, 26, 3, 0, tzinfo=UTC)

PLAN = """\
name = "Mẫu"

[[levels]]
id = "province"
name = "Tỉnh"

[[areas]]
id = "tinh"
name = "Tỉnh Mẫu"
level = "province"

[[units]]
id = "ccb-tinh"
name = "Hội CCB tỉnh"
kind = "association"
areas = ["tinh"]
place = "Mẫu"
code = "CCB"

[[accounts]]
username = "admin"
name = "Quản trị"
password = "demo-2026"
role = "admin"

[[accounts]]
username = "ld.tinh"
name = "Lãnh đạo tỉnh"
password = "demo-2026"
role = "leader"
unit = "ccb-tinh"
"""


def opened(**overrides: object) -> Account:
    fields: dict[str, object] = dict(username="cb.a", name="Cán bộ A", role="cadre",
                                     unit_id=None, cadre_id="cb-a", password_hash="h1",
                                     must_change_password=True)
    fields.update(overrides)
    return Account(**fields)  # type: ignore[arg-type]


# -- the domain ---------------------------------------------------------------------------


def test_an_account_opened_with_an_issued_password_must_change_it():
    assert opened().must_change_password is True
    assert opened(must_change_password=False).must_change_password is False


def test_the_owners_change_clears_the_flag_and_a_reset_sets_it_again():
    account = opened()
    account.change_password(password_hash="h2")
    assert account.must_change_password is False and account.password_hash == "h2"
    account.reset_password(password_hash="h3")
    assert account.must_change_password is True and account.password_hash == "h3"
    assert [type(e).__name__ for e in account.collect_events()] == [
        "Opened", "PasswordChanged", "PasswordReset"]


def test_an_account_opened_before_the_rule_reads_back_without_the_flag():
    # Given an Opened event as stored before it carried must_change_password (version 1)
    store = Store(env={"PERSISTENCE_MODULE": "eventsourcing.popo"})
    try:
        event = opened().collect_events()[0]
        stored = store.mapper.to_stored_event(event)
        state = json.loads(stored.state)
        assert state.pop("class_version") == 2 and state.pop("must_change_password") is True
        old = type(stored)(originator_id=stored.originator_id,
                           originator_version=stored.originator_version,
                           topic=stored.topic, state=json.dumps(state).encode())
        # When it is read back, Then it is upcast: the account need not change its password
        again = store.mapper.to_domain_event(old)
        assert vars(again)["must_change_password"] is False
        assert again.mutate(None).must_change_password is False  # type: ignore[attr-defined]
    finally:
        store.close()


# -- the plan file ------------------------------------------------------------------------


def test_a_plan_is_not_a_demo_unless_it_says_so():
    assert parse_plan(PLAN).demo is False
    assert parse_plan("demo = true\n" + PLAN).demo is True


def test_demo_must_be_a_boolean():
    with pytest.raises(PlanError) as refused:
        parse_plan('demo = "yes"\n' + PLAN)
    assert refused.value.field == "demo"


def test_only_the_shipped_demo_plan_declares_itself_a_demo():
    from services.common.demo import DEMO_PLAN
    from services.common.plan_file import load_plan

    assert load_plan(DEMO_PLAN).demo is True
    assert load_plan(DEMO_PLAN.parent / "two-level.toml").demo is False


# -- the use cases ------------------------------------------------------------------------


@pytest.fixture(autouse=True)
def fast_hashes(monkeypatch: pytest.MonkeyPatch) -> None:
    # argon2 is slow on purpose; these tests are about who must change, not the hash.
    for module in (administration, network_plan, password_change):
        monkeypatch.setattr(module, "hash_password", lambda p: f"fake${p}")
    monkeypatch.setattr(password_change, "verify_password", lambda h, p: h == f"fake${p}")


@pytest.fixture
def store() -> Iterator[Store]:
    store = Store(env={"PERSISTENCE_MODULE": "eventsourcing.popo"})
    yield store
    store.close()


def who(directory: Directory, username: str) -> AccountView:
    account = directory.account_by_username(username)
    assert account is not None
    return account


def test_a_plan_that_is_not_a_demo_opens_accounts_that_must_change_their_password(store):
    directory = Directory(store)
    apply_plan(store, directory, parse_plan(PLAN), FixedClock(NOW))
    assert who(directory, "admin").must_change_password is True
    assert who(directory, "ld.tinh").must_change_password is True


def test_the_demo_plan_opens_accounts_ready_to_use(store):
    directory = Directory(store)
    apply_plan(store, directory, parse_plan("demo = true\n" + PLAN), FixedClock(NOW))
    assert who(directory, "admin").must_change_password is False


def test_reloading_a_plan_leaves_a_changed_password_alone(store):
    directory = Directory(store)
    apply_plan(store, directory, parse_plan(PLAN), FixedClock(NOW))
    change = PasswordChange(store, directory, SignInLimiter(FixedClock(NOW)))
    change.change(who(directory, "ld.tinh"), "demo-2026", "mat-khau-rieng-2026",
                  "mat-khau-rieng-2026")
    result = apply_plan(store, directory, parse_plan(PLAN), FixedClock(NOW))
    assert result.total == 0
    assert who(directory, "ld.tinh").must_change_password is False


def test_issued_and_reset_passwords_must_be_changed_and_the_owners_change_clears_it(store):
    directory = Directory(store)
    apply_plan(store, directory, parse_plan("demo = true\n" + PLAN), FixedClock(NOW))
    admin = Administration(store, directory, FixedClock(NOW))
    acting = who(directory, "admin")
    # Given an account an admin issued
    issued = admin.issue_account(acting, username="ld.moi", name="Lãnh đạo mới", role="leader",
                                 unit_id="ccb-tinh", cadre_id=None)
    assert who(directory, "ld.moi").must_change_password is True
    # When its owner changes the password, Then the flag is cleared
    change = PasswordChange(store, directory, SignInLimiter(FixedClock(NOW)))
    changed = change.change(who(directory, "ld.moi"), issued.password, "cua-rieng-toi-2026",
                            "cua-rieng-toi-2026")
    assert changed.must_change_password is False
    # And a reset by the admin sets it again, with the new hash
    reset = admin.reset_password(acting, "ld.moi")
    after = who(directory, "ld.moi")
    assert after.must_change_password is True
    assert after.password_hash == f"fake${reset.password}"


def test_a_refused_change_leaves_the_flag_set(store):
    directory = Directory(store)
    apply_plan(store, directory, parse_plan(PLAN), FixedClock(NOW))
    change = PasswordChange(store, directory, SignInLimiter(FixedClock(NOW)))
    position = store.last_position()
    with pytest.raises(InvalidInput):
        change.change(who(directory, "ld.tinh"), "sai-mat-khau", "mat-khau-rieng-2026",
                      "mat-khau-rieng-2026")
    assert store.last_position() == position
    assert who(directory, "ld.tinh").must_change_password is True
