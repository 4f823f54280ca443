"""The web application: server-rendered pages for cadres, leaders, auditors and admins."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from services.intake.bootstrap import Runtime
from services.intake.web.admin import router as admin_pages
from services.intake.web.audit import router as audit_pages
from services.intake.web.cadre import router as cadre_pages
from services.intake.web.casework import router as case_pages
from services.intake.web.deps import WebDeps
from services.intake.web.leadership import router as leadership_pages
from services.intake.web.password import router as password_pages
from services.intake.web.reporting import router as report_pages
from services.intake.web.sessions import SessionStore
from services.intake.web.signin import router as signin_pages
from services.intake.web.site import Site

STATIC = Path(__file__).resolve().parent / "static"
SESSIONS_FILE = "web.sqlite"

__all__ = ["WebDeps", "mount_web", "web_deps"]


def mount_web(app: FastAPI, runtime: Runtime, deps: WebDeps | None = None) -> Site:
    """Add the pages to the intake's app; plug hooks in later through `web_deps(app)`."""
    sessions = SessionStore(runtime.settings.home / SESSIONS_FILE, runtime.clock)
    site = Site(runtime, deps or WebDeps(), sessions)
    app.state.web_site = site
    app.mount("/static/web", StaticFiles(directory=STATIC), name="web-static")
    for pages in (signin_pages, cadre_pages, report_pages, leadership_pages, case_pages,
                  audit_pages, admin_pages, password_pages):
        app.include_router(pages(site))
    return site


def web_deps(app: FastAPI) -> WebDeps:
    """The hooks object of a mounted web, to set `rollup`, `alerts`, `ack`, `audit_status`."""
    site: Site = app.state.web_site
    return site.deps
