"""Administration use cases: every refusal names its field and records nothing; scope holds."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta

import pytest

from domain.clock import FixedClock
from domain.errors import Conflict, DomainError, Forbidden, InvalidInput, NotFound
from domain.ids import NETWORK_ID
from domain.network import Network
from services.common.plan_file import parse_plan
from services.common.store import Store
from services.intake import administration, network_plan
from services.intake.administration import (
    TEMPORARY_CHARACTERS,
    Administration,
    temporary_password,
    vn_last_day,
    vn_start,
)
from services.intake.directory import AccountView, Directory
from services.intake.network_plan import apply_plan

NOW = datetime(2026, 11, 26, 3, 0, tzinfo=UTC)  # 10:00 Thursday, Vietnam time

PLAN = """\
name = "Mẫu"

[[levels]]
id = "province"
name = "Tỉnh"

[[levels]]
id = "ward"
name = "Phường"

[[levels]]
id = "quarter"
name = "Khu phố"

[[areas]]
id = "tinh"
name = "Tỉnh Mẫu"
level = "province"

[[areas]]
id = "p1"
name = "Phường Một"
level = "ward"
parent = "tinh"

[[areas]]
id = "p1-k1"
name = "Khu phố Một"
level = "quarter"
parent = "p1"

[[areas]]
id = "p1-k2"
name = "Khu phố Hai"
level = "quarter"
parent = "p1"

[[areas]]
id = "p2"
name = "Phường Hai"
level = "ward"
parent = "tinh"

[[areas]]
id = "p2-k1"
name = "Khu phố Ba"
level = "quarter"
parent = "p2"

[[units]]
id = "hoi-tinh"
name = "Hội tỉnh"
kind = "association"
areas = ["tinh"]
place = "Mẫu"
code = "CCB"

[[units]]
id = "hoi-p1"
name = "Hội phường Một"
kind = "association"
parent = "hoi-tinh"
areas = ["p1"]
place = "Mẫu"
code = "CCB"

[[units]]
id = "hoi-p2"
name = "Hội phường Hai"
kind = "association"
parent = "hoi-tinh"
areas = ["p2"]
place = "Mẫu"
code = "CCB"

[[cadres]]
id = "cb-1"
name = "Nguyễn Văn Một"
unit = "hoi-p1"

[[cadres]]
id = "cb-2"
name = "Trần Thị Hai"
unit = "hoi-p2"

[[cadres]]
id = "cb-cu"
name = "Lê Văn Cũ"
unit = "hoi-p1"

[[accounts]]
username = "admin"
password = "demo-2026"
role = "admin"
name = "Quản trị"

[[accounts]]
username = "admin.p1"
password = "demo-2026"
role = "admin"
unit = "hoi-p1"
name = "Quản trị phường Một"

[[accounts]]
username = "ld.p1"
password = "demo-2026"
role = "leader"
unit = "hoi-p1"
name = "Lãnh đạo phường Một"

[[accounts]]
username = "ld.p2"
password = "demo-2026"
role = "leader"
unit = "hoi-p2"
name = "Lãnh đạo phường Hai"

[[assignments]]
cadre = "cb-1"
area = "p1-k1"
from = 2026-01-01
"""


@pytest.fixture(autouse=True)
def fast_hashes(monkeypatch: pytest.MonkeyPatch) -> None:
    # argon2 is slow on purpose; these tests are about the rules, not the hash.
    monkeypatch.setattr(administration, "hash_password", lambda p: f"fake${p}")
    monkeypatch.setattr(network_plan, "hash_password", lambda p: f"fake${p}")


@pytest.fixture
def store() -> Iterator[Store]:
    store = Store(env={"PERSISTENCE_MODULE": "eventsourcing.popo"})
    yield store
    store.close()


@pytest.fixture
def directory(store: Store) -> Directory:
    directory = Directory(store)
    apply_plan(store, directory, parse_plan(PLAN), FixedClock(NOW))
    network: Network = store.repository.get(NETWORK_ID)
    network.retire_cadre(cadre_id="cb-cu")
    store.save(network)
    directory.refresh()
    return directory


@pytest.fixture
def admin(store: Store, directory: Directory) -> Administration:
    return Administration(store, directory, FixedClock(NOW))


def who(directory: Directory, username: str) -> AccountView:
    account = directory.account_by_username(username)
    assert account is not None
    return account


def refused(store: Store, call: Callable[..., object], **kwargs: object) -> DomainError:
    """The refusal raised by `call(**kwargs)`, after checking it recorded nothing."""
    before = store.last_position()
    with pytest.raises(DomainError) as caught:
        call(**kwargs)
    assert store.last_position() == before
    return caught.value


def vn(day: str, at: str = "00:00") -> datetime:
    return vn_start(day, at)


# --- accounts ---


def test_admin_issues_a_leader_with_a_random_password_shown_once(admin, directory):
    issued = admin.issue_account(who(directory, "admin"), username=" LD.Moi ",
                                 name="Lãnh đạo mới", role="leader", unit_id="hoi-p2",
                                 cadre_id="")
    account = who(directory, "ld.moi")
    assert (account.role, account.unit_id, account.cadre_id) == ("leader", "hoi-p2", None)
    assert account.password_hash == f"fake${issued.password}"
    assert issued.password not in repr(issued)


def test_a_cadre_account_takes_its_cadres_name_and_unit(admin, directory):
    admin.issue_account(who(directory, "admin"), username="cb.mot", name="", role="cadre",
                        unit_id="", cadre_id="cb-1")
    account = who(directory, "cb.mot")
    assert (account.name, account.unit_id, account.cadre_id) == (
        "Nguyễn Văn Một", "hoi-p1", "cb-1")


@pytest.mark.parametrize(("fields", "field", "kind"), [
    ({"username": "ab"}, "username", InvalidInput),
    ({"username": "người.dùng"}, "username", InvalidInput),
    ({"username": "admin"}, "username", Conflict),
    ({"role": "boss"}, "role", InvalidInput),
    ({"unit_id": "hoi-khac"}, "unit_id", InvalidInput),
    ({"role": "leader", "unit_id": ""}, "unit_id", InvalidInput),
    ({"role": "cadre", "cadre_id": ""}, "cadre_id", InvalidInput),
    ({"role": "cadre", "cadre_id": "cb-khong-co"}, "cadre_id", InvalidInput),
    ({"role": "cadre", "cadre_id": "cb-cu"}, "cadre_id", InvalidInput),
    ({"role": "cadre", "cadre_id": "cb-1", "unit_id": "hoi-p2"}, "unit_id", InvalidInput),
    ({"role": "auditor", "cadre_id": "cb-1"}, "cadre_id", InvalidInput),
    ({"name": "  "}, "name", InvalidInput),
    ({"name": "x" * 201}, "name", InvalidInput),
])
def test_bad_account_input_names_the_field_and_records_nothing(
    admin, store, directory, fields, field, kind,
):
    values = {"username": "moi.tao", "name": "Người mới", "role": "leader",
              "unit_id": "hoi-p1", "cadre_id": "", **fields}
    err = refused(store, admin.issue_account, acting=who(directory, "admin"), **values)
    assert isinstance(err, kind) and err.field == field and err.message_vi
    assert directory.account_by_username("moi.tao") is None


def test_only_admins_administer(admin, store, directory):
    err = refused(store, admin.issue_account, acting=who(directory, "ld.p1"), username="x.y.z",
                  name="X", role="auditor", unit_id="", cadre_id="")
    assert isinstance(err, Forbidden)
    with pytest.raises(Forbidden):
        admin.reset_password(who(directory, "ld.p1"), "ld.p2")


def test_a_unit_admin_issues_accounts_only_within_its_subtree(admin, store, directory):
    scoped = who(directory, "admin.p1")
    outside = refused(store, admin.issue_account, acting=scoped, username="ld.moi",
                      name="X", role="leader", unit_id="hoi-p2", cadre_id="")
    assert isinstance(outside, Forbidden) and outside.field == "unit_id"
    network_wide = refused(store, admin.issue_account, acting=scoped, username="kt.moi",
                           name="X", role="auditor", unit_id="", cadre_id="")
    assert isinstance(network_wide, Forbidden) and network_wide.field == "unit_id"
    other_cadre = refused(store, admin.issue_account, acting=scoped, username="cb.hai",
                          name="", role="cadre", unit_id="", cadre_id="cb-2")
    assert isinstance(other_cadre, Forbidden) and other_cadre.field == "cadre_id"
    admin.issue_account(scoped, username="kt.p1", name="Kiểm tra", role="auditor",
                        unit_id="hoi-p1", cadre_id="")
    assert {a.username for a in admin.accounts(scoped)} == {"admin.p1", "ld.p1", "kt.p1"}


def test_a_unit_admin_cannot_reach_accounts_outside_its_subtree(admin, store, directory):
    scoped = who(directory, "admin.p1")
    for username in ("ld.p2", "admin", "nobody"):
        err = refused(store, admin.reset_password, acting=scoped, username=username)
        assert isinstance(err, NotFound)
    with pytest.raises(NotFound):
        admin.set_active(scoped, "ld.p2", False)


def test_reset_password_changes_the_hash(admin, directory):
    before = who(directory, "ld.p1").password_hash
    issued = admin.reset_password(who(directory, "admin"), "ld.p1")
    assert who(directory, "ld.p1").password_hash == f"fake${issued.password}" != before


def test_disable_and_enable_record_only_changes(admin, store, directory):
    acting = who(directory, "admin")
    assert admin.set_active(acting, "ld.p1", False) is True
    assert not who(directory, "ld.p1").active
    position = store.last_position()
    assert admin.set_active(acting, "ld.p1", False) is False
    assert store.last_position() == position
    assert admin.set_active(acting, "ld.p1", True) is True and who(directory, "ld.p1").active


def test_an_admin_cannot_disable_their_own_account(admin, store, directory):
    err = refused(store, admin.set_active, acting=who(directory, "admin"), username="admin",
                  active=False)
    assert isinstance(err, Forbidden) and "tự khoá" in err.message_vi


def test_temporary_passwords_are_long_random_and_unambiguous():
    passwords = {temporary_password() for _ in range(50)}
    assert len(passwords) == 50
    for p in passwords:
        groups = p.split("-")
        assert len(groups) == 4 and all(len(g) == 4 for g in groups)
        assert set("".join(groups)) <= set(TEMPORARY_CHARACTERS)
    assert not set("01ilo") & set(TEMPORARY_CHARACTERS)


# --- dates ---


def test_dates_are_vietnam_days_stored_in_utc():
    assert vn_start("2026-12-01") == datetime(2026, 11, 30, 17, 0, tzinfo=UTC)
    assert vn_start("2026-12-01", "08:30") == datetime(2026, 12, 1, 1, 30, tzinfo=UTC)
    # "until" names the last day included: it ends at 00:00 the next day.
    assert vn_last_day("2026-12-31") == datetime(2026, 12, 31, 17, 0, tzinfo=UTC)


@pytest.mark.parametrize(("call", "field"), [
    (lambda: vn_start("01/12/2026"), "valid_from"),
    (lambda: vn_start(""), "valid_from"),
    (lambda: vn_start("2026-12-01", "8h"), "valid_from"),
    (lambda: vn_last_day("hôm nay"), "valid_until"),
])
def test_bad_dates_name_their_field(call, field):
    with pytest.raises(InvalidInput) as caught:
        call()
    assert caught.value.field == field and "không hợp lệ" in caught.value.message_vi


# --- assignments ---


def test_an_assignment_starts_on_a_vietnam_day(admin, directory):
    view = admin.start_assignment(who(directory, "admin"), cadre_id="cb-1", area_id="p1-k2",
                                  valid_from=vn("2026-12-01"), valid_until=None)
    assert directory.assignment_at("cb-1", "p1-k2", vn("2026-12-01")) == view
    assert directory.assignment_at("cb-1", "p1-k2", vn("2026-11-30", "23:59")) is None


@pytest.mark.parametrize(("fields", "field", "kind"), [
    ({"area_id": "khong-co"}, "area_id", InvalidInput),
    ({"cadre_id": "khong-co"}, "cadre_id", InvalidInput),
    ({"cadre_id": "cb-cu"}, "cadre_id", InvalidInput),
    ({"valid_until": vn("2026-12-01")}, "valid_until", InvalidInput),
    ({"valid_until": vn("2026-11-01")}, "valid_until", InvalidInput),
    # cb-1 holds p1-k1 from 2026-01-01, open-ended
    ({"area_id": "p1-k1"}, "valid_from", Conflict),
    ({"area_id": "p1-k1", "valid_from": vn("2025-06-01"), "valid_until": vn("2026-01-02")},
     "valid_from", Conflict),
])
def test_bad_assignments_name_the_field_and_record_nothing(
    admin, store, directory, fields, field, kind,
):
    values = {"cadre_id": "cb-1", "area_id": "p1-k2", "valid_from": vn("2026-12-01"),
              "valid_until": None, **fields}
    err = refused(store, admin.start_assignment, acting=who(directory, "admin"), **values)
    assert isinstance(err, kind) and err.field == field and err.message_vi


def test_an_overlap_is_said_in_vietnam_time(admin, store, directory):
    err = refused(store, admin.start_assignment, acting=who(directory, "admin"),
                  cadre_id="cb-1", area_id="p1-k1", valid_from=vn("2026-12-01"),
                  valid_until=None)
    assert err.message_vi == ("Cán bộ Nguyễn Văn Một đã được phân công Khu phố Một trong một "
                              "phần thời gian này (từ 00:00 ngày 01/01/2026, không thời hạn).")


def test_an_assignment_may_follow_another_without_a_gap(admin, directory):
    acting = who(directory, "admin")
    admin.start_assignment(acting, cadre_id="cb-1", area_id="p1-k2",
                           valid_from=vn("2026-01-01"), valid_until=vn_last_day("2026-06-30"))
    admin.start_assignment(acting, cadre_id="cb-1", area_id="p1-k2",
                           valid_from=vn("2026-07-01"), valid_until=None)
    assert len([a for a in directory.assignments() if a.area_id == "p1-k2"]) == 2


def test_the_same_assignment_twice_is_refused(admin, store, directory):
    acting = who(directory, "admin")
    values = {"cadre_id": "cb-1", "area_id": "p1-k2", "valid_from": vn("2026-12-01"),
              "valid_until": None}
    admin.start_assignment(acting, **values)
    assert isinstance(refused(store, admin.start_assignment, acting=acting, **values), Conflict)


def test_a_unit_admin_assigns_only_within_its_subtree(admin, store, directory):
    scoped = who(directory, "admin.p1")
    area = refused(store, admin.start_assignment, acting=scoped, cadre_id="cb-1",
                   area_id="p2-k1", valid_from=vn("2026-12-01"), valid_until=None)
    assert isinstance(area, Forbidden) and area.field == "area_id"
    cadre = refused(store, admin.start_assignment, acting=scoped, cadre_id="cb-2",
                    area_id="p1-k2", valid_from=vn("2026-12-01"), valid_until=None)
    assert isinstance(cadre, Forbidden) and cadre.field == "cadre_id"
    assert [c.id for c, _ in admin.assignments(scoped)] == ["cb-1"]
    assert {a.id for a in admin.areas(scoped)} == {"p1", "p1-k1", "p1-k2"}


def test_ending_takes_effect_at_the_chosen_instant(admin, directory):
    acting = who(directory, "admin")
    current = directory.assignment_at("cb-1", "p1-k1", NOW)
    assert current is not None
    ended = admin.end_assignment(acting, current.id, vn_last_day("2026-11-30"))
    assert ended.changed and not ended.cancelled
    assert directory.assignment_at("cb-1", "p1-k1", vn("2026-11-30", "23:59")) is not None
    assert directory.assignment_at("cb-1", "p1-k1", vn("2026-12-01")) is None


def test_ending_now_when_no_date_is_given(admin, directory):
    current = directory.assignment_at("cb-1", "p1-k1", NOW)
    assert current is not None
    admin.end_assignment(who(directory, "admin"), current.id)
    assert directory.assignment_at("cb-1", "p1-k1", NOW) is None
    assert directory.assignment_at("cb-1", "p1-k1", NOW - timedelta(seconds=1)) is not None


def test_ending_a_future_assignment_before_it_starts_cancels_it(admin, directory):
    acting = who(directory, "admin")
    view = admin.start_assignment(acting, cadre_id="cb-1", area_id="p1-k2",
                                  valid_from=vn("2026-12-10"), valid_until=None)
    ended = admin.end_assignment(acting, view.id)
    assert ended.cancelled
    assert directory.assignment_at("cb-1", "p1-k2", vn("2026-12-10")) is None


def test_an_end_cannot_be_moved_later(admin, store, directory):
    acting = who(directory, "admin")
    current = directory.assignment_at("cb-1", "p1-k1", NOW)
    assert current is not None
    admin.end_assignment(acting, current.id, vn_last_day("2026-11-30"))
    same = admin.end_assignment(acting, current.id, vn_last_day("2026-11-30"))
    assert not same.changed
    later = refused(store, admin.end_assignment, acting=acting, assignment_id=current.id,
                    at=vn_last_day("2026-12-31"))
    assert isinstance(later, Conflict) and "00:00 ngày 01/12/2026" in later.message_vi


def test_a_unit_admin_cannot_end_assignments_outside_its_subtree(admin, store, directory):
    acting = who(directory, "admin")
    other = admin.start_assignment(acting, cadre_id="cb-2", area_id="p2-k1",
                                   valid_from=vn("2026-01-01"), valid_until=None)
    err = refused(store, admin.end_assignment, acting=who(directory, "admin.p1"),
                  assignment_id=other.id, at=None)
    assert isinstance(err, NotFound)


def test_a_begun_assignment_cannot_end_before_its_start(admin, store, directory):
    current = directory.assignment_at("cb-1", "p1-k1", NOW)
    assert current is not None
    err = refused(store, admin.end_assignment, acting=who(directory, "admin"),
                  assignment_id=current.id, at=vn_last_day("2025-12-30"))
    assert isinstance(err, InvalidInput) and err.field == "valid_until"
    assert "00:00 ngày 01/01/2026" in err.message_vi
