"""The intake's HTTP JSON API (CONTRACT: /api/v1), thin over the use cases."""

from __future__ import annotations

import base64
import json
import sqlite3
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Annotated, Any
from uuid import UUID

import structlog
from eventsourcing.persistence import PersistenceError
from fastapi import FastAPI, Header, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, Response, StreamingResponse
from prometheus_client import CONTENT_TYPE_LATEST, Counter, generate_latest

from domain.access import may_read_rollup
from domain.case import STATUSES
from domain.errors import (
    DomainError,
    Internal,
    InvalidInput,
    NotFound,
    StorageFull,
    Unauthenticated,
)
from domain.idempotency import checked_key
from services.common.contracts import OverduePage
from services.common.storage import is_storage_full
from services.common.strict_json import loads_bounded
from services.common.templating import environment
from services.intake import consumer_gauges
from services.intake.bootstrap import Runtime
from services.intake.directory import AccountView
from services.intake.doors import API_BODY, Doors
from services.intake.openapi_doc import document
from services.intake.password_change import MIN_PASSWORD
from services.intake.ports import Aggregator, Notifier
from services.intake.service import MAX_PASSWORD
from services.intake.unit_reports_api import add_unit_report_routes
from services.intake.web import mount_web

log = structlog.get_logger(__name__)

MAX_BODY = API_BODY
OVERDUE_PAGE = 500  # rows asked of the notifier at a time (its most)
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
# Module level: FastAPI resolves these postponed annotations in the module's globals.
Auth = Annotated[str | None, Header(description="Bearer token")]
IdempotencyKey = Annotated[str | None, Header(alias="Idempotency-Key")]
Limit = Annotated[int, Query(ge=1, le=500)]
Filter = Annotated[str | None, Query(max_length=200)]
Cursor = Annotated[str | None, Query(max_length=400, description="next_cursor of the page before")]
SUBMITTED = Counter("tinhhinh_reports_total", "Report submissions answered", ["status"])
REFUSED = Counter("tinhhinh_refusals_total", "Requests refused", ["code"])

REPORT_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["kind", "area_id", "assessment", "summary"],
    "properties": {
        "kind": {"enum": ["weekly", "urgent", "monthly", "quarterly", "semiannual", "annual"]},
        "area_id": {"type": "string"},
        "period": {"type": "string", "examples": ["2026-W48", "2026-11", "2026-Q4", "2026-H2"]},
        "assessment": {"enum": ["stable", "attention", "complex"]},
        "summary": {"type": "string", "maxLength": 4000},
        "sections": {"type": "object", "additionalProperties": {"type": "string"}},
        "counts": {"type": "object", "additionalProperties": {"type": "integer", "minimum": 0}},
        "hot_spots": {"type": "array", "maxItems": 20, "items": {
            "type": "object", "required": ["category", "severity", "title"],
            "properties": {"category": {"type": "string"},
                           "severity": {"enum": ["low", "medium", "high", "urgent"]},
                           "title": {"type": "string", "maxLength": 200},
                           "description": {"type": "string", "maxLength": 4000}}}},
        "device_time": {"type": "string", "format": "date-time"},
    },
}


def error_response(err: DomainError) -> JSONResponse:
    REFUSED.labels(err.code).inc()
    headers = err.headers()
    if isinstance(err, Unauthenticated):
        headers["WWW-Authenticate"] = "Bearer"
    return JSONResponse({"error": err.as_dict()}, status_code=err.status, headers=headers)


async def read_json(request: Request) -> Any:
    return parse_json(await request.body())


def parse_json(body: bytes) -> Any:
    if len(body) > MAX_BODY:
        err = InvalidInput("payload_too_large", f"The body is larger than {MAX_BODY} bytes",
                           f"Nội dung gửi lên quá {MAX_BODY // 1024} KB", None)
        err.status = 413
        raise err
    try:
        return loads_bounded(body)
    except ValueError:
        err = InvalidInput("invalid_json", "The body is not valid JSON",
                           "Nội dung gửi lên không phải JSON hợp lệ", "body")
        err.status = 400
        raise err from None


def create_app(runtime: Runtime) -> FastAPI:
    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        await runtime.start()
        try:
            yield
        finally:
            await runtime.stop()

    app = FastAPI(title="tinhhinh", version="1", lifespan=lifespan,
                  description="Situation reports of the mass-mobilisation network.")
    service = runtime.service
    # Outside every route: bodies bounded and timed, `Cache-Control: no-store`.
    app.add_middleware(Doors, body_timeout=runtime.settings.body_timeout_seconds)

    @app.exception_handler(DomainError)
    async def on_domain_error(_: Request, err: DomainError) -> JSONResponse:
        return error_response(err)

    @app.exception_handler(RequestValidationError)
    async def on_validation_error(_: Request, err: RequestValidationError) -> JSONResponse:
        first = err.errors()[0] if err.errors() else {}
        loc = ".".join(str(p) for p in first.get("loc", ())[1:]) or None
        return error_response(InvalidInput(
            "invalid_field", f"{loc}: {first.get('msg', 'invalid')}",
            f"{loc}: giá trị không hợp lệ", loc))

    @app.exception_handler(PersistenceError)
    @app.exception_handler(sqlite3.Error)
    @app.exception_handler(OSError)
    async def on_storage_error(_: Request, err: Exception) -> JSONResponse:
        # A full disk is the caller's to retry later; anything else is ours, said in JSON.
        if is_storage_full(err):
            log.warning("storage_full", error=str(err))
            return error_response(StorageFull())
        log.error("storage_failed", exc_info=err)
        return error_response(Internal())

    async def caller(authorization: str | None) -> AccountView:
        if not authorization or not authorization.lower().startswith("bearer "):
            raise Unauthenticated("missing_token", "A bearer token is required",
                                  "Cần đăng nhập để thực hiện thao tác này")
        return await run_in_threadpool(service.authenticate, authorization[7:].strip())

    async def owner(authorization: str | None) -> AccountView:
        """As `caller`, but also an account that must change its password first."""
        if not authorization or not authorization.lower().startswith("bearer "):
            raise Unauthenticated("missing_token", "A bearer token is required",
                                  "Cần đăng nhập để thực hiện thao tác này")
        return await run_in_threadpool(service.identify, authorization[7:].strip())

    @app.get("/healthz")
    async def healthz() -> JSONResponse:
        health = await run_in_threadpool(runtime.health)
        # The services `tinhhinh up` started must answer too ("every consumer ready").
        probes: dict[str, Aggregator | Notifier] = {"notifier": runtime.notifier,
                                                     "aggregator": runtime.aggregator}
        for name in runtime.settings.required_services:
            probe = probes.get(name)
            try:
                answer = await probe.health() if probe is not None else {"status": "missing"}
            except DomainError:
                answer = {"status": "unreachable"}
            health[name] = answer.get("status")
            if answer.get("reason"):
                health.setdefault("reasons", {})[name] = answer["reason"]
            if answer.get("status") != "ok":
                health["failing"].append(name)
                if health["status"] == "ok":
                    health["status"] = "starting"
        return JSONResponse(health, status_code=200 if health["status"] == "ok" else 503)

    @app.get("/metrics", include_in_schema=False)
    async def metrics() -> Response:
        await consumer_gauges.refresh({"aggregator": runtime.aggregator,
                                       "notifier": runtime.notifier})
        return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)

    @app.post("/api/v1/auth/token", responses={
        401: {"description": "wrong username or password"},
        429: {"description": "too many failed attempts (per username or per address); "
                             "the Retry-After header says when to try again"},
    }, openapi_extra={"requestBody": {"required": True, "content": {
        "application/json": {"schema": {"type": "object", "required": ["username", "password"],
                                        "properties": {"username": {"type": "string"},
                                                       "password": {"type": "string"}}}}}}})
    async def token(request: Request) -> JSONResponse:
        body = await read_json(request)
        if not isinstance(body, dict):
            body = {}
        result = await run_in_threadpool(service.sign_in, body.get("username"),
                                         body.get("password"),
                                         request.client.host if request.client else None)
        return JSONResponse(result)

    @app.post("/api/v1/auth/password", responses={
        401: {"description": "no valid bearer token"},
        409: {"description": "the password changed meanwhile (another browser, a reset)"},
        422: {"description": "a rule of the new password, or a wrong current password; "
                             "`field` names which"},
        429: {"description": "too many wrong current passwords (the sign-in limiter)"},
    }, openapi_extra={"requestBody": {"required": True, "content": {
        "application/json": {"schema": {
            "type": "object", "required": ["current_password", "new_password"],
            "properties": {"current_password": {"type": "string"},
                           "new_password": {"type": "string", "minLength": MIN_PASSWORD,
                                            "maxLength": MAX_PASSWORD}}}}}}})
    async def change_password(request: Request, authorization: Auth = None) -> JSONResponse:
        # Beyond CONTRACT (docs/api.md): the owner's own change, the one call a token of an
        # account that must change its password is good for.
        account = await owner(authorization)
        body = await read_json(request)
        if not isinstance(body, dict):
            raise InvalidInput("invalid_json", "The body must be a JSON object",
                               "Nội dung gửi lên phải là một đối tượng JSON", "body")
        current, new = body.get("current_password"), body.get("new_password")
        if not isinstance(current, str) or not isinstance(new, str):
            raise InvalidInput("invalid_field",
                               "current_password and new_password must be strings",
                               "Vui lòng nhập mật khẩu hiện tại và mật khẩu mới.",
                               "current_password" if not isinstance(current, str)
                               else "new_password")
        client = request.client.host if request.client else None
        changed = await run_in_threadpool(runtime.password_change.change, account, current,
                                          new, new, client)
        await runtime.publication.all_published()
        # The change voids every token of the account, the caller's too: here is its next.
        return JSONResponse({"access_token": service.tokens.issue(changed.id,
                                                                  changed.password_hash),
                             "token_type": "bearer", "expires_in": service.tokens.ttl,
                             "password_change_required": changed.must_change_password})

    @app.post("/api/v1/reports", status_code=201, openapi_extra={
        "requestBody": {"required": True,
                        "content": {"application/json": {"schema": REPORT_SCHEMA}}},
        # Read from the request directly (hot path), so declared here for the schema.
        "parameters": [
            {"name": "Authorization", "in": "header", "required": True,
             "schema": {"type": "string"}, "description": "Bearer token"},
            {"name": "Idempotency-Key", "in": "header", "required": True,
             "schema": {"type": "string", "maxLength": 128}},
        ]})
    async def submit_report(request: Request) -> JSONResponse:
        # Headers read directly: FastAPI's Header() parameters cost a dependency solve
        # (pydantic validation) per request on the hottest path.
        authorization = request.headers.get("authorization")
        idempotency_key = request.headers.get("idempotency-key")
        if not authorization or not authorization.lower().startswith("bearer "):
            raise Unauthenticated("missing_token", "A bearer token is required",
                                  "Cần đăng nhập để thực hiện thao tác này")
        raw = await request.body()

        def authenticate_and_submit() -> Any:
            # One trip to the thread pool for both steps; errors keep their order
            # (401 before 400/413 before the use case's own).
            account = service.authenticate(authorization[7:].strip())
            body = parse_json(raw)
            structlog.contextvars.bind_contextvars(account_id=str(account.id))
            return service.submit(account, idempotency_key, body)

        outcome = await run_in_threadpool(authenticate_and_submit)
        published = await runtime.publication.published(outcome.position, outcome.recordings)
        SUBMITTED.labels(str(outcome.status)).inc()
        return JSONResponse({**outcome.report, "published": published},
                            status_code=outcome.status)

    @app.get("/api/v1/reports/{report_id}")
    async def get_report(report_id: str, authorization: Auth = None) -> JSONResponse:
        account = await caller(authorization)
        return JSONResponse(await run_in_threadpool(service.get_report, account, report_id))

    corrections = runtime.corrections

    @app.post("/api/v1/reports/{report_id}/return")
    async def return_report(report_id: str, request: Request, authorization: Auth = None,
                            idempotency_key: IdempotencyKey = None) -> JSONResponse:
        account = await caller(authorization)
        body = await read_json(request)
        outcome = await run_in_threadpool(corrections.return_report, account, report_id,
                                          idempotency_key, body)
        await runtime.publication.published(outcome.position, outcome.recordings)
        return JSONResponse(outcome.report, status_code=outcome.status)

    @app.post("/api/v1/reports/{report_id}/revisions", status_code=201)
    async def correct_report(report_id: str, request: Request, authorization: Auth = None,
                             idempotency_key: IdempotencyKey = None) -> JSONResponse:
        # Beyond CONTRACT (docs/api.md): the author's corrected revision of a returned report.
        account = await caller(authorization)
        body = await read_json(request)
        outcome = await run_in_threadpool(corrections.correct, account, report_id,
                                          idempotency_key, body)
        published = await runtime.publication.published(outcome.position, outcome.recordings)
        return JSONResponse({**outcome.report, "published": published},
                            status_code=outcome.status)

    @app.get("/api/v1/reports")
    async def list_reports(
        authorization: Auth = None,
        area_id: str | None = None,
        period: str | None = None,
        kind: str | None = None,
        limit: Limit = 100,
    ) -> JSONResponse:
        account = await caller(authorization)
        reports = await run_in_threadpool(service.list_reports, account, area_id, period,
                                          kind, limit)
        return JSONResponse({"reports": reports})

    @app.get("/api/v1/units")
    async def list_units(authorization: Auth = None) -> JSONResponse:
        account = await caller(authorization)
        return JSONResponse({"units": await run_in_threadpool(service.list_units, account)})

    @app.get("/api/v1/units/{unit_id}")
    async def get_unit(unit_id: str, authorization: Auth = None) -> JSONResponse:
        account = await caller(authorization)
        return JSONResponse(await run_in_threadpool(service.get_unit, account, unit_id))

    cases = runtime.cases

    @app.get("/api/v1/cases")
    async def search_cases(authorization: Auth = None, status: str | None = None,
                           q: str | None = None, limit: Limit = 100) -> JSONResponse:
        account = await caller(authorization)
        found = await run_in_threadpool(cases.search, account, status, q, limit)
        return JSONResponse({"cases": found})

    @app.get("/api/v1/cases/{case_id}")
    async def get_case(case_id: str, authorization: Auth = None) -> JSONResponse:
        account = await caller(authorization)
        return JSONResponse(await run_in_threadpool(cases.get, account, case_id))

    @app.get("/api/v1/cases/{case_id}/history", response_model=None)
    async def case_history(request: Request, case_id: str, authorization: Auth = None,
                           as_of: str | None = None) -> Response:
        account = await caller(authorization)
        history = await run_in_threadpool(cases.history, account, case_id, as_of)
        if "text/html" in request.headers.get("accept", ""):
            return HTMLResponse(render_case_history(history))
        return JSONResponse(history)

    def case_command(name: str, action: Any) -> None:
        async def command(case_id: str, request: Request, authorization: Auth = None,
                          idempotency_key: IdempotencyKey = None) -> JSONResponse:
            account = await caller(authorization)
            body = await read_json(request)
            if not isinstance(body, dict):
                raise InvalidInput("invalid_json", "The body must be a JSON object",
                                   "Nội dung gửi lên phải là một đối tượng JSON", "body")
            case = await run_in_threadpool(action, account, case_id, body, idempotency_key)
            await runtime.publication.all_published()
            return JSONResponse(case)
        app.post(f"/api/v1/cases/{{case_id}}/{name}", name=f"case_{name}")(command)

    case_command("status", cases.change_status)
    case_command("handler", cases.assign_handler)
    case_command("notes", cases.add_note)

    add_unit_report_routes(app, runtime, caller, read_json)

    notifier, aggregator = runtime.notifier, runtime.aggregator

    @app.get("/api/v1/alerts")
    async def list_alerts(authorization: Auth = None, status: str = "open",
                          limit: Limit = 100, cursor: Cursor = None, type: Filter = None,
                          kind: Filter = None, period: Filter = None, unit_id: Filter = None,
                          group: Filter = None) -> JSONResponse:
        account = await caller(authorization)
        filters = {"type": type, "kind": kind, "period": period, "unit_id": unit_id,
                   "group": group}
        return JSONResponse(await notifier.alerts(account.id, status, limit, cursor, filters))

    @app.get("/api/v1/alerts/groups")
    async def alert_groups(authorization: Auth = None, status: str = "open",
                           type: Filter = None, kind: Filter = None, period: Filter = None,
                           unit_id: Filter = None) -> JSONResponse:
        """Extension beyond CONTRACT (docs/api.md): the caller's alerts grouped."""
        account = await caller(authorization)
        filters = {"type": type, "kind": kind, "period": period, "unit_id": unit_id}
        return JSONResponse(await notifier.groups(account.id, status, filters))

    @app.post("/api/v1/alerts/ack")
    async def ack_alerts(request: Request, authorization: Auth = None,
                         idempotency_key: IdempotencyKey = None) -> JSONResponse:
        """Extension beyond CONTRACT (docs/api.md): acknowledge a group at once."""
        account = await caller(authorization)
        body = await read_json(request)
        if not isinstance(body, dict):
            raise InvalidInput("invalid_json", "The body must be a JSON object",
                               "Nội dung gửi lên phải là một đối tượng JSON", "body")
        idempotency_key = checked_key(idempotency_key)
        for name, value in body.items():
            if value is not None and not isinstance(value, str):
                raise InvalidInput("invalid_field", f"{name} must be text",
                                   f"{name} phải là chuỗi ký tự", str(name))
        return JSONResponse(await notifier.ack_many(account.id, idempotency_key, body))

    @app.post("/api/v1/alerts/{alert_id}/ack")
    async def ack_alert(alert_id: str, authorization: Auth = None) -> JSONResponse:
        account = await caller(authorization)
        return JSONResponse(await notifier.ack(account.id, alert_id))

    @app.get("/api/v1/overdue", response_model=None)
    async def get_overdue(at: str, authorization: Auth = None) -> StreamingResponse:
        # Scoped: a cadre sees their own, a leader their unit's scope, auditors everything.
        account = await caller(authorization)
        # The first page before the answer starts, so that a refusal is still a JSON error.
        first = await notifier.overdue(at, account.id, OVERDUE_PAGE)
        return StreamingResponse(overdue_list(notifier, at, account.id, first),
                                 media_type="application/json")

    @app.get("/api/v1/obligations")
    async def list_obligations(authorization: Auth = None, unit_id: str | None = None,
                               period: str | None = None, at: str | None = None,
                               limit: Limit = 100, cursor: Cursor = None) -> JSONResponse:
        # Scoped as the overdue list: a cadre their own items, a leader their unit's scope.
        account = await caller(authorization)
        return JSONResponse(await run_in_threadpool(runtime.obligations.owed, account, unit_id,
                                                    period, at, limit, cursor))

    @app.get("/api/v1/units/{unit_id}/rollups/{period}", response_model=None)
    async def get_rollup(request: Request, unit_id: str, period: str,
                         authorization: Auth = None, format: str | None = None) -> Response:
        account = await caller(authorization)
        await run_in_threadpool(runtime.directory.refresh)
        if not may_read_rollup(runtime.directory.view, account.role, account.unit_id, unit_id):
            raise NotFound("not_found", "unit not found", "Không tìm thấy đơn vị")
        fmt = format or ("html" if "text/html" in request.headers.get("accept", "")
                         else "json")
        reply = await aggregator.rollup(account.id, unit_id, period, fmt)
        if fmt == "html":
            return HTMLResponse(reply["html"])
        if fmt == "docx":
            return Response(base64.b64decode(reply["docx"]), media_type=DOCX, headers={
                "Content-Disposition": f'attachment; filename="{reply["filename"]}"'})
        return JSONResponse(reply["body"])

    mount_web(app, runtime)
    document(app)
    return app


async def overdue_list(notifier: Notifier, at: str, account_id: UUID,
                       page: OverduePage) -> AsyncIterator[bytes]:
    """CONTRACT's plain JSON list, written page by page as the notifier gives them, so the
    intake never holds more than one page however long the list is."""
    yield b"["
    written = 0
    while True:
        rows = [json.dumps(row, ensure_ascii=False, separators=(",", ":"))
                for row in page["overdue"]]
        if rows:
            yield (("," if written else "") + ",".join(rows)).encode()
            written += len(rows)
        cursor = page["next_cursor"]
        if cursor is None:
            break
        try:
            page = await notifier.overdue(at, account_id, OVERDUE_PAGE, cursor)
        except DomainError as err:
            # Too late for an error status: the body stays unterminated, so no client takes
            # a part for the whole.
            log.warning("overdue_list_cut", error=err.code, written=written)
            raise
    yield b"]"


def render_case_history(history: dict[str, Any]) -> str:
    return environment().get_template("case_history.html.j2").render(
        history=history, statuses=STATUSES)
