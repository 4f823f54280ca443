"""Signing in and out: the login form, its CSRF cookie, the session cookie, throttling."""

from __future__ import annotations

import hmac
import secrets
from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.concurrency import run_in_threadpool

from domain.errors import DomainError
from services.intake.directory import AccountView
from services.intake.sessions import COOKIE
from services.intake.web.route import WebRoute
from services.intake.web.site import CHANGE_PAGE, CSRF_FIELD, HOMES, LoginRequired, Site

LOGIN_COOKIE = "tinhhinh_login_csrf"


def _reasons(site: Site) -> dict[str, str]:
    idle = int(site.sessions.idle.total_seconds() // 60)
    absolute = int(site.sessions.absolute.total_seconds() // 3600)
    return {
        "idle": f"Phiên làm việc đã hết hạn vì không thao tác quá {idle} phút. "
                "Vui lòng đăng nhập lại.",
        "absolute": f"Phiên làm việc đã kéo dài quá {absolute} giờ. Vui lòng đăng nhập lại.",
        "revoked": "Tài khoản đã đổi mật khẩu hoặc bị khoá nên phiên làm việc đã chấm dứt. "
                   "Vui lòng đăng nhập lại.",
        "unknown": "Phiên làm việc không còn hiệu lực. Vui lòng đăng nhập lại.",
        "logged_out": "Đồng chí đã đăng xuất.",
    }


def _next(value: object) -> str | None:
    """Only a path on this site: never another host (`//evil`, `/\\evil`)."""
    if not isinstance(value, str) or not value.startswith("/") or value.startswith(("//", "/\\")):
        return None
    return value


def _secure(request: Request) -> bool:
    return request.url.scheme == "https"


def router(site: Site) -> APIRouter:
    r = APIRouter(route_class=WebRoute, include_in_schema=False)

    def login_page(request: Request, *, status: int = 200, error: str | None = None,
                   notice: str | None = None, username: str = "",
                   next_path: str | None = None) -> Response:
        token = secrets.token_urlsafe(24)
        response = site.page(request, None, "signin.html.j2", status=status, error=error,
                             notice=notice, username=username, next_path=next_path or "",
                             login_csrf=token)
        response.set_cookie(LOGIN_COOKIE, token, httponly=True, samesite="lax",
                            secure=_secure(request), path="/dang-nhap")
        return response

    @r.get("/")
    async def root(request: Request) -> Response:
        try:
            viewer = await site.viewer(request)
        except LoginRequired:
            return site.redirect("/dang-nhap")
        return site.redirect(HOMES[viewer.role])

    @r.get("/dang-nhap")
    async def login_form(request: Request) -> Response:
        reason = request.query_params.get("ly_do")
        next_path = _next(request.query_params.get("tiep"))
        notice = _reasons(site).get(reason or "")
        if notice is None and next_path:
            notice = "Vui lòng đăng nhập để tiếp tục."
        return login_page(request, notice=notice, next_path=next_path)

    @r.post("/dang-nhap")
    async def login(request: Request) -> Response:
        form = await request.form(max_fields=10)
        username = str(form.get("username") or "")
        next_path = _next(form.get("tiep"))
        sent, kept = form.get(CSRF_FIELD), request.cookies.get(LOGIN_COOKIE)
        if not isinstance(sent, str) or not kept or not hmac.compare_digest(sent, kept):
            return login_page(request, status=403, username=username, next_path=next_path,
                              error="Trang đăng nhập đã hết hiệu lực. Vui lòng nhập lại và "
                                    "bấm Đăng nhập.")
        if not username.strip() or not form.get("password"):
            return login_page(request, status=422, username=username, next_path=next_path,
                              error="Vui lòng nhập tên đăng nhập và mật khẩu.")

        client = request.client.host if request.client else None

        def sign_in() -> AccountView:
            # Throttled with the API's attempts: one limiter, in the intake service.
            answer: dict[str, Any] = site.runtime.service.sign_in(
                username, form.get("password"), client)
            return site.runtime.service.identify(answer["access_token"])

        try:
            account = await run_in_threadpool(sign_in)
        except DomainError as exc:
            page = login_page(request, status=exc.status, username=username,
                              next_path=next_path, error=exc.message_vi)
            page.headers.update(exc.headers())
            return page
        to = CHANGE_PAGE if account.must_change_password else next_path or HOMES[account.role]
        response = await site.start_session(request, account, to)
        response.delete_cookie(LOGIN_COOKIE, path="/dang-nhap")
        return response

    @r.post("/dang-xuat")
    async def logout(request: Request) -> Response:
        try:
            viewer = await site.viewer(request, pending_change=True)
        except LoginRequired:
            return site.redirect("/dang-nhap")
        await site.form(request, viewer)
        await run_in_threadpool(site.sessions.close, viewer.session.token_hash)
        response = site.redirect("/dang-nhap?ly_do=logged_out")
        response.delete_cookie(COOKIE, path="/")
        return response

    return r
