"""The notifier's ladder, given events and a clock: who is told what, and when."""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from uuid import UUID, uuid4
from zoneinfo import ZoneInfo

import pytest

from domain.alert import HOT_SPOT, OVERDUE, REMINDER
from domain.clock import FixedClock
from domain.delivery import EMAIL, NATS, Delivery
from domain.errors import NotFound
from domain.ids import account_id
from domain.obligations import OwnerType
from domain.periods import Period
from services.common.plan_file import load_plan
from services.notifier.book import AlertBook
from services.notifier.deadlines import KINDS
from services.notifier.service import NotifierService
from services.notifier.settings import Channels
from services.notifier.store import AlertStore
from tests.unit.plan_envelopes import plan_envelopes

PLANS = Path(__file__).resolve().parents[2] / "plans"
VN = ZoneInfo("Asia/Ho_Chi_Minh")
WEDNESDAY = datetime(2026, 11, 25, 12, 0, tzinfo=VN)
THURSDAY_0900 = datetime(2026, 11, 26, 9, 0, tzinfo=VN)
THURSDAY_1400 = datetime(2026, 11, 26, 14, 0, tzinfo=VN)
CHANNELS = Channels(smtp_host="localhost", email_pattern="{username}@example.org")


def report(cadre_id: str, area_id: str, at: datetime, *, kind: str = "weekly",
           period: str | None = "2026-W48", hot_spots: list[dict[str, str]] | None = None,
           report_id: UUID | None = None) -> dict[str, Any]:
    return {"type": "ReportSubmitted", "aggregate_id": str(report_id or uuid4()), "data": {
        "kind": kind, "period": period, "area_id": area_id, "cadre_id": cadre_id,
        "submitted_at": at.isoformat(), "device_time": None,
        "content": {"assessment": "stable", "summary": "Ổn định",
                    "hot_spots": hot_spots or []}}}


def uid(username: str) -> str:
    return str(account_id(username))


def memory_store() -> AlertStore:
    return AlertStore(env={"PERSISTENCE_MODULE": "eventsourcing.popo"})


def notifier(clock: FixedClock, store: AlertStore | None = None, *,
             plan: str = "demo-thuan-thanh.toml", kinds: tuple[str, ...] = ("weekly",),
             channels: Channels = CHANNELS) -> NotifierService:
    book = AlertBook(store or memory_store())
    book.load()
    service = NotifierService(book, clock, channels, kinds)
    for envelope in plan_envelopes(load_plan(PLANS / plan)):
        service.apply(envelope)
    return service


def everyone_reported(service: NotifierService, period: str, at: datetime) -> None:
    """Every cadre reported at `at`, and every unit that owes its own report sent it (kept
    as history, as a restart replays it: the recipients are not told of it)."""
    for a in list(service.view.assignments.values()):
        if a.covers(at):
            service.apply(report(a.cadre_id, a.area_id, at, period=period))
    kind = "weekly" if "-W" in period else None
    for item in service.view.engine().owed(Period.parse(period), [kind] if kind else None,
                                           OwnerType.UNIT):
        service.remember([{"type": "UnitReportSent", "event_id": f"{item.owner.id}-{period}-sent",
                       "aggregate_id": f"{item.owner.id}-{period}", "data": {
                           "unit_id": item.owner.id, "kind": item.kind, "period": period,
                           "revision": 1, "number": "1/BC", "recipients": list(item.recipients),
                           "sent_by": "x", "sent_at": at.isoformat(),
                           "deadline": item.deadline.isoformat(), "on_time": True}}])


def sent_to(service: NotifierService, channel: str = EMAIL) -> Counter[str]:
    """How many deliveries each username has waiting on a channel."""
    names = {str(a.id): a.username for a in service.view.accounts.values()}
    return Counter(names[d.account_id or ""] for d in service.book.outbox(channel))


def drain(service: NotifierService) -> list[Delivery]:
    out = []
    for channel in (EMAIL, NATS):
        for delivery in service.outbox(channel):
            service.sent(delivery.id)
            out.append(delivery)
    return out


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(WEDNESDAY)


@pytest.fixture
def quiet(clock: FixedClock) -> NotifierService:
    """The demo network with last weeks' reports all in: nothing is due on Wednesday."""
    service = notifier(clock)
    everyone_reported(service, "2026-W46", datetime(2026, 11, 12, 10, 0, tzinfo=VN))
    everyone_reported(service, "2026-W47", datetime(2026, 11, 19, 10, 0, tzinfo=VN))
    service.sweep()
    drain(service)
    return service


def test_nothing_is_raised_when_every_report_is_in(quiet: NotifierService):
    assert quiet.sweep() == 0
    assert quiet.book.alerts == {}


def test_reminder_goes_to_each_cadre_at_nine_and_not_a_second_earlier(
        quiet: NotifierService, clock: FixedClock):
    clock.set(THURSDAY_0900 - timedelta(seconds=1))
    quiet.sweep()  # the town's own summary is reminded at 08:30 (its deadline is 13:30)
    assert not [a for a in quiet.book.alerts.values() if a.area_id is not None]
    drain(quiet)
    clock.set(THURSDAY_0900)
    quiet.sweep()
    kinds = {a.kind for a in quiet.book.alerts.values()}
    assert kinds == {REMINDER}
    assert quiet.book.alerts
    told = sent_to(quiet)
    assert told["cb.ho.dongcoi"] == 1
    # Trần Đức Thắng watches two areas: one message for both.
    assert told["cb.ho.alu"] == 1
    # Leaders are reminded only of their own units' reports (issue 12), not the cadres'.
    cadres = [a for a in quiet.book.alerts.values() if a.area_id is not None]
    assert cadres and not [r for a in cadres for r in a.recipients
                           if r in {uid(n) for n in told if n.startswith("ld.")}]


def test_overdue_at_14_00_tells_the_cadre_and_the_branch_leader_only(
        quiet: NotifierService, clock: FixedClock):
    clock.set(THURSDAY_1400 - timedelta(seconds=1))
    quiet.apply(report("cb-ho-a-lu", "ho-a-lu", clock.now()))  # 13:59:59 counts
    quiet.sweep()
    drain(quiet)
    clock.set(THURSDAY_1400)
    quiet.sweep()
    overdue = {a.area_id: a for a in quiet.book.alerts.values() if a.kind == OVERDUE}
    assert "ho-a-lu" not in overdue
    assert overdue["ho-dong-coi"].recipients == [uid("cb.ho.dongcoi"), uid("ld.ch.ho.dongcoi")]
    told = sent_to(quiet)
    assert told["ld.ch.ho.dongcoi"] == 1 and told["cb.ho.dongcoi"] == 1
    about_cadres = {r for a in overdue.values() if a.area_id is not None for r in a.recipients}
    assert uid("ld.ccb.ho") not in about_cadres and "ld.ch.ho.alu" not in told
    reminders = [a for a in quiet.book.alerts.values()
                 if a.kind == REMINDER and a.area_id is not None]
    assert reminders and all(a.resolved_at is not None for a in reminders)


def test_escalation_climbs_one_level_per_grace_period_up_to_the_top(
        quiet: NotifierService, clock: FixedClock):
    clock.set(THURSDAY_1400)
    quiet.sweep()
    drain(quiet)
    steps: list[list[str]] = []
    names = {str(a.id): a.username for a in quiet.view.accounts.values()}
    told = {r for a in quiet.book.alerts.values()
            if a.kind == OVERDUE and a.area_id is not None for r in a.recipients}
    for hours in (23, 24, 48, 72, 96, 160):
        clock.set(THURSDAY_1400 + timedelta(hours=hours))
        quiet.sweep()
        now_told = {r for a in quiet.book.alerts.values()
                    if a.kind == OVERDUE and a.area_id is not None for r in a.recipients}
        steps.append(sorted(names[r] for r in now_told - told if names[r].startswith("ld.")))
        told |= now_told
    # The commune's leader once for all its late branches, then the town, then up to the
    # province (issue 12: the demo's escalation reaches the province).
    assert steps == [[], ["ld.ccb.dinhto", "ld.ccb.giadong", "ld.ccb.ho", "ld.ccb.songho"],
                     ["ld.ccb.thixa"], ["ld.bdv.thiuy"], ["ld.bdv.tinhuy"], []]
    alert = quiet.book.alerts[next(a.id for a in quiet.book.alerts.values()
                                   if a.kind == OVERDUE and a.area_id == "ho-dong-coi")]
    assert alert.level_unit_id == "bdv-tinh-uy"


def test_the_ladder_stops_the_moment_the_report_arrives(
        quiet: NotifierService, clock: FixedClock):
    clock.set(THURSDAY_1400)
    quiet.sweep()
    drain(quiet)
    clock.set(THURSDAY_1400 + timedelta(hours=20))
    quiet.apply(report("cb-ho-dong-coi", "ho-dong-coi", clock.now()))
    clock.set(THURSDAY_1400 + timedelta(hours=24))
    quiet.sweep()
    alerts = {a.area_id: a for a in quiet.book.alerts.values() if a.kind == OVERDUE}
    assert alerts["ho-dong-coi"].status == "resolved"
    assert alerts["ho-dong-coi"].level == 0
    assert alerts["ho-a-lu"].level == 1


def test_an_area_with_two_cadres_resolves_only_when_both_have_reported(
        quiet: NotifierService, clock: FixedClock):
    clock.set(THURSDAY_1400)
    quiet.sweep()
    quiet.apply(report("cb-ho-a-lu", "ho-dang-xa", clock.now()))
    alert = next(a for a in quiet.book.alerts.values()
                 if a.kind == OVERDUE and a.area_id == "ho-dang-xa")
    assert alert.missing == ["cb-ho-dang-xa"] and alert.status == "open"
    quiet.apply(report("cb-ho-dang-xa", "ho-dang-xa", clock.now()))
    assert alert.status == "resolved" and alert.resolution == "report_received"


def test_redelivered_events_and_repeated_sweeps_raise_nothing_new(
        quiet: NotifierService, clock: FixedClock):
    clock.set(THURSDAY_1400)
    quiet.sweep()
    urgent = report("cb-ho-dong-coi", "ho-dong-coi", clock.now(), kind="urgent", period=None,
                    hot_spots=[{"category": "land", "severity": "urgent", "title": "Tranh chấp"}])
    quiet.apply(urgent)
    before = (len(quiet.book.alerts), len(quiet.book.pending))
    quiet.apply(urgent, remember=False)
    quiet.apply(urgent)
    quiet.sweep()
    assert (len(quiet.book.alerts), len(quiet.book.pending)) == before


def test_urgent_hot_spot_reaches_the_line_up_to_the_town_and_its_copies_at_once_only(
        quiet: NotifierService, clock: FixedClock):
    quiet.apply(report("cb-ho-dong-coi", "ho-dong-coi", clock.now(), kind="urgent", period=None,
                       hot_spots=[{"category": "land", "severity": "urgent",
                                   "title": "Tập trung đông người"}]))
    [alert] = [a for a in quiet.book.alerts.values() if a.kind == HOT_SPOT]
    # Issue 12: the copy recipients of the units on the line are told too.
    assert set(alert.recipients) == {uid("ld.ch.ho.dongcoi"), uid("ld.ccb.ho"),
                                     uid("ld.ccb.thixa"), uid("ld.bdv.thiuy"),
                                     uid("ld.btv.thiuy"), uid("ld.bdv.tinhuy"),
                                     uid("ld.ccb.tinh"), uid("ld.btv.tinhuy")}
    assert quiet.alerts_for(uid("ld.ccb.songho"))["alerts"] == []
    assert quiet.alerts_for(uid("ld.ch.ho.alu"))["alerts"] == []
    assert [a["alert_id"] for a in quiet.alerts_for(uid("ld.ccb.ho"))["alerts"]] == [
        str(alert.id)]


def test_unacknowledged_urgent_hot_spot_climbs_one_level_after_two_hours(
        quiet: NotifierService, clock: FixedClock):
    quiet.apply(report("cb-ho-dong-coi", "ho-dong-coi", clock.now(), kind="urgent", period=None,
                       hot_spots=[{"category": "land", "severity": "urgent", "title": "X"}]))
    drain(quiet)
    clock.advance(timedelta(hours=2) - timedelta(seconds=1))
    quiet.sweep()
    assert sent_to(quiet) == Counter()
    clock.advance(timedelta(seconds=1))
    quiet.sweep()
    # The province's Ban Dân vận was told at once as a copy recipient: nobody new to tell.
    [alert] = [a for a in quiet.book.alerts.values() if a.kind == HOT_SPOT]
    assert alert.level_unit_id == "bdv-tinh-uy" and sent_to(quiet) == Counter()


def test_acknowledged_urgent_hot_spot_does_not_climb(quiet: NotifierService, clock: FixedClock):
    quiet.apply(report("cb-ho-dong-coi", "ho-dong-coi", clock.now(), kind="urgent", period=None,
                       hot_spots=[{"category": "land", "severity": "urgent", "title": "X"}]))
    [alert] = quiet.alerts_for(uid("ld.ccb.thixa"))["alerts"]
    acked = quiet.acknowledge(uid("ld.ccb.thixa"), alert["alert_id"])
    assert acked["status"] == "acknowledged" and acked["acknowledged_by"] == [uid("ld.ccb.thixa")]
    drain(quiet)
    clock.advance(timedelta(hours=3))
    quiet.sweep()
    assert sent_to(quiet) == Counter()
    [seen] = quiet.alerts_for(uid("ld.ccb.ho"), "acknowledged")["alerts"]
    assert seen["alert_id"] == alert["alert_id"]


def test_high_hot_spot_tells_the_branch_and_the_commune(quiet: NotifierService):
    quiet.apply(report("cb-ho-dong-coi", "ho-dong-coi", quiet.clock.now(), kind="urgent",
                       period=None, hot_spots=[
                           {"category": "land", "severity": "high", "title": "X"},
                           {"category": "land", "severity": "low", "title": "Y"}]))
    [alert] = quiet.book.alerts.values()
    assert alert.recipients == [uid("ld.ch.ho.dongcoi"), uid("ld.ccb.ho")]


def test_low_and_medium_hot_spots_raise_nothing(quiet: NotifierService):
    quiet.apply(report("cb-ho-dong-coi", "ho-dong-coi", quiet.clock.now(), hot_spots=[
        {"category": "land", "severity": "medium", "title": "X"}]))
    assert not [a for a in quiet.book.alerts.values() if a.kind == HOT_SPOT]


def test_an_alert_cannot_be_acknowledged_or_seen_by_an_unrelated_leader(
        quiet: NotifierService):
    quiet.apply(report("cb-ho-dong-coi", "ho-dong-coi", quiet.clock.now(), kind="urgent",
                       period=None, hot_spots=[{"category": "x", "severity": "urgent",
                                                "title": "X"}]))
    [alert] = quiet.book.alerts.values()
    with pytest.raises(NotFound):
        quiet.acknowledge(uid("ld.ccb.songho"), str(alert.id))
    with pytest.raises(NotFound):
        quiet.acknowledge(uid("ld.ccb.songho"), "not-an-id")
    assert alert.acknowledged == {}


def test_after_a_long_outage_each_person_gets_one_digest(clock: FixedClock):
    # Given a notifier that last ran before W47's reminder and comes back after W48's deadline
    service = notifier(clock)
    everyone_reported(service, "2026-W46", datetime(2026, 11, 12, 10, 0, tzinfo=VN))
    clock.set(THURSDAY_1400 + timedelta(hours=30))
    service.sweep()
    told = sent_to(service)
    # Then two deadlines and their escalations arrive as one message per person
    assert told and set(told.values()) == {1}
    assert told["ld.bdv.thiuy"] == 1 and told["ld.ccb.ho"] == 1
    w47 = next(a for a in service.book.alerts.values()
               if a.period == "2026-W47" and a.area_id == "ho-dong-coi")
    assert w47.level_unit_id == "bdv-tinh-uy"
    assert not [a for a in service.book.alerts.values() if a.kind == REMINDER]


def test_state_survives_a_restart_from_the_same_file(tmp_path: Path, clock: FixedClock):
    env = {"PERSISTENCE_MODULE": "services.common.durable_sqlite",
           "NOTIFIER_SQLITE_DBNAME": str(tmp_path / "notifier.sqlite")}
    service = notifier(clock, AlertStore(env=env))
    clock.set(THURSDAY_1400)
    service.sweep()
    alerts, pending = len(service.book.alerts), set(service.book.pending)
    service.book.store.close()
    again = notifier(clock, AlertStore(env=env))
    assert len(again.book.alerts) == alerts and set(again.book.pending) == pending
    assert again.sweep() == 0
    again.book.store.close()


def test_a_digest_whose_alerts_all_resolved_before_sending_is_cancelled(
        quiet: NotifierService, clock: FixedClock):
    clock.set(THURSDAY_1400)
    quiet.sweep()
    assert sent_to(quiet)["ld.ch.ho.dongcoi"] == 1
    quiet.apply(report("cb-ho-dong-coi", "ho-dong-coi", clock.now()))
    to_send = {d.id for d in quiet.outbox(EMAIL)}
    told = sent_to(quiet)
    assert "ld.ch.ho.dongcoi" not in told and "cb.ho.dongcoi" not in told
    assert told["ld.ch.ho.alu"] == 1 and len(to_send) == sum(told.values())
    # The machine feed still says what happened, resolution included.
    changes = [d.payload["change"] for d in quiet.outbox(NATS)
               if d.payload["area_id"] == "ho-dong-coi"]
    assert changes[-1] == "resolved"


def test_a_leaders_alerts_come_in_bounded_pages_newest_first_each_once(
        quiet: NotifierService, clock: FixedClock):
    # Given 230 urgent hot spots reported one minute apart in one commune
    for n in range(230):
        clock.advance(timedelta(minutes=1))
        quiet.apply(report("cb-ho-dong-coi", "ho-dong-coi", clock.now(), kind="urgent",
                           period=None, hot_spots=[{"category": "land", "severity": "urgent",
                                                    "title": f"Vụ {n}"}]))
    # When the commune's leader reads them page by page
    pages, cursor = [], None
    while True:
        page = quiet.alerts_for(uid("ld.ccb.ho"), "open", 100, cursor)
        pages.append(page)
        cursor = page["next_cursor"]
        if cursor is None:
            break
    # Then three pages of at most 100, every alert once, newest first, the total on each
    assert [len(p["alerts"]) for p in pages] == [100, 100, 30]
    assert {p["total"] for p in pages} == {230}
    raised = [a["raised_at"] for p in pages for a in p["alerts"]]
    assert len({a["alert_id"] for p in pages for a in p["alerts"]}) == 230
    assert raised == sorted(raised, reverse=True)


class FlakyStore(AlertStore):
    """An in-memory alert store whose next `failures` saves fail, as a full disk would."""

    failures = 0

    def save(self, *objs: Any, **kwargs: Any) -> Any:
        if self.failures:
            self.failures -= 1
            raise OSError("injected: database or disk is full")
        return super().save(*objs, **kwargs)


def test_an_overdue_sweep_whose_save_failed_is_retried_on_the_next_tick(clock: FixedClock):
    # Given a notifier whose store fails the first save after W48's deadline
    store = FlakyStore(env={"PERSISTENCE_MODULE": "eventsourcing.popo"})
    service = notifier(clock, store)
    everyone_reported(service, "2026-W46", datetime(2026, 11, 12, 10, 0, tzinfo=VN))
    everyone_reported(service, "2026-W47", datetime(2026, 11, 19, 10, 0, tzinfo=VN))
    service.sweep()
    drain(service)
    clock.set(THURSDAY_1400)
    store.failures = 1
    # When the sweep's save fails
    with pytest.raises(OSError, match="injected"):
        service.sweep()
    assert not [a for a in service.book.alerts.values() if a.kind == OVERDUE]
    # Then the next tick raises the overdue alerts and tells the people
    assert service.sweep() > 0
    overdue = {a.area_id for a in service.book.alerts.values() if a.kind == OVERDUE}
    assert "ho-dong-coi" in overdue
    assert sent_to(service)["ld.ch.ho.dongcoi"] == 1
    assert {a.area_id for a in store_alerts(store) if a.kind == OVERDUE} == overdue


def store_alerts(store: AlertStore) -> list[Any]:
    """The alerts the store holds, read back from its own history."""
    every: dict[UUID, Any] = {}
    for event in store.history():
        every[event.originator_id] = event.mutate(every.get(event.originator_id))
    return [a for a in every.values() if hasattr(a, "kind")]


def test_no_alert_asks_a_cadre_for_a_report_the_plan_does_not_make_them_owe(clock: FixedClock):
    # Given the demo plan, where cadres owe weekly and urgent reports only, and nobody
    # has reported for weeks, swept with every periodic kind switched on
    service = notifier(clock, kinds=KINDS)
    # When the day after December's monthly and quarterly deadlines comes
    clock.set(datetime(2026, 12, 16, 10, 0, tzinfo=VN))
    service.sweep()
    # Then the only alerts are about the weekly reports the cadres owe
    alerts = [a for a in service.book.alerts.values() if a.area_id is not None]
    assert alerts and {a.report_kind for a in alerts} == {"weekly"}
    rows = service.overdue(clock.now())
    assert {r["kind"] for r in rows if r["cadre_id"] is not None} == {"weekly"}


def test_a_units_own_report_is_overdue_owed_by_the_unit_and_no_cadre(clock: FixedClock):
    # Given the demo plan: Hội CCB thị xã owes its weekly summary by Thursday 13:30
    service = notifier(clock, kinds=KINDS)
    # When it is 13:30 that Thursday
    rows = service.overdue(datetime(2026, 11, 26, 13, 30, tzinfo=VN))
    # Then its summary is overdue, owed by the unit, and the cadres' 14:00 reports are not yet
    town = [r for r in rows if r["unit_id"] == "ccb-thi-xa" and r["period"] == "2026-W48"]
    assert town == [{"kind": "weekly", "period": "2026-W48", "cadre_id": None, "area_id": None,
                     "unit_id": "ccb-thi-xa", "deadline": "2026-11-26T06:30:00+00:00"}]
    assert not [r for r in rows if r["period"] == "2026-W48" and r["cadre_id"] is not None]
    # And a commune leader sees their own unit's row, a cadre none
    leader = service.overdue(datetime(2026, 11, 26, 14, 0, tzinfo=VN), uid("ld.ccb.ho"))
    assert {r["unit_id"] for r in leader if r["cadre_id"] is None} == {"ccb-ho"}
    cadre = service.overdue(datetime(2026, 11, 26, 14, 0, tzinfo=VN), uid("cb.ho.dongcoi"))
    assert cadre and all(r["cadre_id"] == "cb-ho-dong-coi" for r in cadre)


def overdue_key(row: dict[str, Any]) -> tuple[str, ...]:
    return (row["deadline"], row["kind"], row["period"], row["unit_id"] or "",
            row["area_id"] or "", row["cadre_id"] or "")


def test_overdue_comes_in_bounded_pages_in_deadline_order_each_row_once(
        clock: FixedClock):
    # Given the demo network where nobody has reported for weeks, four kinds expected
    service = notifier(clock, kinds=("weekly", "monthly", "quarterly", "semiannual"))
    at = THURSDAY_1400 + timedelta(hours=1)
    whole = service.overdue(at)
    assert len(whole) > 7
    # When the list is read three rows at a time
    pages, cursor = [], None
    while True:
        page = service.overdue_page(at, None, 3, cursor)
        pages.append(page)
        cursor = page["next_cursor"]
        if cursor is None:
            break
    # Then every page holds at most three rows, the total on each, every row exactly once,
    # in the order of deadline, kind, period, unit, area, cadre
    rows = [r for p in pages for r in p["overdue"]]
    assert all(len(p["overdue"]) <= 3 for p in pages)
    assert {p["total"] for p in pages} == {len(whole)}
    assert rows == sorted(whole, key=overdue_key)


def test_a_report_arriving_between_overdue_pages_shifts_nothing_else(quiet: NotifierService,
                                                                     clock: FixedClock):
    # Given the first page of what is overdue on Thursday afternoon
    at = THURSDAY_1400 + timedelta(hours=1)
    first = quiet.overdue_page(at, None, 2)
    rest_before = quiet.overdue_page(at, None, 500, first["next_cursor"])["overdue"]
    assert rest_before, "the demo leaves more than two rows overdue"
    # When the cadre of the first cadre's row still to come reports (late) before the next page
    late = next(row for row in rest_before if row["cadre_id"] is not None)
    clock.set(at)
    quiet.apply(report(late["cadre_id"], late["area_id"], at, period=late["period"]))
    # Then the next page is the rest without that row: nothing repeated, nothing skipped
    second = quiet.overdue_page(at, None, 500, first["next_cursor"])
    assert second["overdue"] == [row for row in rest_before if row != late]


def test_overdue_pages_are_cut_to_what_the_account_may_see(quiet: NotifierService):
    at = THURSDAY_1400 + timedelta(hours=1)
    page = quiet.overdue_page(at, uid("ld.ch.ho.dongcoi"), 500)
    assert page["overdue"] == quiet.overdue(at, uid("ld.ch.ho.dongcoi"))
    assert {r["area_id"] for r in page["overdue"]} == {"ho-dong-coi"}
