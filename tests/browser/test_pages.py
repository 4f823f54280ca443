"""Every page, for every role, on a 360 px phone: each control is named, none scrolls sideways,
and the keyboard's order is the page's own (no positive tabindex)."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import Served, no_horizontal_scroll, sign_in
from tests.browser.test_auditor import add_auditor, open_case

pytestmark = [pytest.mark.browser, pytest.mark.integration]

CADRE = "cb.thuanthanh.dongcoi"
AREA = "thuan-thanh-dong-coi"

# The controls a person can operate, and whichever of them has no accessible name: a label
# (for=, or wrapping), aria-label(ledby), a title, or, for a button or link, its text.
UNNAMED = """() => [...document.querySelectorAll(
    'input:not([type=hidden]), select, textarea, button, a[href], summary')]
  .filter(el => !el.closest('[hidden]'))  // out of the page for everyone, screen readers too
  .filter(el => !((el.labels && el.labels.length) || el.getAttribute('aria-label')
                 || el.getAttribute('aria-labelledby') || el.getAttribute('title')
                 || (el.type === 'submit' && el.value)
                 || (['BUTTON', 'A', 'SUMMARY'].includes(el.tagName) && el.textContent.trim())))
  .map(el => el.outerHTML.slice(0, 160))"""
POSITIVE_TABINDEX = """() => [...document.querySelectorAll('[tabindex]')]
  .filter(el => el.tabIndex > 0).map(el => el.outerHTML.slice(0, 160))"""


def check(page: Any, path: str) -> None:
    answer = page.goto(path)
    assert answer is not None and answer.status == 200, (path, answer and answer.status)
    expect(page.locator("h1")).to_have_count(1)
    assert page.evaluate(UNNAMED) == [], f"{path}: controls without a name"
    assert page.evaluate(POSITIVE_TABINDEX) == [], f"{path}: tabindex > 0 breaks the order"
    assert page.evaluate("document.documentElement.lang") == "vi", path
    no_horizontal_scroll(page)


def sign_out(page: Any) -> None:
    page.get_by_role("button", name="Đăng xuất").click()
    expect(page.get_by_text("Đồng chí đã đăng xuất.")).to_be_visible()


def test_every_page_names_its_controls_and_fits_a_phone(phone: Any, served: Served) -> None:
    number = open_case(served)
    report = served.api("POST", "/api/v1/reports", served.token(CADRE),
                        headers={"Idempotency-Key": "pages-w48"},
                        json={"kind": "weekly", "area_id": AREA, "period": "2026-W48",
                              "assessment": "stable", "summary": "Ổn định"})
    assert report.status_code == 201, report.text
    check(phone, "/dang-nhap")

    sign_in(phone, CADRE)
    for path in ("/can-bo", f"/bao-cao/tuan?area={AREA}", f"/bao-cao/dot-xuat?area={AREA}",
                 f"/bao-cao/{report.json()['report_id']}", "/doi-mat-khau"):
        check(phone, path)
    sign_out(phone)

    sign_in(phone, "ld.ccb.thuanthanh")
    for path in ("/lanh-dao", "/lanh-dao/tong-hop", "/lanh-dao/tong-hop?ky=2026-11",
                 "/vu-viec", f"/vu-viec/{number}", "/doi-mat-khau"):
        check(phone, path)
    sign_out(phone)

    sign_in(phone, "admin")
    for path in ("/quan-tri", "/quan-tri/tai-khoan", f"/quan-tri/tai-khoan/{CADRE}",
                 "/quan-tri/phan-cong", "/doi-mat-khau"):
        check(phone, path)
    phone.goto("/quan-tri")
    add_auditor(phone)
    sign_out(phone)

    sign_in(phone, "kiemtra")
    for path in ("/kiem-tra", f"/vu-viec/{number}",
                 f"/vu-viec/{number}?as_of=2026-11-26T10:00:00", "/doi-mat-khau"):
        check(phone, path)
