"""The web application: server-rendered pages for cadres, leaders, auditors and admins."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from fastapi.responses import FileResponse
from fastapi.staticfiles import StaticFiles

from services.common.templating import TEMPLATES
from services.intake.bootstrap import Runtime
from services.intake.web.admin import router as admin_pages
from services.intake.web.alert_inbox import router as alert_pages
from services.intake.web.audit import router as audit_pages
from services.intake.web.cadre import router as cadre_pages
from services.intake.web.casework import router as case_pages
from services.intake.web.leadership import router as leadership_pages
from services.intake.web.password import router as password_pages
from services.intake.web.reporting import router as report_pages
from services.intake.web.signin import router as signin_pages
from services.intake.web.site import Site
from services.intake.web.unit_reporting import router as unit_report_pages

STATIC = Path(__file__).resolve().parent / "static"

__all__ = ["mount_web"]


def mount_web(app: FastAPI, runtime: Runtime) -> Site:
    """Add the pages to the intake's app; they use what `bootstrap` built, nothing else."""
    site = Site(runtime)
    app.state.web_site = site  # where the error pages find it (web/route.py)
    app.mount("/static/web", StaticFiles(directory=STATIC), name="web-static")

    # The official documents' style, the one file the aggregator inlines in its own pages:
    # the site's CSP forbids inline styles, so its pages link it.
    @app.get("/static/official.css", include_in_schema=False)
    async def official_css() -> FileResponse:
        return FileResponse(TEMPLATES / "official" / "official.css", media_type="text/css")

    for pages in (signin_pages, cadre_pages, report_pages, leadership_pages, case_pages,
                  audit_pages, admin_pages, password_pages, alert_pages,
                  unit_report_pages):
        app.include_router(pages(site))
    return site
