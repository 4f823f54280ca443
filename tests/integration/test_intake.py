"""Intake against a real nats-server and real SQLite files: submit, retry, refuse, publish."""

from __future__ import annotations

import asyncio
import json
import unicodedata
from datetime import datetime, timedelta
from typing import Any

import pytest

from services.common import wire
from services.common.streams import EVENTS_STREAM
from tests.integration.conftest import VN, System

pytestmark = pytest.mark.integration

CADRE = "cb.thuanthanh.dongcoi"
AREA = "thuan-thanh-dong-coi"
OTHER_AREA = "tram-lo-tram-lo"


def weekly(**over: object) -> dict[str, object]:
    body: dict[str, object] = {"kind": "weekly", "area_id": AREA, "period": "2026-W48",
                               "assessment": "stable", "summary": "Ổn định, không có gì mới"}
    body.update(over)
    return body


async def stream_messages(system: System, subject: str = "tinhhinh.events.>") -> list[dict]:
    js = system.nc.jetstream()
    sub = await js.subscribe(subject, ordered_consumer=True)
    out = []
    try:
        while True:
            try:
                msg = await sub.next_msg(timeout=0.5)
            except TimeoutError:
                return out
            out.append({"subject": msg.subject, "headers": msg.headers,
                        "envelope": wire.decode(msg.data)})
    finally:
        await sub.unsubscribe()


async def test_cadre_submits_weekly_report_and_it_reaches_jetstream_once(system: System):
    token = await system.token(CADRE)
    resp = await system.submit(token, "w48-1", **weekly())
    assert resp.status_code == 201, resp.text
    report = resp.json()
    assert report["published"] is True and report["on_time"] is True
    msgs = [m for m in await stream_messages(system) if m["envelope"]["type"] == "ReportSubmitted"]
    assert len(msgs) == 1
    msg = msgs[0]
    assert msg["subject"] == (
        "tinhhinh.events.bac-ninh.thuan-thanh.thuan-thanh-dong-coi.ReportSubmitted")
    assert msg["envelope"]["aggregate_id"] == report["report_id"]
    assert msg["headers"][wire.MSG_ID_HEADER] == msg["envelope"]["event_id"]
    assert "password_hash" not in json.dumps([m["envelope"] for m in await stream_messages(system)])


async def test_same_key_and_body_returns_the_same_report_with_200(system: System):
    token = await system.token(CADRE)
    first = await system.submit(token, "w48-1", **weekly())
    position = system.position()
    again = await system.submit(token, "w48-1", **weekly())
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json()["report_id"] == first.json()["report_id"]
    assert again.json()["published"] is True
    assert system.position() == position
    submitted = [m for m in await stream_messages(system)
                 if m["envelope"]["type"] == "ReportSubmitted"]
    assert len(submitted) == 1


async def test_same_key_with_another_body_is_409_and_records_nothing(system: System):
    token = await system.token(CADRE)
    await system.submit(token, "w48-1", **weekly())
    position = system.position()
    resp = await system.submit(token, "w48-1", **weekly(assessment="complex"))
    assert resp.status_code == 409
    assert resp.json()["error"]["code"] == "idempotency_conflict"
    assert system.position() == position


async def test_unassigned_cadre_cannot_submit(system: System):
    token = await system.token(CADRE)
    position = system.position()
    resp = await system.submit(token, "x", **weekly(area_id=OTHER_AREA))
    assert resp.status_code == 403
    error = resp.json()["error"]
    assert error["code"] == "not_assigned" and error["field"] == "area_id"
    assert error["message_vi"] and error["message"]
    assert system.position() == position


async def test_leader_cannot_submit_reports(system: System):
    token = await system.token("ld.ccb.thuanthanh")
    resp = await system.submit(token, "x", **weekly())
    assert resp.status_code == 403 and resp.json()["error"]["code"] == "not_a_cadre"


async def test_bad_field_is_named_in_english_and_vietnamese_and_records_nothing(system: System):
    token = await system.token(CADRE)
    position = system.position()
    resp = await system.submit(token, "x", **weekly(hot_spots=[
        {"category": "land", "severity": "catastrophic", "title": "Tranh chấp đất"}]))
    assert resp.status_code == 422
    error = resp.json()["error"]
    assert error["field"] == "hot_spots[0].severity"
    assert "must be one of" in error["message"] and "phải là một trong" in error["message_vi"]
    assert system.position() == position


async def test_missing_idempotency_key_is_refused(system: System):
    token = await system.token(CADRE)
    resp = await system.client.post("/api/v1/reports", json=weekly(),
                                    headers={"Authorization": f"Bearer {token}"})
    assert resp.status_code == 422
    assert resp.json()["error"]["code"] == "missing_idempotency_key"


async def test_malformed_json_is_a_400(system: System):
    token = await system.token(CADRE)
    resp = await system.client.post("/api/v1/reports", content=b"{not json", headers={
        "Authorization": f"Bearer {token}", "Idempotency-Key": "k",
        "Content-Type": "application/json"})
    assert resp.status_code == 400 and resp.json()["error"]["code"] == "invalid_json"


async def test_wrong_password_and_missing_token_are_401(system: System):
    resp = await system.client.post("/api/v1/auth/token",
                                    json={"username": CADRE, "password": "wrong-one"})
    assert resp.status_code == 401
    resp = await system.client.post("/api/v1/reports", json=weekly())
    assert resp.status_code == 401 and resp.headers["www-authenticate"] == "Bearer"


async def test_token_expires(system: System):
    token = await system.token(CADRE)
    system.clock.advance(timedelta(seconds=system.runtime.settings.token_ttl_seconds))
    resp = await system.client.get("/api/v1/units", headers={"Authorization": f"Bearer {token}"})
    assert resp.status_code == 401 and resp.json()["error"]["code"] == "invalid_token"


async def test_weekly_report_at_13_59_59_is_on_time_and_at_14_00_is_late(system: System):
    token = await system.token(CADRE)
    system.clock.set(datetime(2026, 11, 26, 13, 59, 59, tzinfo=VN))
    on_time = await system.submit(token, "a", **weekly())
    system.clock.set(datetime(2026, 11, 26, 14, 0, 0, tzinfo=VN))
    late = await system.submit(token, "b", **weekly(summary="Báo cáo muộn"))
    assert on_time.json()["on_time"] is True
    assert late.json()["on_time"] is False
    assert late.json()["deadline"] == "2026-11-26T07:00:00+00:00"


async def test_device_time_is_kept_but_receipt_time_decides(system: System):
    token = await system.token(CADRE)
    system.clock.set(datetime(2026, 11, 26, 15, 0, tzinfo=VN))
    resp = await system.submit(token, "offline", **weekly(device_time="2026-11-26T09:00:00+07:00"))
    body = resp.json()
    assert body["on_time"] is False
    assert body["device_time"] == "2026-11-26T09:00:00+07:00"


async def test_text_is_stored_nfc_normalised(system: System):
    token = await system.token(CADRE)
    resp = await system.submit(token, "nfc", **weekly(summary=unicodedata.normalize(
        "NFD", "Người dân phấn khởi")))
    assert resp.json()["summary"] == unicodedata.normalize("NFC", "Người dân phấn khởi")


async def test_leader_reads_own_subtree_and_not_a_siblings(system: System):
    cadre = await system.token(CADRE)
    report_id = (await system.submit(cadre, "k", **weekly())).json()["report_id"]
    own = await system.token("ld.ccb.thuanthanh")
    sibling = await system.token("ld.ccb.tramlo")
    province = await system.token("ld.ccb.tinh")
    for token, status in ((own, 200), (province, 200), (sibling, 404)):
        resp = await system.client.get(f"/api/v1/reports/{report_id}",
                                       headers={"Authorization": f"Bearer {token}"})
        assert resp.status_code == status
    listed = await system.client.get("/api/v1/reports?period=2026-W48",
                                     headers={"Authorization": f"Bearer {sibling}"})
    assert listed.json()["reports"] == []
    listed = await system.client.get("/api/v1/reports?period=2026-W48",
                                     headers={"Authorization": f"Bearer {own}"})
    assert [r["report_id"] for r in listed.json()["reports"]] == [report_id]


async def test_units_are_scoped_to_the_caller(system: System):
    sibling = await system.token("ld.ccb.tramlo")
    resp = await system.client.get("/api/v1/units",
                                   headers={"Authorization": f"Bearer {sibling}"})
    ids = {u["unit_id"] for u in resp.json()["units"]}
    assert "ccb-tram-lo" in ids and "ccb-thuan-thanh" not in ids
    resp = await system.client.get("/api/v1/units/ccb-thuan-thanh",
                                   headers={"Authorization": f"Bearer {sibling}"})
    assert resp.status_code == 404


async def test_healthz_and_metrics(system: System):
    resp = await system.client.get("/healthz")
    assert resp.status_code == 200 and resp.json()["status"] == "ok"
    metrics = await system.client.get("/metrics")
    assert "tinhhinh_relay_position" in metrics.text


async def test_nats_request_reply_has_the_same_semantics(system: System):
    token = await system.token(CADRE)
    request = {"token": token, "idempotency_key": "rpc-1", "report": weekly()}
    first = json.loads((await system.bus.request(
        "tinhhinh.rpc.v1.reports.submit", json.dumps(request).encode(), timeout=5)).data)
    again = json.loads((await system.bus.request(
        "tinhhinh.rpc.v1.reports.submit", json.dumps(request).encode(), timeout=5)).data)
    request["report"] = weekly(summary="khác")
    conflict = json.loads((await system.bus.request(
        "tinhhinh.rpc.v1.reports.submit", json.dumps(request).encode(), timeout=5)).data)
    assert (first["status"], again["status"], conflict["status"]) == (201, 200, 409)
    assert first["body"]["report_id"] == again["body"]["report_id"]
    bad = json.loads((await system.bus.request("tinhhinh.rpc.v1.reports.submit", json.dumps(
        {"token": "forged", "idempotency_key": "x", "report": weekly()}).encode(), timeout=5)).data)
    assert bad["status"] == 401


async def test_a_malformed_nats_request_is_refused_by_field_and_records_nothing(system: System):
    # Given a signed-in cadre and the store's position
    token = await system.token(CADRE)
    before = system.position()
    request = {"token": token, "idempotency_key": "rpc-bad", "report": weekly()}

    async def ask(data: bytes) -> dict[str, Any]:
        reply = await system.bus.request("tinhhinh.rpc.v1.reports.submit", data, timeout=5)
        answer: dict[str, Any] = json.loads(reply.data)
        return answer

    # When the request lacks a field, carries an unknown one, or is not JSON at all
    missing = await ask(json.dumps({k: v for k, v in request.items() if k != "report"}).encode())
    unknown = await ask(json.dumps({**request, "cadre_id": "cb-someone-else"}).encode())
    garbage = await ask(b"\xff{")
    # Then each is refused naming the field, in both languages, and nothing is recorded
    errors = [(a["status"], a["body"]["error"]["code"], a["body"]["error"]["field"])
              for a in (missing, unknown, garbage)]
    assert errors == [(422, "missing_field", "report"), (422, "unknown_field", "cadre_id"),
                      (422, "invalid_json", "body")]
    assert all(a["body"]["error"]["message_vi"] for a in (missing, unknown, garbage))
    assert system.position() == before
    # and the subscriber goes on answering
    assert (await ask(json.dumps(request).encode()))["status"] == 201


async def test_events_stored_while_the_relay_was_down_are_published_once_on_restart(
    system: System,
):
    # Given a relay that is stopped after a commit and before publishing (a crash there)
    relay = system.runtime.relay
    assert relay is not None
    relay.stop()
    await asyncio.sleep(0.3)
    token = await system.token(CADRE)
    before = await relay.stream_position()
    outcome = await _submit_directly(system, token)
    assert await relay.stream_position() == before
    # When a fresh relay starts over the same store and stream, twice
    from services.intake.relay import Relay
    for _ in range(2):
        fresh = Relay(system.runtime.store, system.runtime.directory, system.nc.jetstream())
        task = asyncio.create_task(fresh.run())
        assert await fresh.wait_published(outcome, 5)
        fresh.stop()
        await task
    # Then the report is in the stream exactly once
    msgs = [m for m in await stream_messages(system)
            if m["envelope"]["type"] == "ReportSubmitted"]
    assert len(msgs) == 1
    info = await system.nc.jetstream().stream_info(EVENTS_STREAM)
    assert info.state.messages == system.position()


async def test_a_retry_while_the_stream_is_unreachable_says_it_is_not_published(
    system: System,
):
    # Given a report stored while its publication cannot happen (the relay stopped)
    relay = system.runtime.relay
    assert relay is not None
    relay.stop()
    await asyncio.sleep(0.3)
    system.runtime.publication.wait_seconds = 0.3
    token = await system.token(CADRE)
    first = await system.submit(token, "w48-down", **weekly())
    assert first.status_code == 201 and first.json()["published"] is False
    # When the cadre's phone retries it with the same key
    again = await system.submit(token, "w48-down", **weekly())
    # Then the answer is the same report, and it still says the report is not on the stream
    assert again.status_code == 200 and again.json()["report_id"] == first.json()["report_id"]
    assert again.json()["published"] is False


async def _submit_directly(system: System, token: str) -> int:
    account = system.runtime.service.authenticate(token)
    outcome = system.runtime.service.submit(account, "direct", weekly())
    assert outcome.position is not None
    return outcome.position


async def test_an_envelope_from_memory_equals_one_from_the_store(system: System):
    # The relay publishes this process's own events from memory; readers must not tell.
    token = await system.token(CADRE)
    account = system.runtime.service.authenticate(token)
    outcome = system.runtime.service.submit(account, "mem", weekly(hot_spots=[
        {"category": "land", "severity": "high", "title": "Tranh chấp"}]))
    relay = system.runtime.relay
    assert relay is not None and outcome.recordings
    for recording in outcome.recordings:
        from_memory = relay.envelope(recording.notification, recording.domain_event)
        from_store = relay.envelope(recording.notification)
        assert from_memory.encode() == from_store.encode()


async def test_openapi_documents_the_report_submission(system: System):
    spec = (await system.client.get("/openapi.json")).json()
    post = spec["paths"]["/api/v1/reports"]["post"]
    assert {p["name"] for p in post["parameters"]} >= {"Authorization", "Idempotency-Key"}
    schema = post["requestBody"]["content"]["application/json"]["schema"]
    assert "assessment" in schema["required"]


async def test_a_second_intake_on_the_same_store_refuses_to_start(system: System) -> None:
    # One relay per event store: two would publish every event twice.
    from services.intake.bootstrap import bootstrap
    from services.intake.relay import RelayBusy

    second = bootstrap(system.runtime.settings, clock=system.clock)
    with pytest.raises(RelayBusy):
        await second.start()
    assert not second.nc.is_connected  # refused before it connected to anything
    second.store.close()
