"""The web site's shared parts: who is signed in, checked forms, rendered pages."""

from __future__ import annotations

import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import quote

from fastapi import Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, RedirectResponse
from starlette.datastructures import FormData

from domain.clock import VN
from services.common.templating import environment
from services.intake.bootstrap import Runtime
from services.intake.directory import AccountView
from services.intake.sessions import COOKIE, Expired, Session, SessionStore
from services.intake.tokens import password_stamp
from services.intake.web.due import WEB_KINDS

HOMES = {"cadre": "/can-bo", "leader": "/lanh-dao", "auditor": "/kiem-tra", "admin": "/quan-tri"}
ROLES_VI = {"cadre": "Cán bộ phụ trách địa bàn", "leader": "Lãnh đạo", "auditor": "Kiểm tra",
            "admin": "Quản trị"}
CSRF_FIELD = "csrf_token"
CHANGE_PAGE = "/doi-mat-khau"  # where a password someone else set is changed
MAX_FORM_FIELDS = 400
SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; object-src 'none'; "
                               "base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
    "Cache-Control": "no-store",
}


class LoginRequired(Exception):
    """Nobody is signed in (or no longer): back to the sign-in page, saying why."""

    def __init__(self, reason: str | None = None):
        super().__init__(reason)
        self.reason = reason


class PasswordChangeRequired(Exception):
    """The account's password was set by someone else: every page leads to its change."""


class Refused(Exception):
    """A request the web refuses itself, with a Vietnamese message."""

    def __init__(self, status: int, message_vi: str):
        super().__init__(message_vi)
        self.status = status
        self.message_vi = message_vi


@dataclass(frozen=True)
class Viewer:
    """The signed-in account and its session."""

    account: AccountView
    session: Session

    @property
    def role(self) -> str:
        return self.account.role


def new_key() -> str:
    """An idempotency key for a form, made when the form is rendered."""
    return f"web-{secrets.token_urlsafe(18)}"


class Site:
    def __init__(self, runtime: Runtime):
        self.runtime = runtime
        self.sessions: SessionStore = runtime.sessions

    # -- who is asking -------------------------------------------------------------------
    def _resolve(self, token: str) -> Viewer:
        try:
            session = self.sessions.load(token)
        except Expired as exc:
            raise LoginRequired(exc.reason) from None
        if session is None:
            raise LoginRequired("unknown")
        self.runtime.directory.refresh()
        account = self.runtime.directory.account(session.account_id)
        if (account is None or not account.active
                or password_stamp(account.password_hash) != session.password_stamp):
            self.sessions.close(session.token_hash)
            raise LoginRequired("revoked")
        return Viewer(account, session)

    async def viewer(self, request: Request, *roles: str,
                     pending_change: bool = False) -> Viewer:
        """The signed-in viewer, of one of `roles` if any are given. One whose password
        someone else set is sent to change it, unless `pending_change` (the password
        page and signing out)."""
        token = request.cookies.get(COOKIE)
        if not token:
            raise LoginRequired()
        viewer = await run_in_threadpool(self._resolve, token)
        if viewer.account.must_change_password and not pending_change:
            raise PasswordChangeRequired()
        if roles and viewer.role not in roles:
            wanted = ", ".join(ROLES_VI[r].lower() for r in roles)
            raise Refused(403, f"Trang này chỉ dành cho tài khoản {wanted}.")
        return viewer

    async def form(self, request: Request, viewer: Viewer) -> FormData:
        """The posted form, once its CSRF token matches the session's. A multipart form (the
        plan upload) carries the token in its action's query too, and it is checked there
        before a byte of the body is read, so a forged upload is never spooled."""
        if request.headers.get("content-type", "").lower().startswith("multipart/"):
            _check_csrf(request.query_params.get(CSRF_FIELD), viewer)
        form = await request.form(max_fields=MAX_FORM_FIELDS)
        _check_csrf(form.get(CSRF_FIELD), viewer)
        return form

    # -- answering -----------------------------------------------------------------------
    def render(self, template: str, **context: Any) -> str:
        return environment().get_template(f"web/{template}").render(**context)

    def page(self, request: Request, viewer: Viewer | None, template: str, *,
             status: int = 200, **context: Any) -> HTMLResponse:
        now = self.runtime.clock.now()
        html = self.render(template, viewer=viewer, account=viewer.account if viewer else None,
                           csrf=viewer.session.csrf if viewer else "", homes=HOMES,
                           roles_vi=ROLES_VI, path=request.url.path,
                           offered=self.offered(viewer.account, now) if viewer else WEB_KINDS,
                           now=now.astimezone(VN), **context)
        return HTMLResponse(html, status_code=status)

    def offered(self, account: AccountView, now: datetime) -> frozenset[str]:
        """The report forms a cadre's menu offers: the kinds the areas they hold now owe."""
        if account.cadre_id is None:
            return WEB_KINDS
        view = self.runtime.directory.view
        owed = view.governance().kinds_for_area
        return frozenset().union(*(owed(a) for a in view.assigned_areas(account.cadre_id, now)
                                   )) & WEB_KINDS

    async def start_session(self, request: Request, account: AccountView,
                            to: str) -> RedirectResponse:
        """A new session for `account` (after its password was given) and a redirect to `to`
        that sets its cookie: HttpOnly, SameSite=Lax, Secure over TLS."""
        token, _ = await run_in_threadpool(self.sessions.open, account.id,
                                           password_stamp(account.password_hash))
        response = self.redirect(to)
        response.set_cookie(COOKIE, token, httponly=True, samesite="lax",
                            secure=request.url.scheme == "https",
                            max_age=int(self.sessions.absolute.total_seconds()), path="/")
        return response

    @staticmethod
    def redirect(url: str) -> RedirectResponse:
        return RedirectResponse(url, status_code=303)

    @staticmethod
    def login_url(reason: str | None, next_path: str | None) -> str:
        params = []
        if reason:
            params.append(f"ly_do={quote(reason)}")
        if next_path and next_path != "/":
            params.append(f"tiep={quote(next_path)}")
        return "/dang-nhap" + ("?" + "&".join(params) if params else "")


def _check_csrf(sent: object, viewer: Viewer) -> None:
    if not isinstance(sent, str) or not hmac.compare_digest(sent, viewer.session.csrf):
        raise Refused(403, "Biểu mẫu đã hết hiệu lực hoặc không hợp lệ (mã bảo vệ không "
                           "khớp). Vui lòng tải lại trang rồi gửi lại.")
