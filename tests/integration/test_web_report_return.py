"""The web pages of a return for correction: a leader above returns a report with a reason,
the cadre sees why on their home and report pages, corrects it from a pre-filled form, and
the leader reads revision 2."""

from __future__ import annotations

import re

import pytest

from tests.integration.conftest import System
from tests.integration.web_client import Browser, key_of, signed_in

pytestmark = pytest.mark.integration

CADRE = "cb.thuanthanh.dongcoi"
AREA = "thuan-thanh-dong-coi"
WARD_LEADER = "ld.ccb.thuanthanh"
SIBLING_LEADER = "ld.ccb.tramlo"


async def sent_report(system: System) -> str:
    resp = await system.submit(await system.token(CADRE), "w48", kind="weekly", area_id=AREA,
                               period="2026-W48", assessment="stable", summary="Bản gửi đầu",
                               hot_spots=[{"category": "land", "severity": "high",
                                           "title": "Tranh chấp đất"}])
    assert resp.status_code == 201, resp.text
    return str(resp.json()["report_id"])


async def give_back(leader: Browser, rid: str, reason: str) -> None:
    resp = await leader.post_form(f"/bao-cao/{rid}/tra-lai", f"/bao-cao/{rid}", reason=reason,
                                  idempotency_key=key_of((await leader.get(
                                      f"/bao-cao/{rid}")).text))
    assert resp.status_code == 303, resp.text
    assert resp.headers["location"] == f"/bao-cao/{rid}?tra_lai=1"


async def test_leader_returns_cadre_corrects_leader_reads_revision_two(system: System):
    rid = await sent_report(system)
    leader = await signed_in(system, WARD_LEADER)
    page = await leader.get(f"/bao-cao/{rid}")
    assert "Trả lại để sửa" in page.text and 'name="reason"' in page.text
    await give_back(leader, rid, "Thiếu số liệu hội viên")
    after = await leader.get(f"/bao-cao/{rid}")
    assert "Báo cáo bị trả lại" in after.text and 'name="reason"' not in after.text

    cadre = await signed_in(system, CADRE)
    home = await cadre.get("/can-bo")
    assert "Báo cáo bị trả lại" in home.text and "Thiếu số liệu hội viên" in home.text
    assert f'href="/bao-cao/{rid}/sua"' in home.text
    form = await cadre.get(f"/bao-cao/{rid}/sua")
    assert form.status_code == 200
    assert "Bản gửi đầu" in form.text and "Tranh chấp đất" in form.text
    assert "Gửi nhanh" not in form.text
    case_id = re.search(r'name="hot_spots\[0\]\.case_id" value="([^"]+)"', form.text)
    assert case_id is not None
    resp = await cadre.post_form(
        f"/bao-cao/{rid}/sua", f"/bao-cao/{rid}/sua", area_id=AREA, period="2026-W48",
        idempotency_key=key_of(form.text), assessment="attention",
        summary="Đã bổ sung số liệu", **{"counts.households_visited": "12",
                                         "hot_spots[0].case_id": case_id.group(1),
                                         "hot_spots[0].category": "land",
                                         "hot_spots[0].severity": "high",
                                         "hot_spots[0].title": "Tranh chấp đất"})
    assert resp.status_code == 303, resp.text
    assert resp.headers["location"] == f"/bao-cao/{rid}?moi=1"
    assert "Báo cáo bị trả lại" not in (await cadre.get("/can-bo")).text

    seen = await leader.get(f"/bao-cao/{rid}")
    assert "Đã bổ sung số liệu" in seen.text and "lần 2" in seen.text
    assert "Thiếu số liệu hội viên" in seen.text  # in the history
    report = (await system.client.get(f"/api/v1/reports/{rid}", headers={
        "Authorization": f"Bearer {await system.token(WARD_LEADER)}"})).json()
    assert (report["revision"], report["status"], report["case_ids"]) == (
        2, "corrected", [case_id.group(1)])


async def test_a_return_without_a_reason_is_refused_and_changes_nothing(system: System):
    rid = await sent_report(system)
    leader = await signed_in(system, WARD_LEADER)
    before = system.position()
    resp = await leader.post_form(f"/bao-cao/{rid}/tra-lai", f"/bao-cao/{rid}", reason=" ",
                                  idempotency_key="k-1")
    assert resp.status_code == 422 and "lý do" in resp.text.lower()
    assert system.position() == before


async def test_a_sibling_leader_gets_no_return_form_nor_a_return(system: System):
    rid = await sent_report(system)
    sibling = await signed_in(system, SIBLING_LEADER)
    assert (await sibling.get(f"/bao-cao/{rid}")).status_code == 404
    resp = await sibling.post_form(f"/bao-cao/{rid}/tra-lai", "/lanh-dao", reason="Sai",
                                   idempotency_key="k-2")
    assert resp.status_code == 404


async def test_the_correction_form_is_only_for_a_returned_report(system: System):
    rid = await sent_report(system)
    cadre = await signed_in(system, CADRE)
    assert (await cadre.get(f"/bao-cao/{rid}/sua")).status_code == 409
