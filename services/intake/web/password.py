"""Changing one's own password, for every role; the browser that changes it stays signed in."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.concurrency import run_in_threadpool

from domain.errors import DomainError
from services.intake.password_change import MIN_PASSWORD
from services.intake.web.route import WebRoute
from services.intake.web.site import CHANGE_PAGE, Site, Viewer

PAGE = CHANGE_PAGE
FIELDS = ("current_password", "new_password", "new_password_repeat")
FIELDS_VI = {"current_password": "Mật khẩu hiện tại", "new_password": "Mật khẩu mới",
             "new_password_repeat": "Nhập lại mật khẩu mới"}
DONE = "Đã đổi mật khẩu."


def router(site: Site) -> APIRouter:
    r = APIRouter(route_class=WebRoute, include_in_schema=False)
    runtime = site.runtime
    change = runtime.password_change

    def page(request: Request, viewer: Viewer, *, status: int = 200,
             error: dict[str, Any] | None = None) -> Response:
        done = DONE if request.query_params.get("da_doi") == "1" and error is None else None
        return site.page(request, viewer, "password.html.j2", status=status, error=error,
                         done=done, min_length=MIN_PASSWORD,
                         required=viewer.account.must_change_password)

    @r.get(PAGE)
    async def form(request: Request) -> Response:
        viewer = await site.viewer(request, pending_change=True)
        return page(request, viewer)

    @r.post(PAGE)
    async def submit(request: Request) -> Response:
        viewer = await site.viewer(request, pending_change=True)
        form = await site.form(request, viewer)
        # Bounded above MAX_PASSWORD, so that the rule refuses, not a cut; never echoed
        # back into the page: a refused form is typed again.
        current, new, repeated = (str(form.get(name) or "")[:1000] for name in FIELDS)
        client = request.client.host if request.client else None
        try:
            account = await run_in_threadpool(change.change, viewer.account, current, new,
                                              repeated, client)
        except DomainError as err:
            refused = page(request, viewer, status=err.status, error={
                "field": err.field, "field_vi": FIELDS_VI.get(err.field or ""),
                "message_vi": err.message_vi})
            refused.headers.update(err.headers())
            return refused
        await runtime.publication.all_published()
        # The change voids every session of the account, this one too: this browser gets
        # a new one, with the new stamp, in place of the old.
        await run_in_threadpool(site.sessions.close, viewer.session.token_hash)
        return await site.start_session(request, account, f"{PAGE}?da_doi=1")

    return r
