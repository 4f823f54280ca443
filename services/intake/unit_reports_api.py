"""The unit report routes of the HTTP API (CONTRACT "Obligations and unit reports", and
the extensions in docs/api.md), thin over services/intake/unit_reports.py."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated, Any

from fastapi import FastAPI, Header, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, JSONResponse, Response

from domain.errors import InvalidInput
from services.intake.bootstrap import Runtime
from services.intake.directory import AccountView
from services.intake.unit_report_document import document_of, filename, render_page
from services.intake.unit_report_docx import render_docx
from services.intake.unit_reports import Outcome

Auth = Annotated[str | None, Header(description="Bearer token")]
IdempotencyKey = Annotated[str | None, Header(alias="Idempotency-Key")]
Limit = Annotated[int, Query(ge=1, le=500)]
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
FORMATS = ("json", "html", "docx")
Caller = Callable[[str | None], Awaitable[AccountView]]
ReadJson = Callable[[Request], Awaitable[Any]]


def add_unit_report_routes(app: FastAPI, runtime: Runtime, caller: Caller,
                           read_json: ReadJson) -> None:
    reports = runtime.unit_reports

    async def answer(outcome: Outcome) -> JSONResponse:
        published = await runtime.publication.published(outcome.position, outcome.recordings)
        return JSONResponse({**outcome.body, "published": published},
                            status_code=outcome.status)

    @app.post("/api/v1/units/{unit_id}/reports", status_code=201)
    async def draft_unit_report(unit_id: str, request: Request, authorization: Auth = None,
                                idempotency_key: IdempotencyKey = None) -> JSONResponse:
        account = await caller(authorization)
        body = await read_json(request)
        return await answer(await reports.draft(account, unit_id, idempotency_key, body))

    @app.post("/api/v1/unit-reports/{report_id}/revisions")
    async def revise_unit_report(report_id: str, request: Request, authorization: Auth = None,
                                 idempotency_key: IdempotencyKey = None) -> JSONResponse:
        account = await caller(authorization)
        body = await read_json(request)
        return await answer(await run_in_threadpool(reports.revise, account, report_id,
                                                    idempotency_key, body))

    @app.post("/api/v1/unit-reports/{report_id}/send")
    async def send_unit_report(report_id: str, authorization: Auth = None,
                               idempotency_key: IdempotencyKey = None) -> JSONResponse:
        account = await caller(authorization)
        return await answer(await run_in_threadpool(reports.send, account, report_id,
                                                    idempotency_key))

    @app.post("/api/v1/unit-reports/{report_id}/receive")
    async def receive_unit_report(report_id: str, authorization: Auth = None,
                                  idempotency_key: IdempotencyKey = None) -> JSONResponse:
        account = await caller(authorization)
        return await answer(await run_in_threadpool(reports.receive, account, report_id,
                                                    idempotency_key))

    @app.post("/api/v1/unit-reports/{report_id}/return")
    async def return_unit_report(report_id: str, request: Request, authorization: Auth = None,
                                 idempotency_key: IdempotencyKey = None) -> JSONResponse:
        account = await caller(authorization)
        body = await read_json(request)
        return await answer(await run_in_threadpool(
            reports.return_for_correction, account, report_id, idempotency_key, body))

    @app.get("/api/v1/unit-reports")
    async def list_unit_reports(authorization: Auth = None, unit_id: str | None = None,
                                period: str | None = None, box: str | None = None,
                                limit: Limit = 100) -> JSONResponse:
        account = await caller(authorization)
        found = await run_in_threadpool(reports.list_reports, account, unit_id, period, box,
                                        limit)
        return JSONResponse({"unit_reports": found})

    @app.get("/api/v1/unit-reports/{report_id}", response_model=None)
    async def get_unit_report(request: Request, report_id: str, authorization: Auth = None,
                              format: str | None = None) -> Response:
        """JSON; with `Accept: text/html` the official document; `?format=docx` the .docx
        (`?format=html` too): the same scope for each."""
        account = await caller(authorization)
        fmt = format or ("html" if "text/html" in request.headers.get("accept", "")
                         else "json")
        if fmt not in FORMATS:
            raise InvalidInput("invalid_field", "format must be json, html or docx",
                               "format phải là json, html hoặc docx", "format")
        body = await run_in_threadpool(reports.get, account, report_id)
        if fmt == "json":
            return JSONResponse(body)
        view = runtime.directory.view
        doc = document_of(body, view.units, view.areas, runtime.clock.now())
        if fmt == "html":
            return HTMLResponse(await run_in_threadpool(render_page, doc))
        data = await run_in_threadpool(render_docx, doc)
        return Response(data, media_type=DOCX, headers={
            "Content-Disposition": f'attachment; filename="{filename(body)}"'})
