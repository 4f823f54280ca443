"""The web's route class: refusals become Vietnamese pages, every answer gets safe headers."""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any

import structlog
from fastapi import Request, Response
from fastapi.routing import APIRoute

from domain.errors import DomainError
from services.intake.web.site import (
    CHANGE_PAGE,
    SECURITY_HEADERS,
    LoginRequired,
    PasswordChangeRequired,
    Refused,
    Site,
)

log = structlog.get_logger(__name__)


def _site(request: Request) -> Site:
    site: Site = request.app.state.web_site
    return site


async def _error_page(request: Request, status: int, message_vi: str) -> Response:
    site = _site(request)
    try:
        # For the header and its way out, if signed in.
        viewer = await site.viewer(request, pending_change=True)
    except (LoginRequired, Refused):
        viewer = None
    return site.page(request, viewer, "error.html.j2", status=status, message_vi=message_vi)


class WebRoute(APIRoute):
    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def guarded(request: Request) -> Response:
            try:
                response = await handler(request)
            except LoginRequired as exc:
                path = request.url.path if request.method == "GET" else None
                if path and request.url.query:
                    path += "?" + request.url.query
                response = Site.redirect(Site.login_url(exc.reason, path))
            except PasswordChangeRequired:
                response = Site.redirect(CHANGE_PAGE)
            except Refused as exc:
                log.info("web_refused", path=request.url.path, status=exc.status)
                response = await _error_page(request, exc.status, exc.message_vi)
            except DomainError as exc:
                log.info("web_refused", path=request.url.path, code=exc.code)
                response = await _error_page(request, exc.status, exc.message_vi)
            finally:
                await request.close()  # a posted form's uploads are spooled to temporary files
            for name, value in SECURITY_HEADERS.items():
                response.headers.setdefault(name, value)
            return response

        return guarded
