"""A password someone else set must be changed by its owner before anything else (issue 13):
the two-level plan loaded as it is, an admin's reset, over HTTP, NATS and the web."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from domain.clock import FixedClock
from services.common.natsd import EmbeddedNats
from services.common.plan_file import load_plan
from services.common.store import open_store
from services.intake.directory import Directory
from services.intake.network_plan import apply_plan
from tests.integration.conftest import (
    PASSWORD,
    THURSDAY_MORNING,
    TWO_LEVEL,
    System,
    running_system,
)
from tests.integration.web_client import browser, csrf_of

pytestmark = pytest.mark.integration

CADRE = "cb.tramlo.nghian"
AREA = "tram-lo-nghi-an"
NEW = "mat-khau-cua-rieng-toi-2026"
REQUIRED_VI = "Đồng chí cần đổi mật khẩu"


def weekly() -> dict[str, object]:
    return {"kind": "weekly", "area_id": AREA, "period": "2026-W48", "assessment": "stable",
            "summary": "Ổn định"}


@pytest.fixture
async def as_loaded(tmp_path: Path, nats_server: EmbeddedNats) -> AsyncIterator[System]:
    """The two-level plan loaded as `tinhhinh network load plans/two-level.toml` would."""
    home = tmp_path / "production"
    home.mkdir()
    store = open_store(home)
    apply_plan(store, Directory(store), load_plan(TWO_LEVEL), FixedClock(THURSDAY_MORNING))
    store.close()
    async with running_system(home, nats_server.url) as running:
        yield running


async def sign_in(system: System, username: str, password: str) -> dict[str, Any]:
    resp = await system.client.post("/api/v1/auth/token",
                                    json={"username": username, "password": password})
    assert resp.status_code == 200, resp.text
    return dict(resp.json())


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def assert_change_required(resp: httpx.Response) -> None:
    assert resp.status_code == 403, resp.text
    error = resp.json()["error"]
    assert error["code"] == "password_change_required"
    assert error["message"] and REQUIRED_VI in error["message_vi"]


async def change_over_api(system: System, token: str, current: str,
                          new: str = NEW) -> httpx.Response:
    return await system.client.post("/api/v1/auth/password", headers=bearer(token),
                                    json={"current_password": current, "new_password": new})


async def rpc(system: System, name: str, request: dict[str, Any]) -> dict[str, Any]:
    reply = await system.bus.request(f"tinhhinh.rpc.v1.{name}", json.dumps(request).encode(),
                                    timeout=10)
    return dict(json.loads(reply.data))


def reset(system: System, username: str) -> str:
    """An admin's reset of `username`'s password; the new one, as the admin is shown it."""
    admin = system.runtime.directory.account_by_username("admin")
    assert admin is not None
    return system.runtime.administration.reset_password(admin, username).password


# -- the plan, loaded as it is ------------------------------------------------------------


async def test_the_two_level_plans_known_password_opens_nothing_but_its_own_change(
        as_loaded: System):
    # Given the two-level plan loaded as it is, and its shared password
    answer = await sign_in(as_loaded, CADRE, PASSWORD)
    token = answer["access_token"]
    # Then the token is issued, flagged
    assert answer["password_change_required"] is True
    # And it is refused everywhere but the password change, nothing recorded
    position = as_loaded.position()
    assert_change_required(await as_loaded.client.get("/api/v1/reports", headers=bearer(token)))
    assert_change_required(await as_loaded.client.get("/api/v1/units", headers=bearer(token)))
    assert_change_required(await as_loaded.client.post(
        "/api/v1/reports", json=weekly(), headers={**bearer(token), "Idempotency-Key": "k1"}))
    assert as_loaded.position() == position
    # And the admin's known password is no way in either
    admin = (await sign_in(as_loaded, "admin", PASSWORD))["access_token"]
    assert_change_required(await as_loaded.client.get("/api/v1/units", headers=bearer(admin)))


async def test_changing_it_over_the_api_lets_the_owner_work(as_loaded: System):
    token = (await sign_in(as_loaded, CADRE, PASSWORD))["access_token"]
    # When the owner changes it
    resp = await change_over_api(as_loaded, token, PASSWORD)
    assert resp.status_code == 200, resp.text
    assert resp.json()["password_change_required"] is False
    fresh = resp.json()["access_token"]
    # Then the answer's token works, the old one is void, and so is the old password
    submitted = await as_loaded.client.post(
        "/api/v1/reports", json=weekly(), headers={**bearer(fresh), "Idempotency-Key": "k1"})
    assert submitted.status_code == 201, submitted.text
    old = await as_loaded.client.get("/api/v1/reports", headers=bearer(token))
    assert old.status_code == 401
    refused = await as_loaded.client.post("/api/v1/auth/token",
                                          json={"username": CADRE, "password": PASSWORD})
    assert refused.status_code == 401
    again = await sign_in(as_loaded, CADRE, NEW)
    assert again["password_change_required"] is False


# -- an admin's reset, and the API's password change ----------------------------------------


async def test_a_reset_password_must_be_changed_and_refusals_leave_it_so(system: System):
    issued = reset(system, CADRE)
    token = (await sign_in(system, CADRE, issued))["access_token"]
    position = system.position()
    # A wrong current password, a short one, the same one: refused, naming the field
    wrong = await change_over_api(system, token, "not-the-password")
    assert wrong.status_code == 422 and wrong.json()["error"]["field"] == "current_password"
    short = await change_over_api(system, token, issued, "ngan")
    assert short.status_code == 422 and short.json()["error"]["field"] == "new_password"
    same = await change_over_api(system, token, issued, issued)
    assert same.status_code == 422 and same.json()["error"]["code"] == "password_unchanged"
    bad = await system.client.post("/api/v1/auth/password", headers=bearer(token),
                                   json=["not", "an", "object"])
    assert bad.status_code == 422
    assert system.position() == position
    assert_change_required(await system.client.get("/api/v1/reports", headers=bearer(token)))
    # Without a token there is no change at all
    anonymous = await system.client.post("/api/v1/auth/password", json={
        "current_password": issued, "new_password": NEW})
    assert anonymous.status_code == 401
    # The right one goes through
    assert (await change_over_api(system, token, issued)).status_code == 200


async def test_an_account_that_need_not_change_may_still_change_over_the_api(system: System):
    token = await system.token(CADRE)
    resp = await change_over_api(system, token, PASSWORD)
    assert resp.status_code == 200, resp.text
    assert (await system.client.get("/api/v1/reports", headers=bearer(
        resp.json()["access_token"]))).status_code == 200


# -- NATS ----------------------------------------------------------------------------------


async def test_the_nats_twins_refuse_a_flagged_token(system: System):
    issued = reset(system, CADRE)
    answer = await rpc(system, "auth.token", {"username": CADRE, "password": issued})
    assert answer["status"] == 200 and answer["body"]["password_change_required"] is True
    token = answer["body"]["access_token"]
    position = system.position()
    submitted = await rpc(system, "reports.submit", {"token": token, "idempotency_key": "r1",
                                                     "report": weekly()})
    got = await rpc(system, "reports.get", {"token": token,
                                            "report_id": "00000000-0000-0000-0000-000000000000"})
    for reply in (submitted, got):
        assert reply["status"] == 403, reply
        assert reply["body"]["error"]["code"] == "password_change_required"
        assert REQUIRED_VI in reply["body"]["error"]["message_vi"]
    assert system.position() == position


# -- the web -------------------------------------------------------------------------------


async def test_the_web_sends_every_page_to_the_password_form_until_it_is_changed(
        system: System):
    issued = reset(system, CADRE)
    b = browser(system)
    try:
        # Signing in leads to the password form, whatever was asked for
        signed = await b.login(CADRE, issued)
        assert signed.status_code == 303 and signed.headers["location"] == "/doi-mat-khau"
        for path in ("/", "/can-bo", "/bao-cao/tuan", "/quan-tri"):
            resp = await b.get(path)
            assert resp.status_code == 303, path
            assert resp.headers["location"] == "/doi-mat-khau", path
        # The form says why, in Vietnamese
        page = await b.get("/doi-mat-khau")
        assert page.status_code == 200 and REQUIRED_VI in page.text
        # A form of another page is refused too, though its CSRF token is right
        posted = await b.client.post("/bao-cao/tuan", data={
            "csrf_token": csrf_of(page.text), "area_id": AREA})
        assert posted.status_code == 303 and posted.headers["location"] == "/doi-mat-khau"
        # Once changed, the cadre's pages open
        changed = await b.client.post("/doi-mat-khau", data={
            "csrf_token": csrf_of(page.text), "current_password": issued,
            "new_password": NEW, "new_password_repeat": NEW})
        assert changed.status_code == 303
        home = await b.get("/can-bo")
        assert home.status_code == 200
        assert REQUIRED_VI not in (await b.get("/doi-mat-khau")).text
    finally:
        await b.aclose()


async def test_signing_out_is_allowed_while_the_change_is_pending(system: System):
    issued = reset(system, CADRE)
    b = browser(system)
    try:
        await b.login(CADRE, issued)
        page = await b.get("/doi-mat-khau")
        out = await b.client.post("/dang-xuat", data={"csrf_token": csrf_of(page.text)})
        assert out.status_code == 303 and "logged_out" in out.headers["location"]
    finally:
        await b.aclose()
