"""Administration on the web: accounts issued and reset, assignments with effective dates, scope,
refusals that record nothing, and sign-in throttled on the web and the API."""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator, Iterator
from datetime import datetime, timedelta

import httpx
import pytest
from structlog.testing import capture_logs

from tests.integration.conftest import PASSWORD, VN, System
from tests.integration.test_intake import stream_messages
from tests.integration.web_client import Browser, browser, csrf_of, signed_in, signed_in_own

pytestmark = pytest.mark.integration

CADRE = "cb.thuanthanh.dongcoi"
CADRE_ID = "cb-thuan-thanh-dong-coi"
HOME_AREA = "thuan-thanh-dong-coi"
OTHER_AREA = "thuan-thanh-dong-ho"
LEADER = "ld.ccb.thuanthanh"
SECRET = re.compile(r'<code class="secret" id="mat-khau">([^<]+)</code>')
THROTTLED = "Đăng nhập sai quá nhiều lần. Vui lòng thử lại sau 15 phút."


@pytest.fixture
async def admin(system: System) -> AsyncIterator[Browser]:
    b = await signed_in(system, "admin")
    try:
        yield b
    finally:
        await b.aclose()


def shown_password(page: str) -> str:
    match = SECRET.search(page)
    assert match, "no password on the page"
    return match[1]


async def urgent(system: System, token: str, key: str, area: str) -> int:
    resp = await system.submit(token, key, kind="urgent", area_id=area, assessment="stable",
                               summary="Tình hình ổn định")
    return resp.status_code


def at_vn(*args: int) -> datetime:
    return datetime(*args, tzinfo=VN)


def assignment_id(system: System, cadre: str, area: str) -> str:
    found = system.runtime.directory.assignment_at(cadre, area, system.clock.now())
    assert found is not None
    return str(found.id)


async def published(system: System, type_: str) -> list[dict]:
    relay = system.runtime.relay
    assert relay is not None and await relay.wait_published(system.position(), 10)
    return [m["envelope"] for m in await stream_messages(system)
            if m["envelope"]["type"] == type_]


# --- accounts ---


async def test_the_issue_form_labels_every_field(admin: Browser):
    page = await admin.get("/quan-tri/tai-khoan")
    assert page.status_code == 200
    for field, label in (("username", "Tên đăng nhập"), ("role", "Vai trò"),
                         ("cadre_id", "Cán bộ (chỉ với tài khoản cán bộ)"),
                         ("name", "Họ và tên"), ("unit_id", "Đơn vị")):
        assert f'<label for="{field}">{label}</label>' in page.text
        assert f'id="{field}" name="{field}"' in page.text
    assert '<option value="auditor">Kiểm tra</option>' in page.text
    # the network's cadres to choose from, in Vietnamese order (Đ with D)
    assert page.text.index("Đào Văn Chiến") < page.text.index("Lương Thị Mai")
    assert 'name="csrf_token"' in page.text


async def test_admin_issues_an_account_and_its_user_signs_in_with_the_shown_password(
    system: System, admin: Browser,
):
    with capture_logs() as logs:
        resp = await admin.post_form("/quan-tri/tai-khoan", "/quan-tri/tai-khoan",
                                     username="kt.moi", name="Kiểm tra viên mới",
                                     role="auditor", unit_id="ccb-thuan-thanh", cadre_id="")
    assert resp.status_code == 200 and "Đã cấp tài khoản" in resp.text
    assert "Mật khẩu này chỉ hiện một lần." in resp.text
    password = shown_password(resp.text)
    assert len(password) == 19 and password not in repr(logs)
    auditor = browser(system)
    try:
        # The admin knows it: the user is made to change it first
        signed = await auditor.login("kt.moi", password)
        assert signed.status_code == 303 and signed.headers["location"] == "/doi-mat-khau"
        assert (await auditor.get("/kiem-tra")).headers["location"] == "/doi-mat-khau"
    finally:
        await auditor.aclose()
    account = system.runtime.directory.account_by_username("kt.moi")
    assert account is not None and (account.role, account.unit_id) == ("auditor",
                                                                       "ccb-thuan-thanh")
    page = await admin.get("/quan-tri/tai-khoan/kt.moi")
    assert password not in page.text  # shown once, never again
    opened = [e for e in await published(system, "AccountOpened")
              if e["data"]["username"] == "kt.moi"]
    assert len(opened) == 1 and "password_hash" not in opened[0]["data"]
    assert opened[0]["data"]["must_change_password"] is True


async def test_a_cadre_account_is_issued_for_a_cadre_of_the_network(
    system: System, admin: Browser,
):
    resp = await admin.post_form("/quan-tri/tai-khoan", "/quan-tri/tai-khoan",
                                 username="cb.dongcoi.2", name="", role="cadre", unit_id="",
                                 cadre_id=CADRE_ID)
    assert resp.status_code == 200
    token = await system.own_token("cb.dongcoi.2", shown_password(resp.text))
    assert await urgent(system, token, "second-account", HOME_AREA) == 201


async def test_the_same_issue_form_sent_twice_opens_one_account(
    system: System, admin: Browser,
):
    page = await admin.get("/quan-tri/tai-khoan")
    fields = {"csrf_token": csrf_of(page.text), "username": "kt.hai", "name": "Kiểm tra hai",
              "role": "auditor", "unit_id": "", "cadre_id": ""}
    first = await admin.client.post("/quan-tri/tai-khoan", data=fields)
    position = system.position()
    again = await admin.client.post("/quan-tri/tai-khoan", data=fields)
    assert first.status_code == 200
    assert again.status_code == 409 and "Tên đăng nhập &#39;kt.hai&#39; đã có" in again.text
    assert "đặt lại mật khẩu" in again.text
    assert system.position() == position


@pytest.mark.parametrize(("fields", "status", "field_vi", "message"), [
    ({"username": "Người Dùng"}, 422, "Tên đăng nhập", "Tên đăng nhập phải gồm 3-64 ký tự"),
    ({"username": "admin"}, 409, "Tên đăng nhập", "đã có"),
    ({"role": "boss"}, 422, "Vai trò", "Vai trò không hợp lệ"),
    ({"role": "leader", "unit_id": ""}, 422, "Đơn vị", "Tài khoản lãnh đạo phải chọn đơn vị."),
    ({"unit_id": "khong-co"}, 422, "Đơn vị", "Đơn vị &#39;khong-co&#39; không có"),
    ({"role": "cadre", "cadre_id": "khong-co"}, 422, "Cán bộ", "Cán bộ &#39;khong-co&#39;"),
    ({"role": "cadre", "cadre_id": ""}, 422, "Cán bộ", "Tài khoản cán bộ phải chọn cán bộ."),
])
async def test_bad_account_input_is_refused_in_vietnamese_and_records_nothing(
    system: System, admin: Browser, fields: dict, status: int, field_vi: str, message: str,
):
    position = system.position()
    values = {"username": "moi.tao", "name": "Người mới", "role": "leader",
              "unit_id": "ccb-thuan-thanh", "cadre_id": "", **fields}
    resp = await admin.post_form("/quan-tri/tai-khoan", "/quan-tri/tai-khoan", **values)
    assert resp.status_code == status
    assert f"ô cần sửa: <strong>{field_vi}</strong>" in resp.text and message in resp.text
    assert "Chưa có gì được ghi nhận." in resp.text and 'aria-invalid="true"' in resp.text
    assert system.position() == position
    assert system.runtime.directory.account_by_username("moi.tao") is None


async def test_a_password_reset_voids_the_old_password_session_and_token(
    system: System, admin: Browser,
):
    cadre = await signed_in(system, CADRE)
    token = await system.token(CADRE)
    try:
        assert (await cadre.get("/can-bo")).status_code == 200
        account = await admin.get(f"/quan-tri/tai-khoan/{CADRE}")
        assert "Đặt lại mật khẩu" in account.text
        resp = await admin.post_form(f"/quan-tri/tai-khoan/{CADRE}/mat-khau",
                                     f"/quan-tri/tai-khoan/{CADRE}")
        assert resp.status_code == 200 and "Đã đặt lại mật khẩu" in resp.text
        password = shown_password(resp.text)
        # The old web session ends, the old token stops working, the old password too.
        ended = await cadre.get("/can-bo")
        assert ended.status_code == 303 and "ly_do=revoked" in ended.headers["location"]
        old = await system.client.get("/api/v1/reports",
                                      headers={"Authorization": f"Bearer {token}"})
        assert old.status_code == 401
        assert (await cadre.login(CADRE)).status_code == 401
        # The new one signs in, to change it: the admin knows it
        signed = await cadre.login(CADRE, password)
        assert signed.status_code == 303 and signed.headers["location"] == "/doi-mat-khau"
    finally:
        await cadre.aclose()
    reset = await published(system, "AccountPasswordReset")
    assert len(reset) == 1 and "password_hash" not in reset[0]["data"]


async def test_a_disabled_account_is_signed_out_and_can_be_enabled_again(
    system: System, admin: Browser,
):
    cadre = await signed_in(system, CADRE)
    try:
        resp = await admin.post_form(f"/quan-tri/tai-khoan/{CADRE}/khoa",
                                     f"/quan-tri/tai-khoan/{CADRE}")
        assert resp.status_code == 303
        page = await admin.get(resp.headers["location"])
        assert "Đã khoá tài khoản." in page.text and "Mở khoá tài khoản" in page.text
        assert (await cadre.get("/can-bo")).status_code == 303
        assert (await cadre.login(CADRE)).status_code == 401
        again = await admin.post_form(f"/quan-tri/tai-khoan/{CADRE}/mo-khoa",
                                      f"/quan-tri/tai-khoan/{CADRE}")
        assert again.status_code == 303
        assert (await cadre.login(CADRE)).status_code == 303
    finally:
        await cadre.aclose()


async def test_an_admin_cannot_lock_themselves_out(system: System, admin: Browser):
    position = system.position()
    page = await admin.get("/quan-tri/tai-khoan/admin")
    assert "không tự khoá được" in page.text and "/quan-tri/tai-khoan/admin/khoa" not in page.text
    resp = await admin.client.post("/quan-tri/tai-khoan/admin/khoa",
                                   data={"csrf_token": csrf_of(page.text)})
    assert resp.status_code == 403 and "Không thể tự khoá" in resp.text
    assert system.position() == position


# --- assignments ---


async def test_an_assignment_from_a_future_date_lets_the_cadre_report_from_that_day(
    system: System, admin: Browser,
):
    resp = await admin.post_form("/quan-tri/phan-cong", "/quan-tri/phan-cong",
                                 cadre_id=CADRE_ID, area_id=OTHER_AREA,
                                 valid_from="2026-11-27", valid_from_time="", valid_until="")
    assert resp.status_code == 303 and "da_luu=them" in resp.headers["location"]
    page = await admin.get(resp.headers["location"])
    assert "Đã thêm phân công." in page.text
    assert "từ ngày 27/11/2026, không thời hạn · chưa bắt đầu" in page.text
    token = await system.token(CADRE)
    assert await urgent(system, token, "before", OTHER_AREA) == 403
    system.clock.set(at_vn(2026, 11, 26, 23, 59, 59))
    token = await system.token(CADRE)  # tokens last 8 hours
    assert await urgent(system, token, "just-before", OTHER_AREA) == 403
    system.clock.set(at_vn(2026, 11, 27, 0, 0))
    token = await system.token(CADRE)
    assert await urgent(system, token, "from-the-day", OTHER_AREA) == 201
    started = [e for e in await published(system, "AssignmentStarted")
               if e["data"]["area_id"] == OTHER_AREA and e["data"]["cadre_id"] == CADRE_ID]
    assert len(started) == 1


async def test_an_assignment_starting_at_a_vietnam_time(system: System, admin: Browser):
    resp = await admin.post_form("/quan-tri/phan-cong", "/quan-tri/phan-cong",
                                 cadre_id=CADRE_ID, area_id=OTHER_AREA,
                                 valid_from="2026-11-26", valid_from_time="14:30",
                                 valid_until="2026-11-30")
    assert resp.status_code == 303
    page = await admin.get("/quan-tri/phan-cong")
    assert "từ 14:30 ngày 26/11/2026, đến hết ngày 30/11/2026" in page.text
    view = system.runtime.directory.assignment_at(CADRE_ID, OTHER_AREA,
                                                  at_vn(2026, 11, 26, 14, 30))
    assert view is not None and view.valid_from == at_vn(2026, 11, 26, 14, 30)
    assert view.valid_until == at_vn(2026, 12, 1)


async def test_an_assignment_ended_at_a_date_refuses_reports_after_it(
    system: System, admin: Browser,
):
    aid = assignment_id(system, CADRE_ID, HOME_AREA)
    page = await admin.get("/quan-tri/phan-cong")
    assert f'<label for="end-{aid}">' in page.text
    resp = await admin.client.post(f"/quan-tri/phan-cong/{aid}/ket-thuc", data={
        "csrf_token": csrf_of(page.text), "valid_until": "2026-11-26"})
    assert resp.status_code == 303 and "da_luu=ket-thuc" in resp.headers["location"]
    token = await system.token(CADRE)
    assert await urgent(system, token, "today", HOME_AREA) == 201
    system.clock.set(at_vn(2026, 11, 27, 0, 0))
    token = await system.token(CADRE)
    assert await urgent(system, token, "tomorrow", HOME_AREA) == 403
    later = await signed_in(system, "admin")  # the first session has idled out
    try:
        listed = await later.get("/quan-tri/phan-cong")
    finally:
        await later.aclose()
    assert "đến hết ngày 26/11/2026 · đã kết thúc" in listed.text


async def test_an_assignment_ended_now_refuses_reports_at_once(system: System, admin: Browser):
    aid = assignment_id(system, CADRE_ID, HOME_AREA)
    token = await system.token(CADRE)
    resp = await admin.post_form(f"/quan-tri/phan-cong/{aid}/ket-thuc", "/quan-tri/phan-cong",
                                 valid_until="")
    assert resp.status_code == 303
    assert await urgent(system, token, "after-the-end", HOME_AREA) == 403
    assert len(await published(system, "AssignmentEnded")) == 1


@pytest.mark.parametrize(("fields", "status", "message"), [
    ({"valid_until": "2026-11-20"}, 422, "Ngày kết thúc phải sau thời điểm bắt đầu."),
    ({"valid_from": "26/11/2026"}, 422, "Ngày bắt đầu không hợp lệ"),
    ({"valid_from_time": "8 giờ"}, 422, "Giờ bắt đầu không hợp lệ"),
    ({"area_id": "khong-co"}, 422, "Địa bàn &#39;khong-co&#39; không có"),
    ({"cadre_id": "khong-co"}, 422, "Cán bộ &#39;khong-co&#39; không có"),
    ({"area_id": HOME_AREA}, 409,
     "Cán bộ Nguyễn Văn Hùng đã được phân công Khu phố Đông Côi trong một phần thời gian này "
     "(từ 00:00 ngày 01/07/2025, không thời hạn)."),
])
async def test_bad_assignments_are_refused_in_vietnamese_and_record_nothing(
    system: System, admin: Browser, fields: dict, status: int, message: str,
):
    position = system.position()
    values = {"cadre_id": CADRE_ID, "area_id": OTHER_AREA, "valid_from": "2026-12-01",
              "valid_from_time": "", "valid_until": "", **fields}
    resp = await admin.post_form("/quan-tri/phan-cong", "/quan-tri/phan-cong", **values)
    assert resp.status_code == status and message in resp.text
    assert "Chưa thêm được phân công" in resp.text and "Chưa có gì được ghi nhận." in resp.text
    assert system.position() == position


async def test_an_end_later_than_the_current_end_is_refused(system: System, admin: Browser):
    aid = assignment_id(system, CADRE_ID, HOME_AREA)
    first = await admin.post_form(f"/quan-tri/phan-cong/{aid}/ket-thuc", "/quan-tri/phan-cong",
                                  valid_until="2026-11-30")
    assert first.status_code == 303
    position = system.position()
    later = await admin.post_form(f"/quan-tri/phan-cong/{aid}/ket-thuc", "/quan-tri/phan-cong",
                                  valid_until="2026-12-31")
    assert later.status_code == 409 and "đã kết thúc từ 00:00 ngày 01/12/2026" in later.text
    same = await admin.post_form(f"/quan-tri/phan-cong/{aid}/ket-thuc", "/quan-tri/phan-cong",
                                 valid_until="2026-11-30")
    assert same.status_code == 303 and "da_luu=khong-doi" in same.headers["location"]
    assert system.position() == position


# --- who may ---


def routes(candidates: list) -> Iterator[tuple[str, str]]:
    for route in candidates:
        included = getattr(route, "original_router", None)  # FastAPI ≥ 0.165 nests them
        if included is not None:
            yield from routes(included.routes)
        for method in getattr(route, "methods", None) or ():
            yield method, route.path


def admin_routes(b: Browser) -> list[tuple[str, str]]:
    return sorted({(m, p) for m, p in routes(b.app.routes) if p.startswith("/quan-tri")})


@pytest.mark.parametrize("username", [LEADER, CADRE, "no-one"])
async def test_only_admins_reach_any_admin_route(system: System, username: str):
    aid = assignment_id(system, CADRE_ID, HOME_AREA)
    position = system.position()
    b = browser(system)
    try:
        csrf = "none"
        if username != "no-one":
            await b.login(username)
            home = await b.get("/lanh-dao" if username == LEADER else "/can-bo")
            csrf = csrf_of(home.text)  # a valid token of their own: the role alone refuses
        found = admin_routes(b)
        assert len(found) == 11, found  # every admin page and form, as the app routes them
        for method, path in found:
            url = path.replace("{username}", CADRE).replace("{assignment_id}", aid)
            resp = await (b.client.get(url) if method == "GET" else b.client.post(url, data={
                "csrf_token": csrf, "username": "chiem.quyen", "role": "admin", "name": "X",
                "cadre_id": CADRE_ID, "area_id": OTHER_AREA, "valid_from": "2026-12-01",
                "plan_text": "name = 'x'", "confirm": "1"}))
            if username == "no-one":
                assert resp.status_code == 303 and "/dang-nhap" in resp.headers["location"]
            else:
                assert resp.status_code == 403, (method, url)
                assert "chỉ dành cho tài khoản quản trị" in resp.text
    finally:
        await b.aclose()
    assert system.position() == position


async def test_an_admin_of_one_unit_administers_only_its_subtree(
    system: System, admin: Browser,
):
    resp = await admin.post_form("/quan-tri/tai-khoan", "/quan-tri/tai-khoan",
                                 username="qt.thuanthanh", name="Quản trị phường Thuận Thành",
                                 role="admin", unit_id="ccb-thuan-thanh", cadre_id="")
    scoped = await signed_in_own(system, "qt.thuanthanh", shown_password(resp.text))
    position = system.position()
    try:
        home = await scoped.get("/quan-tri")
        assert "Nạp hoặc cập nhật kế hoạch" not in home.text
        assert "ld.ch.thuanthanh.dongcoi" in home.text and "ld.ccb.tramlo" not in home.text
        plan = await scoped.post_form("/quan-tri/ke-hoach", "/quan-tri", plan_text="x",
                                      confirm="1")
        assert plan.status_code == 403
        assert (await scoped.get("/quan-tri/tai-khoan/ld.ccb.tramlo")).status_code == 404
        reset = await scoped.post_form("/quan-tri/tai-khoan/ld.ccb.tramlo/mat-khau",
                                       "/quan-tri/tai-khoan")
        assert reset.status_code == 404
        outside = await scoped.post_form("/quan-tri/phan-cong", "/quan-tri/phan-cong",
                                         cadre_id=CADRE_ID, area_id="tram-lo-nghi-an",
                                         valid_from="2026-12-01")
        assert outside.status_code == 403
        assert "Khu phố Nghi An không thuộc phạm vi đơn vị đồng chí quản trị." in outside.text
        assignments = await scoped.get("/quan-tri/phan-cong")
        assert "Nguyễn Văn Hùng" in assignments.text and "Đào Văn Chiến" not in assignments.text
        assert system.position() == position
        inside = await scoped.post_form("/quan-tri/phan-cong", "/quan-tri/phan-cong",
                                        cadre_id=CADRE_ID, area_id=OTHER_AREA,
                                        valid_from="2026-12-01")
        assert inside.status_code == 303
    finally:
        await scoped.aclose()


# --- sign-in throttling ---


async def test_the_web_form_refuses_a_sixth_attempt_after_five_failures(system: System):
    b = browser(system)
    try:
        for _ in range(5):
            assert (await b.login(CADRE, "sai-mat-khau")).status_code == 401
        refused = await b.login(CADRE)  # even the right password, during the cool-down
        assert refused.status_code == 429 and THROTTLED in refused.text
        assert refused.headers["retry-after"] == "900"
        assert "tinhhinh_session" not in refused.headers.get("set-cookie", "")
        system.clock.advance(timedelta(minutes=15))
        assert (await b.login(CADRE)).status_code == 303
    finally:
        await b.aclose()


async def test_the_api_answers_429_with_retry_after_after_five_failures(system: System):
    async def token(password: str):
        return await system.client.post("/api/v1/auth/token",
                                         json={"username": CADRE, "password": password})

    for _ in range(5):
        assert (await token("sai-mat-khau")).status_code == 401
    system.clock.advance(timedelta(minutes=5))
    refused = await token(PASSWORD)
    assert refused.status_code == 429 and refused.headers["retry-after"] == "600"
    assert refused.json() == {"error": {
        "code": "too_many_attempts",
        "message": "Too many failed sign-in attempts; try again in 10 minute(s)",
        "message_vi": "Đăng nhập sai quá nhiều lần. Vui lòng thử lại sau 10 phút.",
        "field": None}}
    system.clock.advance(timedelta(minutes=10))
    assert (await token(PASSWORD)).status_code == 200


async def test_web_and_api_failures_count_together(system: System):
    b = browser(system)
    try:
        for _ in range(3):
            await b.login(CADRE, "sai-mat-khau")
        for _ in range(2):
            await system.client.post("/api/v1/auth/token",
                                     json={"username": CADRE, "password": "sai"})
        resp = await system.client.post("/api/v1/auth/token",
                                        json={"username": CADRE, "password": PASSWORD})
        assert resp.status_code == 429
        page = await b.login(CADRE)
        assert page.status_code == 429 and 0 < int(page.headers["retry-after"]) <= 900
        assert (await b.login(LEADER)).status_code == 303  # another username is not affected
    finally:
        await b.aclose()


async def test_a_successful_sign_in_resets_the_usernames_count(system: System):
    for _ in range(2):
        for _ in range(4):
            resp = await system.client.post("/api/v1/auth/token",
                                            json={"username": CADRE, "password": "sai"})
            assert resp.status_code == 401
        await system.token(CADRE)


async def test_an_address_guessing_many_usernames_is_throttled(system: System):
    for i in range(20):
        resp = await system.client.post("/api/v1/auth/token",
                                        json={"username": f"doan.{i}", "password": "sai"})
        assert resp.status_code == 401
    resp = await system.client.post("/api/v1/auth/token",
                                    json={"username": LEADER, "password": PASSWORD})
    assert resp.status_code == 429


async def test_the_nats_sign_in_shares_the_usernames_count(system: System):
    # Twenty failures of the username over HTTP, five from each of four addresses, lock it
    # for every address that never signed in as it: NATS has none.
    app = system.client._transport.app  # type: ignore[attr-defined]
    for n in range(4):
        transport = httpx.ASGITransport(app=app, client=(f"192.0.2.{n}", 5000))
        async with httpx.AsyncClient(transport=transport, base_url="http://intake") as c:
            for _ in range(5):
                resp = await c.post("/api/v1/auth/token",
                                    json={"username": CADRE, "password": "sai"})
                assert resp.status_code == 401
    reply = await system.bus.request("tinhhinh.rpc.v1.auth.token", json.dumps(
        {"username": CADRE, "password": PASSWORD}).encode(), timeout=10)
    answer = json.loads(reply.data)
    assert answer["status"] == 429
    assert answer["body"]["error"]["code"] == "too_many_attempts"


async def test_a_plan_upload_without_the_query_token_is_refused_before_its_body_is_read(
        system: System):
    # Given an admin's session, and a multipart upload whose body reports being read
    admin = await signed_in(system, "admin")
    pulled: list[int] = []

    async def body() -> AsyncIterator[bytes]:
        for n in range(64):
            pulled.append(n)
            yield b"x" * 16_384

    try:
        home = await admin.get("/quan-tri")
        action = re.search(r'action="(/quan-tri/ke-hoach[^"]*)"', home.text)
        # Then the page's form carries the session's token in its action, for the check
        # that comes before the body
        assert action is not None and "csrf_token=" in action[1]
        # When the upload comes without it (a forged cross-site form)
        resp = await admin.client.post(
            "/quan-tri/ke-hoach", content=body(),
            headers={"Content-Type": "multipart/form-data; boundary=b"})
        # Then it is refused, and not a byte of the body was taken in
        assert resp.status_code == 403
        assert pulled == []
    finally:
        await admin.aclose()
