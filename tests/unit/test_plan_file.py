"""Plan files: the shipped plans load, and every broken rule is refused where it is broken."""

from __future__ import annotations

import unicodedata
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import pytest

from domain.errors import InvalidInput
from services.common.plan_file import Plan, PlanError, load_plan, parse_plan

PLANS = Path(__file__).resolve().parents[2] / "plans"

BASE = """\
name = "Mẫu"

[[levels]]
id = "province"
name = "Tỉnh"

[[levels]]
id = "ward"
name = "Phường"

[[areas]]
id = "tinh"
name = "Tỉnh Mẫu"
level = "province"

[[areas]]
id = "phuong"
name = "Phường Mẫu"
level = "ward"
parent = "tinh"

[[units]]
id = "hoi"
name = "Hội Cựu chiến binh phường Mẫu"
kind = "association"
areas = ["phuong"]
place = "Mẫu"
code = "CCB"

[[units]]
id = "chi-hoi"
name = "Chi hội Cựu chiến binh khu phố 1"
kind = "association"
parent = "hoi"
place = "Mẫu"
code = "CHCCB"

[[cadres]]
id = "cb-1"
name = "Nguyễn Văn A"
unit = "chi-hoi"

[[accounts]]
username = "cb.one"
password = "demo-2026"
role = "cadre"
cadre = "cb-1"

[[assignments]]
cadre = "cb-1"
area = "phuong"
from = 2026-01-01
"""


def base_with(old: str, new: str) -> str:
    assert old in BASE, old
    return BASE.replace(old, new, 1)


def refusal(text: str) -> PlanError:
    with pytest.raises(PlanError) as caught:
        parse_plan(text)
    return caught.value


@pytest.fixture(scope="module")
def demo() -> Plan:
    return load_plan(PLANS / "demo-thuan-thanh.toml")


def open_areas_by_cadre(plan: Plan) -> dict[str, set[str]]:
    held: dict[str, set[str]] = {}
    for a in plan.assignments:
        if a.valid_until is None:
            held.setdefault(a.cadre, set()).add(a.area)
    return held


# --- the shipped plans ---


def test_both_shipped_plans_load_with_the_same_parser() -> None:
    demo = load_plan(PLANS / "demo-thuan-thanh.toml")
    two = load_plan(PLANS / "two-level.toml")

    assert [lv.id for lv in demo.levels] == ["province", "town", "commune", "village"]
    assert [lv.id for lv in two.levels] == ["province", "ward", "quarter"]
    assert two.root_area.id == demo.root_area.id == "bac-ninh"


def test_demo_has_at_least_three_wards_each_with_at_least_three_villages(demo: Plan) -> None:
    town = next(a for a in demo.areas if a.level == "town")

    wards = demo.child_areas(town.id)

    assert len(wards) >= 3
    for ward in wards:
        villages = demo.child_areas(ward.id)
        assert len(villages) >= 3, ward.id
        assert all(v.level == "village" for v in villages)


def test_demo_every_village_has_a_chi_hoi_reporting_to_its_ward_association(demo: Plan) -> None:
    villages = [a for a in demo.areas if a.level == "village"]

    for village in villages:
        (branch,) = [u for u in demo.units if village.id in u.area_ids]
        ward_unit = demo.units_by_id[branch.parent or ""]
        assert village.parent in ward_unit.area_ids
        assert ward_unit.parent == "ccb-thi-xa"
        cadres = [c for c in demo.cadres if c.unit == branch.id]
        assert cadres, f"no cadre in {branch.id}"


def test_demo_town_association_reports_via_thi_uy_and_copies_the_province(demo: Plan) -> None:
    town = demo.units_by_id["ccb-thi-xa"]

    chain = [u.id for u in demo.rollup_chain("ccb-thi-xa")]

    assert chain == ["ccb-thi-xa", "bdv-thi-uy", "bdv-tinh-uy"]
    assert set(town.copies_to) == {"btv-thi-uy", "bdv-tinh-uy", "ccb-tinh"}
    assert demo.units_by_id["bdv-thi-uy"].kind == "party"
    assert demo.units_by_id["ccb-tinh"].parent is None
    assert demo.escalation["top"] == "bdv-tinh-uy"  # issue 12: up to the province
    assert demo.escalation["urgent_top"] == "bdv-thi-uy"


def test_demo_has_a_cadre_holding_two_villages_and_a_village_with_two_cadres(demo: Plan) -> None:
    held = open_areas_by_cadre(demo)
    per_area = Counter(area for areas in held.values() for area in areas)

    assert held["cb-ho-a-lu"] == {"ho-a-lu", "ho-dang-xa"}
    assert [c for c, areas in held.items() if len(areas) == 2] == ["cb-ho-a-lu"]
    assert [a for a, n in per_area.items() if n == 2] == ["ho-dang-xa"]


def test_demo_every_unit_has_a_leader_account(demo: Plan) -> None:
    led = {a.unit for a in demo.accounts if a.role == "leader"}

    assert led == set(demo.units_by_id)


def test_demo_every_cadre_has_an_account_plus_an_auditor_and_an_admin(demo: Plan) -> None:
    roles = Counter(a.role for a in demo.accounts)

    assert {a.cadre for a in demo.accounts if a.role == "cadre"} == set(demo.cadres_by_id)
    assert roles["auditor"] >= 1
    assert roles["admin"] >= 1
    assert demo.accounts_by_username["auditor"].unit is None


def test_demo_keeps_schedule_as_data(demo: Plan) -> None:
    assert demo.schedule == {
        "weekly_due": "thursday 14:00",
        "weekly_reminder": "thursday 09:00",
        "periodic_due_day": 15,
        "month_start_day": 1,
        "timezone": "Asia/Ho_Chi_Minh",
    }


def test_demo_names_are_nfc_vietnamese(demo: Plan) -> None:
    names = [a.name for a in demo.areas] + [u.name for u in demo.units]

    assert "Thị xã Thuận Thành" in names
    assert all(unicodedata.is_normalized("NFC", n) for n in names)


# --- dates ---


def test_date_from_starts_at_midnight_vietnam_time() -> None:
    plan = parse_plan(BASE)

    assert plan.assignments[0].valid_from == datetime(2025, 12, 31, 17, tzinfo=UTC)


def test_date_until_includes_that_whole_day() -> None:
    text = base_with("from = 2026-01-01", "from = 2026-01-01\nuntil = 2026-06-30")

    plan = parse_plan(text)

    assert plan.assignments[0].valid_until == datetime(2026, 6, 30, 17, tzinfo=UTC)


def test_offset_datetimes_are_stored_in_utc() -> None:
    text = base_with("from = 2026-01-01", "from = 2026-01-05T08:30:00+07:00")

    plan = parse_plan(text)

    assert plan.assignments[0].valid_from == datetime(2026, 1, 5, 1, 30, tzinfo=UTC)
    assert plan.assignments[0].valid_from.utcoffset() is not None


def test_a_one_day_assignment_is_allowed() -> None:
    plan = parse_plan(base_with("from = 2026-01-01", "from = 2026-01-01\nuntil = 2026-01-01"))

    a = plan.assignments[0]
    assert a.valid_until is not None
    assert (a.valid_until - a.valid_from).total_seconds() == 24 * 3600


# --- what is refused, and where ---


@pytest.mark.parametrize(
    ("old", "new", "field"),
    [
        pytest.param('parent = "hoi"', 'parnet = "hoi"', "units[1].parnet", id="unknown-key"),
        pytest.param('name = "Mẫu"\n', 'name = "Mẫu"\nversion = 2\n', "version",
                     id="unknown-top-level-key"),
        pytest.param('id = "phuong"', 'id = "phuong.moi"', "areas[1].id", id="id-with-dot"),
        pytest.param('id = "phuong"', 'id = "Phuong"', "areas[1].id", id="id-with-capital"),
        pytest.param('parent = "hoi"', 'parent = "hoi-xa"', "units[1].parent",
                     id="dangling-unit-parent"),
        pytest.param('parent = "tinh"', 'parent = "tinh-khac"', "areas[1].parent",
                     id="dangling-area-parent"),
        pytest.param('level = "ward"', 'level = "province"', "areas[1].level",
                     id="child-area-not-below-parent"),
        pytest.param('level = "ward"', 'level = "commune"', "areas[1].level",
                     id="unknown-level"),
        pytest.param('level = "ward"\nparent = "tinh"', 'level = "ward"', "areas[1].parent",
                     id="two-root-areas"),
        pytest.param('areas = ["phuong"]', 'areas = ["phuong", "xa"]', "units[0].areas[1]",
                     id="dangling-unit-area"),
        pytest.param('kind = "association"', 'kind = "club"', "units[0].kind",
                     id="unknown-unit-kind"),
        pytest.param('code = "CCB"', 'code = "CCB/TX"', "units[0].code", id="code-with-slash"),
        pytest.param('name = "Nguyễn Văn A"', 'name = "  "', "cadres[0].name", id="blank-name"),
        pytest.param('name = "Nguyễn Văn A"', f'name = "{"A" * 201}"', "cadres[0].name",
                     id="name-too-long"),
        pytest.param('name = "Nguyễn Văn A"', "name = 7", "cadres[0].name", id="name-not-text"),
        pytest.param('unit = "chi-hoi"', 'unit = "chi-hoi-2"', "cadres[0].unit",
                     id="dangling-cadre-unit"),
        pytest.param('role = "cadre"', 'role = "chairman"', "accounts[0].role", id="bad-role"),
        pytest.param('role = "cadre"\ncadre = "cb-1"', 'role = "cadre"', "accounts[0].cadre",
                     id="cadre-account-without-cadre"),
        pytest.param('role = "cadre"\ncadre = "cb-1"', 'role = "leader"\nname = "Lãnh đạo"',
                     "accounts[0].unit", id="leader-account-without-unit"),
        pytest.param('username = "cb.one"', 'username = "CB one"', "accounts[0].username",
                     id="bad-username"),
        pytest.param('password = "demo-2026"', 'password = "123"', "accounts[0].password",
                     id="short-password"),
        pytest.param('area = "phuong"', 'area = "xa"', "assignments[0].area",
                     id="dangling-assignment-area"),
        pytest.param("from = 2026-01-01", "from = 2026-01-01T08:00:00", "assignments[0].from",
                     id="naive-datetime"),
        pytest.param("from = 2026-01-01", 'from = "2026-01-01"', "assignments[0].from",
                     id="date-as-string"),
        pytest.param("from = 2026-01-01", "from = 2026-07-01\nuntil = 2026-06-30",
                     "assignments[0].until", id="until-before-from"),
        pytest.param("from = 2026-01-01", "from = 2026-01-01\nuntil = 2025-12-31",
                     "assignments[0].until", id="until-the-day-before-from"),
    ],
)
def test_a_broken_rule_is_refused_at_its_field(old: str, new: str, field: str) -> None:
    error = refusal(base_with(old, new))

    assert error.field == field
    assert error.code == "invalid_plan"
    assert error.message and error.message_vi


def test_dangling_parent_unit_is_explained_in_vietnamese() -> None:
    error = refusal(base_with('parent = "hoi"', 'parent = "x"'))

    assert error.message_vi == "Đơn vị cấp trên 'x' không tồn tại"
    assert isinstance(error, InvalidInput)


def test_unit_parent_cycle_is_refused() -> None:
    text = base_with('code = "CCB"', 'code = "CCB"\nparent = "chi-hoi"')

    error = refusal(text)

    assert error.field == "units[0].parent"
    assert "hoi → chi-hoi → hoi" in error.message_vi


def test_duplicate_id_is_refused_at_the_second_one() -> None:
    text = BASE + '\n[[cadres]]\nid = "cb-1"\nname = "Trần Văn B"\nunit = "hoi"\n'

    assert refusal(text).field == "cadres[1].id"


def test_duplicate_username_is_refused() -> None:
    text = BASE + (
        '\n[[accounts]]\nusername = "cb.one"\npassword = "demo-2026"\n'
        'role = "admin"\nname = "Quản trị"\n'
    )

    assert refusal(text).field == "accounts[1].username"


def test_overlapping_assignments_of_the_same_cadre_and_area_are_refused() -> None:
    text = BASE + '\n[[assignments]]\ncadre = "cb-1"\narea = "phuong"\nfrom = 2026-03-01\n'

    assert refusal(text).field == "assignments[1].from"


def test_back_to_back_assignments_do_not_overlap() -> None:
    text = base_with("from = 2026-01-01", "from = 2025-07-01\nuntil = 2025-12-31") + (
        '\n[[assignments]]\ncadre = "cb-1"\narea = "phuong"\nfrom = 2026-01-01\n'
    )

    plan = parse_plan(text)

    assert plan.assignments[0].valid_until == plan.assignments[1].valid_from


def test_unknown_escalation_top_is_refused() -> None:
    text = BASE + '\n[escalation]\ntop = "ban-khac"\n'

    assert refusal(text).field == "escalation.top"


def test_toml_syntax_error_is_a_plan_error() -> None:
    error = refusal('name = "Mẫu\n')

    assert error.code == "invalid_plan"
    assert "TOML" in error.message_vi


def test_missing_file_is_a_plan_error(tmp_path: Path) -> None:
    with pytest.raises(PlanError):
        load_plan(tmp_path / "missing.toml")


# --- what is accepted and how it is normalised ---


def test_names_are_normalised_to_nfc() -> None:
    decomposed = unicodedata.normalize("NFD", "Nguyễn Văn A")
    text = base_with('name = "Nguyễn Văn A"', f'name = "{decomposed}"')

    plan = parse_plan(text)

    assert plan.cadres[0].name == "Nguyễn Văn A"
    assert unicodedata.is_normalized("NFC", plan.cadres[0].name)


def test_cadre_account_takes_its_cadres_unit_and_name() -> None:
    account = parse_plan(BASE).accounts[0]

    assert (account.unit, account.cadre, account.name) == ("chi-hoi", "cb-1", "Nguyễn Văn A")


def test_levels_are_ranked_by_their_position() -> None:
    plan = parse_plan(BASE)

    assert [(lv.id, lv.rank) for lv in plan.levels] == [("province", 0), ("ward", 1)]


def test_password_is_not_shown_in_repr() -> None:
    assert "demo-2026" not in repr(parse_plan(BASE).accounts[0])
