"""Changing one's own password on the web: every role, the rules, the limiter, the sessions."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from structlog.testing import capture_logs

from domain.account import Account
from services.intake.passwords import hash_password
from tests.integration.conftest import PASSWORD, System
from tests.integration.web_client import Browser, browser, signed_in

pytestmark = pytest.mark.integration

CADRE = "cb.thuanthanh.dongcoi"
LEADER = "ld.ccb.thuanthanh"
NEW = "mua-xuan-dong-coi-2026"
PAGE = "/doi-mat-khau"
THROTTLED = "Đăng nhập sai quá nhiều lần. Vui lòng thử lại sau 15 phút."


@pytest.fixture
async def cadre(system: System) -> AsyncIterator[Browser]:
    b = await signed_in(system, CADRE)
    try:
        yield b
    finally:
        await b.aclose()


async def change(b: Browser, current: str, new: str, repeated: str | None = None
                 ) -> httpx.Response:
    return await b.post_form(PAGE, PAGE, current_password=current, new_password=new,
                             new_password_repeat=new if repeated is None else repeated)


async def api_sign_in(system: System, password: str) -> int:
    resp = await system.client.post("/api/v1/auth/token",
                                    json={"username": CADRE, "password": password})
    return resp.status_code


async def web_sign_in(system: System, password: str) -> int:
    b = browser(system)
    try:
        return (await b.login(CADRE, password)).status_code
    finally:
        await b.aclose()


def add_auditor(system: System) -> None:
    system.runtime.store.save(Account(username="kiemtra", name="Kiểm tra viên", role="auditor",
                                      unit_id=None, cadre_id=None,
                                      password_hash=hash_password(PASSWORD),
                                      must_change_password=False))


async def test_every_role_reaches_the_form_from_the_navigation(system: System):
    add_auditor(system)
    for username in (CADRE, LEADER, "kiemtra", "admin"):
        b = await signed_in(system, username)
        try:
            home = await b.get((await b.get("/")).headers["location"])
            assert f'<a href="{PAGE}">Đổi mật khẩu</a>' in home.text, username
            page = await b.get(PAGE)
        finally:
            await b.aclose()
        assert page.status_code == 200
        for field, label in (("current_password", "Mật khẩu hiện tại"),
                             ("new_password", "Mật khẩu mới"),
                             ("new_password_repeat", "Nhập lại mật khẩu mới")):
            assert f'<label for="{field}">{label}</label>' in page.text
            assert f'id="{field}" name="{field}" type="password"' in page.text
        assert 'name="csrf_token"' in page.text
        assert f'<a href="{PAGE}" aria-current="page">Đổi mật khẩu</a>' in page.text


async def test_a_changed_password_voids_the_old_one_and_other_sessions_but_not_this_one(
    system: System, cadre: Browser,
):
    # Given the cadre signed in on a second browser and holding an API token
    other = await signed_in(system, CADRE)
    token = await system.token(CADRE)
    position = system.position()
    try:
        # When they change their password on the first
        with capture_logs() as logs:
            resp = await change(cadre, PASSWORD, NEW)
        assert resp.status_code == 303 and resp.headers["location"] == f"{PAGE}?da_doi=1"
        cookie = next(c for c in resp.headers.get_list("set-cookie")
                      if c.startswith("tinhhinh_session="))
        assert "HttpOnly" in cookie and "SameSite=lax" in cookie
        done = await cadre.get(resp.headers["location"])
        assert done.status_code == 200 and "Đã đổi mật khẩu." in done.text

        # Then one event is recorded, logged with the account id and never the password
        assert system.position() == position + 1
        account = system.runtime.directory.account_by_username(CADRE)
        assert account is not None
        changed = [e for e in logs if e["event"] == "password_changed"]
        assert changed == [{"event": "password_changed", "account_id": str(account.id),
                            "log_level": "info"}]
        assert NEW not in repr(logs) and PASSWORD not in repr(logs)

        # And this browser stays signed in, its new session's forms accepted
        assert (await cadre.get("/can-bo")).status_code == 200
        again = await change(cadre, NEW, NEW + "-2")
        assert again.status_code == 303

        # While the other browser's session and the old token are void
        ended = await other.get("/can-bo")
        assert ended.status_code == 303 and "ly_do=revoked" in ended.headers["location"]
        old = await system.client.get("/api/v1/reports",
                                      headers={"Authorization": f"Bearer {token}"})
        assert old.status_code == 401
    finally:
        await other.aclose()

    # And only the newest password signs in, on the web and the API
    assert await web_sign_in(system, PASSWORD) == 401
    assert await api_sign_in(system, PASSWORD) == 401
    assert await api_sign_in(system, NEW) == 401
    assert await web_sign_in(system, NEW + "-2") == 303
    assert await api_sign_in(system, NEW + "-2") == 200


async def test_a_wrong_current_password_is_refused_and_records_nothing(
    system: System, cadre: Browser,
):
    position = system.position()
    resp = await change(cadre, "sai-mat-khau", NEW)
    assert resp.status_code == 422
    assert "ô cần sửa: <strong>Mật khẩu hiện tại</strong>" in resp.text
    assert "Mật khẩu hiện tại không đúng." in resp.text and "Chưa có gì được ghi nhận." in resp.text
    assert 'id="current_password" name="current_password" type="password" required' in resp.text
    assert "sai-mat-khau" not in resp.text and NEW not in resp.text  # never echoed
    assert system.position() == position
    assert (await cadre.get("/can-bo")).status_code == 200
    assert await api_sign_in(system, PASSWORD) == 200


async def test_wrong_current_passwords_count_toward_the_sign_in_limit(
    system: System, cadre: Browser,
):
    for _ in range(5):
        assert (await change(cadre, "sai-mat-khau", NEW)).status_code == 422
    # The sixth try is refused even with the right password, here and at sign-in
    refused = await change(cadre, PASSWORD, NEW)
    assert refused.status_code == 429 and THROTTLED in refused.text
    assert refused.headers["retry-after"] == "900"
    assert await web_sign_in(system, PASSWORD) == 429
    assert await api_sign_in(system, PASSWORD) == 429


@pytest.mark.parametrize(("new", "repeated", "current", "field_vi", "message"), [
    ("ngan-qua", "ngan-qua", PASSWORD, "Mật khẩu mới", "ít nhất 10 ký tự"),
    (NEW, NEW + "x", PASSWORD, "Nhập lại mật khẩu mới", "Hai lần nhập mật khẩu mới không giống"),
    ("x" * 257, "x" * 257, PASSWORD, "Mật khẩu mới", "không được dài quá 256 ký tự"),
    ("demo-2026-", "demo-2026-", "demo-2026-", "Mật khẩu mới", "phải khác mật khẩu hiện tại"),
    (NEW, NEW, "", "Mật khẩu hiện tại", "Vui lòng nhập mật khẩu hiện tại."),
])
async def test_a_new_password_against_the_rules_is_refused_naming_the_field(
    system: System, cadre: Browser, new: str, repeated: str, current: str, field_vi: str,
    message: str,
):
    position = system.position()
    resp = await change(cadre, current, new, repeated)
    assert resp.status_code == 422
    assert f"ô cần sửa: <strong>{field_vi}</strong>" in resp.text and message in resp.text
    assert 'aria-invalid="true"' in resp.text
    assert system.position() == position
    assert await api_sign_in(system, PASSWORD) == 200


async def test_typos_in_the_new_password_never_count_as_failed_sign_ins(
    system: System, cadre: Browser,
):
    for _ in range(6):
        assert (await change(cadre, "sai-mat-khau", NEW, NEW + "x")).status_code == 422
    assert await web_sign_in(system, PASSWORD) == 303


async def test_a_change_without_the_csrf_token_is_refused(system: System, cadre: Browser):
    position = system.position()
    fields = {"current_password": PASSWORD, "new_password": NEW, "new_password_repeat": NEW}
    missing = await cadre.client.post(PAGE, data=fields)
    assert missing.status_code == 403 and "mã bảo vệ không khớp" in missing.text
    forged = await cadre.client.post(PAGE, data={"csrf_token": "forged", **fields})
    assert forged.status_code == 403
    assert system.position() == position
    assert await api_sign_in(system, PASSWORD) == 200


async def test_the_page_asks_for_sign_in(system: System):
    position = system.position()
    b = browser(system)
    try:
        page = await b.get(PAGE)
        assert page.status_code == 303
        assert page.headers["location"] == "/dang-nhap?tiep=/doi-mat-khau"
        posted = await b.client.post(PAGE, data={
            "csrf_token": "x", "current_password": PASSWORD, "new_password": NEW,
            "new_password_repeat": NEW})
        assert posted.status_code == 303 and posted.headers["location"] == "/dang-nhap"
    finally:
        await b.aclose()
    assert system.position() == position
