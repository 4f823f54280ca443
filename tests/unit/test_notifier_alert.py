"""The Alert and Delivery aggregates: deterministic ids, events recorded only on change."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from domain.alert import OVERDUE, Alert, alert_id, alert_key
from domain.delivery import EMAIL, Delivery, delivery_id

AT = datetime(2026, 11, 26, 7, 0, tzinfo=UTC)


def overdue_alert() -> Alert:
    return Alert(key=alert_key(OVERDUE, "ho-dang-xa", "2026-W48"), kind=OVERDUE,
                 report_kind="weekly", period="2026-W48", area_id="ho-dang-xa",
                 chain=["ch-ho-dang-xa", "ccb-ho"], level=0, recipients=["a", "b", "a"],
                 cadre_ids=["cb-1", "cb-2"], since=AT, raised_at=AT, detail={})


def test_one_dedupe_key_one_aggregate_id():
    alert = overdue_alert()
    assert alert.id == alert_id("overdue|ho-dang-xa|2026-W48") == overdue_alert().id
    assert alert.recipients == ["a", "b"]


def test_escalation_adds_only_new_recipients_and_never_goes_down():
    alert = overdue_alert()
    assert alert.escalate(1, ["b", "c"], AT + timedelta(days=1))
    assert alert.recipients == ["a", "b", "c"] and alert.level_unit_id == "ccb-ho"
    assert not alert.escalate(1, ["d"], AT + timedelta(days=2))
    assert [type(e).__name__ for e in alert.collect_events()] == ["Raised", "Escalated"]


def test_reports_narrow_then_resolve_and_a_resolved_alert_stays_put():
    alert = overdue_alert()
    assert alert.receive_report("cb-1", AT)
    assert alert.status == "open" and alert.missing == ["cb-2"]
    assert not alert.receive_report("cb-1", AT)
    assert alert.receive_report("cb-2", AT)
    assert alert.status == "resolved" and alert.resolution == "report_received"
    assert not alert.escalate(1, ["x"], AT)
    names = [type(e).__name__ for e in alert.collect_events()]
    assert names == ["Raised", "ReportReceived", "ReportReceived", "Resolved"]


def test_only_an_addressee_acknowledges_and_only_once():
    alert = overdue_alert()
    assert not alert.acknowledge("stranger", AT)
    assert alert.acknowledge("a", AT) and not alert.acknowledge("a", AT)
    assert alert.status == "acknowledged" and list(alert.acknowledged) == ["a"]


def test_delivery_id_names_the_trigger_not_the_order():
    assert delivery_id(EMAIL, "a", ["x:1", "y:2"]) == delivery_id(EMAIL, "a", ["y:2", "x:1"])
    assert delivery_id(EMAIL, "a", ["x:1"]) != delivery_id(EMAIL, "b", ["x:1"])
    delivery = Delivery(channel=EMAIL, account_id="a", trigger=["x:1"], alert_ids=["x"],
                        payload={}, queued_at=AT)
    assert delivery.id == delivery_id(EMAIL, "a", ["x:1"])
    assert delivery.mark_sent(AT) and not delivery.mark_sent(AT)
    assert not delivery.cancel("late", AT) and not delivery.pending
