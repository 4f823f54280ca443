"""Administration of accounts: issue one, reset its password, disable or re-enable it."""

from __future__ import annotations

from typing import Any

import structlog
from fastapi import APIRouter, Request, Response
from fastapi.concurrency import run_in_threadpool

from domain.account import ROLES
from domain.errors import DomainError
from services.intake.administration import Administration, IssuedPassword
from services.intake.web.panels import unit_name
from services.intake.web.route import WebRoute
from services.intake.web.site import Site, Viewer

log = structlog.get_logger(__name__)

FIELDS_VI = {"username": "Tên đăng nhập", "name": "Họ và tên", "role": "Vai trò",
             "unit_id": "Đơn vị", "cadre_id": "Cán bộ"}
DONE_VI = {"khoa": "Đã khoá tài khoản. Các phiên đăng nhập của tài khoản này đã chấm dứt.",
           "mo-khoa": "Đã mở khoá tài khoản.",
           "khong-doi": "Tài khoản đã ở trạng thái này; không có gì thay đổi."}


def _error(err: DomainError) -> dict[str, Any]:
    return {"field": err.field, "field_vi": FIELDS_VI.get(err.field or ""),
            "message_vi": err.message_vi}


def router(site: Site, admin: Administration) -> APIRouter:
    r = APIRouter(route_class=WebRoute, include_in_schema=False)
    runtime = site.runtime

    def cadre_name(cadre_id: str) -> str:
        cadre = runtime.directory.cadre(cadre_id)
        return cadre_id if cadre is None else cadre.name

    def names() -> dict[str, Any]:
        return {"unit_name": lambda u: unit_name(runtime, u) if u else "",
                "cadre_name": cadre_name}

    def new_page(request: Request, viewer: Viewer, *, status: int = 200,
                 error: dict[str, Any] | None = None,
                 values: dict[str, str] | None = None) -> Response:
        return site.page(request, viewer, "admin_account_new.html.j2", status=status,
                         error=error, values=values or {"role": "cadre"}, roles=ROLES,
                         units=admin.units(viewer.account), cadres=admin.cadres(viewer.account),
                         whole_network=viewer.account.unit_id is None, **names())

    def account_page(request: Request, viewer: Viewer, username: str, *, status: int = 200,
                     error: dict[str, Any] | None = None) -> Response:
        target = admin.account(viewer.account, username)
        done = DONE_VI.get(request.query_params.get("da_luu") or "")
        return site.page(request, viewer, "admin_account.html.j2", status=status,
                         target=target, error=error, done=done,
                         own=target.id == viewer.account.id, **names())

    def password_page(request: Request, viewer: Viewer, issued: IssuedPassword,
                      kind: str) -> Response:
        return site.page(request, viewer, "admin_password.html.j2", issued=issued, kind=kind)

    @r.get("/quan-tri/tai-khoan")
    async def issue_form(request: Request) -> Response:
        viewer = await site.viewer(request, "admin")
        return new_page(request, viewer)

    @r.post("/quan-tri/tai-khoan")
    async def issue(request: Request) -> Response:
        viewer = await site.viewer(request, "admin")
        form = await site.form(request, viewer)
        # Bounded, but above every field's own limit, so that the rule refuses, not a cut.
        values = {k: str(form.get(k) or "")[:1000] for k in FIELDS_VI}
        try:
            issued = await run_in_threadpool(
                lambda: admin.issue_account(viewer.account, **values))
        except DomainError as err:
            return new_page(request, viewer, status=err.status, error=_error(err), values=values)
        await runtime.publication.all_published()
        log.info("web_account_issued", by=viewer.account.username, username=issued.username)
        return password_page(request, viewer, issued, "issued")

    @r.get("/quan-tri/tai-khoan/{username}")
    async def account(request: Request, username: str) -> Response:
        viewer = await site.viewer(request, "admin")
        return account_page(request, viewer, username)

    @r.post("/quan-tri/tai-khoan/{username}/mat-khau")
    async def reset(request: Request, username: str) -> Response:
        viewer = await site.viewer(request, "admin")
        await site.form(request, viewer)
        issued = await run_in_threadpool(admin.reset_password, viewer.account, username)
        await runtime.publication.all_published()
        return password_page(request, viewer, issued, "reset")

    async def set_active(request: Request, username: str, active: bool) -> Response:
        viewer = await site.viewer(request, "admin")
        await site.form(request, viewer)
        try:
            changed = await run_in_threadpool(admin.set_active, viewer.account, username, active)
        except DomainError as err:
            if err.status == 404:
                raise
            return account_page(request, viewer, username, status=err.status, error=_error(err))
        await runtime.publication.all_published()
        done = ("mo-khoa" if active else "khoa") if changed else "khong-doi"
        return site.redirect(f"/quan-tri/tai-khoan/{username}?da_luu={done}")

    @r.post("/quan-tri/tai-khoan/{username}/khoa")
    async def disable(request: Request, username: str) -> Response:
        return await set_active(request, username, False)

    @r.post("/quan-tri/tai-khoan/{username}/mo-khoa")
    async def enable(request: Request, username: str) -> Response:
        return await set_active(request, username, True)

    return r
