"""Signing in to the web pages: cookies, CSRF, idle and absolute expiry, refusals in Vietnamese."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta

import pytest

from domain.account import Account
from services.intake.passwords import hash_password
from tests.integration.conftest import System
from tests.integration.web_client import Browser, browser, csrf_of

pytestmark = pytest.mark.integration

CADRE = "cb.thuanthanh.dongcoi"


@pytest.fixture
async def web(system: System) -> AsyncIterator[Browser]:
    b = browser(system)
    try:
        yield b
    finally:
        await b.aclose()


async def test_login_form_labels_username_and_password(web: Browser):
    page = await web.get("/dang-nhap")
    assert page.status_code == 200 and 'lang="vi"' in page.text
    assert '<label for="username">Tên đăng nhập</label>' in page.text
    assert '<label for="password">Mật khẩu</label>' in page.text
    assert 'name="username"' in page.text and 'name="password"' in page.text
    assert "frame-ancestors 'none'" in page.headers["content-security-policy"]


async def test_cadre_signs_in_with_an_httponly_lax_cookie_and_lands_home(web: Browser):
    resp = await web.login(CADRE)
    assert resp.status_code == 303 and resp.headers["location"] == "/can-bo"
    cookie = next(c for c in resp.headers.get_list("set-cookie")
                  if c.startswith("tinhhinh_session="))
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie and "Secure" not in cookie
    home = await web.get("/can-bo")
    assert home.status_code == 200 and "Địa bàn phụ trách" in home.text
    assert "Khu phố Đông Côi" in home.text


async def test_the_session_cookie_is_secure_over_tls(system: System):
    b = browser(system, base_url="https://intake")
    try:
        resp = await b.login(CADRE)
    finally:
        await b.aclose()
    cookie = next(c for c in resp.headers.get_list("set-cookie")
                  if c.startswith("tinhhinh_session="))
    assert "Secure" in cookie


async def test_wrong_password_is_refused_in_vietnamese_and_keeps_the_username(web: Browser):
    resp = await web.login(CADRE, "sai-mat-khau")
    assert resp.status_code == 401
    assert "Sai tên đăng nhập hoặc mật khẩu" in resp.text
    assert f'value="{CADRE}"' in resp.text and "tinhhinh_session" not in resp.headers.get(
        "set-cookie", "")


async def test_login_without_its_csrf_token_is_refused(web: Browser):
    resp = await web.client.post("/dang-nhap", data={"username": CADRE, "password": "demo-2026"})
    assert resp.status_code == 403 and "Trang đăng nhập đã hết hiệu lực" in resp.text


async def test_a_disabled_account_cannot_sign_in(system: System, web: Browser):
    account = system.runtime.directory.account_by_username(CADRE)
    assert account is not None
    aggregate: Account = system.runtime.store.repository.get(account.id)
    aggregate.disable()
    system.runtime.store.save(aggregate)
    resp = await web.login(CADRE)
    assert resp.status_code == 401 and "Sai tên đăng nhập hoặc mật khẩu" in resp.text


async def test_pages_ask_for_sign_in_and_come_back_after(web: Browser):
    resp = await web.get("/bao-cao/tuan?area=thuan-thanh-dong-coi")
    assert resp.status_code == 303
    assert resp.headers["location"] == (
        "/dang-nhap?tiep=/bao-cao/tuan%3Farea%3Dthuan-thanh-dong-coi")
    page = await web.get(resp.headers["location"])
    assert "Vui lòng đăng nhập để tiếp tục." in page.text
    signed = await web.client.post("/dang-nhap", data={
        "csrf_token": csrf_of(page.text), "username": CADRE, "password": "demo-2026",
        "tiep": "/bao-cao/tuan?area=thuan-thanh-dong-coi"})
    assert signed.headers["location"] == "/bao-cao/tuan?area=thuan-thanh-dong-coi"


async def test_next_path_never_leaves_the_site(web: Browser):
    page = await web.get("/dang-nhap")
    resp = await web.client.post("/dang-nhap", data={
        "csrf_token": csrf_of(page.text), "username": CADRE, "password": "demo-2026",
        "tiep": "//evil.example/phish"})
    assert resp.headers["location"] == "/can-bo"


async def test_a_post_without_the_csrf_token_is_refused_and_records_nothing(
    system: System, web: Browser,
):
    await web.login(CADRE)
    position = system.position()
    resp = await web.client.post("/bao-cao/tuan", data={
        "area_id": "thuan-thanh-dong-coi", "period": "2026-W48", "idempotency_key": "k",
        "assessment": "stable", "summary": "Ổn định"})
    assert resp.status_code == 403 and "mã bảo vệ không khớp" in resp.text
    forged = await web.client.post("/bao-cao/tuan", data={
        "csrf_token": "forged", "area_id": "thuan-thanh-dong-coi", "period": "2026-W48",
        "idempotency_key": "k", "assessment": "stable", "summary": "Ổn định"})
    assert forged.status_code == 403
    assert system.position() == position


async def test_session_ends_after_30_idle_minutes_but_activity_keeps_it(
    system: System, web: Browser,
):
    await web.login(CADRE)
    system.clock.advance(timedelta(minutes=29))
    assert (await web.get("/can-bo")).status_code == 200
    system.clock.advance(timedelta(minutes=29))
    assert (await web.get("/can-bo")).status_code == 200
    system.clock.advance(timedelta(minutes=30))
    resp = await web.get("/can-bo")
    assert resp.status_code == 303 and "ly_do=idle" in resp.headers["location"]
    page = await web.get(resp.headers["location"])
    assert "không thao tác quá 30 phút" in page.text


async def test_session_ends_after_12_hours_however_active(system: System, web: Browser):
    await web.login(CADRE)
    for _ in range(12 * 3):
        system.clock.advance(timedelta(minutes=20))
        resp = await web.get("/can-bo")
        if resp.status_code != 200:
            break
    assert resp.status_code == 303 and "ly_do=absolute" in resp.headers["location"]
    page = await web.get(resp.headers["location"])
    assert "kéo dài quá 12 giờ" in page.text


async def test_a_password_change_ends_open_sessions(system: System, web: Browser):
    await web.login(CADRE)
    account = system.runtime.directory.account_by_username(CADRE)
    assert account is not None
    aggregate: Account = system.runtime.store.repository.get(account.id)
    aggregate.change_password(password_hash=hash_password("mat-khau-moi-2026"))
    system.runtime.store.save(aggregate)
    resp = await web.get("/can-bo")
    assert resp.status_code == 303 and "ly_do=revoked" in resp.headers["location"]
    assert (await web.login(CADRE, "mat-khau-moi-2026")).status_code == 303


async def test_logout_ends_the_session(web: Browser):
    await web.login(CADRE)
    home = await web.get("/can-bo")
    cookie = web.client.cookies.get("tinhhinh_session")
    resp = await web.client.post("/dang-xuat", data={"csrf_token": csrf_of(home.text)})
    assert resp.status_code == 303 and resp.headers["location"] == "/dang-nhap?ly_do=logged_out"
    assert cookie is not None
    web.client.cookies.set("tinhhinh_session", cookie)  # a copy of the old cookie is no key
    assert (await web.get("/can-bo")).status_code == 303


async def test_a_cadre_cannot_open_the_leaders_page(web: Browser):
    await web.login(CADRE)
    resp = await web.get("/lanh-dao")
    assert resp.status_code == 403 and "chỉ dành cho tài khoản lãnh đạo" in resp.text


async def test_root_sends_each_role_home(system: System):
    for username, home in (("ld.ccb.thuanthanh", "/lanh-dao"), ("admin", "/quan-tri"),
                           (CADRE, "/can-bo")):
        b = browser(system)
        try:
            await b.login(username)
            resp = await b.get("/")
        finally:
            await b.aclose()
        assert resp.headers["location"] == home
