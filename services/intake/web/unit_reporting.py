"""The unit's own reports on the web: the list and the inbox, composing (prefilled from the
rollup and last period's report), revising, sending, and for recipients receiving and, for
the parent, returning with a reason. Thin over services/intake/unit_reports.py."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

import structlog
from fastapi import APIRouter, Request, Response
from fastapi.concurrency import run_in_threadpool
from markupsafe import Markup
from starlette.datastructures import FormData

from domain.errors import DomainError
from domain.obligations import OwnerType
from domain.periods import REPORT_KIND_CADENCE, Period
from domain.report_content import ASSESSMENTS
from domain.unit_report import STATUS_VI
from domain.unit_report_content import DEFAULT_TITLE, UNIT_SECTIONS
from services.intake.unit_report_document import document_of, filename, render_article
from services.intake.unit_report_docx import render_docx
from services.intake.unit_reports import Outcome
from services.intake.web.due import when_vi
from services.intake.web.route import WebRoute
from services.intake.web.site import Refused, Site, Viewer, new_key

log = structlog.get_logger(__name__)

BASE = "/lanh-dao/bao-cao-don-vi"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
KIND_VI = {"weekly": "Báo cáo tuần", "monthly": "Báo cáo tháng", "quarterly": "Báo cáo quý",
           "semiannual": "Báo cáo 6 tháng", "annual": "Báo cáo năm",
           "urgent": "Báo cáo đột xuất"}
STEP_VI = {"drafted": "Lập dự thảo", "revised": "Chỉnh sửa", "sent": "Gửi",
           "received": "Đã nhận", "returned": "Trả lại để chỉnh sửa", "resent": "Gửi lại"}


def _unit(viewer: Viewer) -> str:
    if viewer.account.unit_id is None:
        raise Refused(403, "Tài khoản lãnh đạo này chưa gắn với đơn vị nào.")
    return viewer.account.unit_id


def _body(fields: FormData, new: bool) -> dict[str, Any]:
    """The API's body from the form's fields (empty sections are left out)."""
    def text(name: str) -> str:
        return str(fields.get(name) or "")
    body: dict[str, Any] = {
        "assessment": text("assessment") or None, "summary": text("summary"),
        "sections": {k: v for k in UNIT_SECTIONS if (v := text(f"section_{k}").strip())},
        "proposals": text("proposals"),
        "signer": {"title": text("signer_title"), "name": text("signer_name")}}
    if new:
        body["kind"] = text("kind")
        body["period"] = text("period") or None
    return body


def _form_values(fields: FormData) -> dict[str, Any]:
    return {k: str(v) for k, v in fields.items() if isinstance(v, str)}


def router(site: Site) -> APIRouter:
    r = APIRouter(route_class=WebRoute, include_in_schema=False)
    runtime = site.runtime
    reports = runtime.unit_reports

    async def published(outcome: Outcome) -> None:
        await runtime.publication.published(outcome.position, outcome.recordings)

    def owed_now(unit_id: str) -> list[dict[str, Any]]:
        """The unit's obligations of the current period of each kind, with their deadlines
        and the report already begun for it, if any."""
        now = runtime.clock.now()
        schedule = runtime.directory.schedule()
        engine = runtime.directory.view.engine()
        begun = {(e.kind, e.period): e for e in runtime.directory.unit_reports.entries()
                 if e.unit_id == unit_id}
        out = []
        for kind, cadence in REPORT_KIND_CADENCE.items():
            period = schedule.period_of(cadence, now)
            for item in engine.owed(period, kinds=[kind], owner=OwnerType.UNIT):
                if item.unit_id != unit_id:
                    continue
                entry = begun.get((kind, str(period)))
                out.append({"kind": kind, "kind_vi": KIND_VI[kind], "period": str(period),
                            "deadline": when_vi(item.deadline),
                            "overdue": item.deadline <= now,
                            "report_id": None if entry is None else str(entry.unit_report_id)})
        return sorted(out, key=lambda o: o["deadline"])

    def prefill(account_unit: str, viewer: Viewer, kind: str, period: str) -> dict[str, Any]:
        """Last period's text (if the unit sent one) and a default signer."""
        values: dict[str, Any] = {"kind": kind, "period": period, "assessment": "stable"}
        unit = runtime.directory.unit(account_unit)
        values["signer_title"] = DEFAULT_TITLE.get(unit.kind or "", "TRƯỞNG BAN").capitalize() \
            if unit else ""
        values["signer_name"] = viewer.account.name
        try:
            before = str(Period.parse(period).previous())
        except DomainError:
            return values
        last = [e for e in runtime.directory.unit_reports.entries()
                if (e.unit_id, e.kind, e.period) == (account_unit, kind, before)]
        if last:
            old = reports.get(viewer.account, str(last[-1].unit_report_id))
            values.update(_content_values(old))
            values["previous"] = old.get("number") or old["period"]
        return values

    def page(request: Request, viewer: Viewer, template: str, **context: Any) -> Response:
        return site.page(request, viewer, template, kinds=KIND_VI, sections=UNIT_SECTIONS,
                         assessments=ASSESSMENTS, base=BASE, **context)

    @r.get(BASE)
    async def listing(request: Request) -> Response:
        viewer = await site.viewer(request, "leader")
        unit_id = _unit(viewer)
        sent = await run_in_threadpool(reports.list_reports, viewer.account, unit_id, None,
                                       "sent")
        inbox = await run_in_threadpool(reports.list_reports, viewer.account, unit_id, None,
                                        "received")
        for item in sent:
            if item["status"] == "returned":
                full = await run_in_threadpool(reports.get, viewer.account,
                                               item["unit_report_id"])
                item["reason"] = full.get("return_reason")
        owed = await run_in_threadpool(owed_now, unit_id)
        return page(request, viewer, "unit_reports.html.j2", unit_id=unit_id, own=sent,
                    inbox=inbox, owed=owed, status_vi=STATUS_VI)

    async def compose_page(request: Request, viewer: Viewer, values: dict[str, Any], *,
                           status: int = 200, error: str | None = None,
                           field: str | None = None, action: str = f"{BASE}/soan",
                           report: dict[str, Any] | None = None) -> Response:
        unit_id = _unit(viewer)
        rollup = None
        if values.get("period") and report is None:
            try:
                reply = await runtime.aggregator.rollup(viewer.account.id, unit_id,
                                                        str(values["period"]))
                rollup = reply.get("body")
            except DomainError:
                rollup = None  # no figures yet, or the aggregator is down: the form says so
        if rollup and not values.get("summary"):
            values["summary"] = (
                f"Trong kỳ, đã nhận {rollup.get('received', 0)}/{rollup.get('expected', 0)} "
                f"báo cáo của cán bộ phụ trách địa bàn, đúng hạn {rollup.get('on_time', 0)}; "
                f"{rollup.get('hot_spot_count', 0)} vụ việc nổi cộm.")
            values["assessment"] = rollup.get("assessment") or values.get("assessment")
        owed = await run_in_threadpool(owed_now, unit_id)
        deadline = next((o["deadline"] for o in owed if (o["kind"], o["period"]) == (
            values.get("kind"), values.get("period"))), None)
        return page(request, viewer, "unit_report_form.html.j2", status=status, values=values,
                    error=error, field=field, action=action, rollup=rollup, owed=owed,
                    deadline=deadline, report=report,
                    key=values.get("idempotency_key") or new_key())

    @r.get(f"{BASE}/soan")
    async def compose(request: Request) -> Response:
        viewer = await site.viewer(request, "leader")
        unit_id = _unit(viewer)
        kind = request.query_params.get("loai") or ""
        period = request.query_params.get("ky") or ""
        values: dict[str, Any] = {"kind": kind, "period": period}
        if kind in KIND_VI:
            values = await run_in_threadpool(prefill, unit_id, viewer, kind, period)
        return await compose_page(request, viewer, values)

    @r.post(f"{BASE}/soan")
    async def create(request: Request) -> Response:
        viewer = await site.viewer(request, "leader")
        fields = await site.form(request, viewer)
        unit_id = _unit(viewer)
        key = str(fields.get("idempotency_key") or "") or new_key()
        try:
            outcome = await reports.draft(viewer.account, unit_id, key, _body(fields, True))
        except DomainError as err:
            return await compose_page(request, viewer, _form_values(fields),
                                      status=err.status, error=err.message_vi, field=err.field)
        await published(outcome)
        log.info("web_unit_report_drafted", unit_report_id=outcome.body["unit_report_id"])
        return site.redirect(f"{BASE}/{outcome.body['unit_report_id']}")

    @r.get(BASE + "/{report_id}.docx")
    async def docx(request: Request, report_id: str) -> Response:
        viewer = await site.viewer(request, "leader", "auditor", "admin")
        report = await run_in_threadpool(reports.get, viewer.account, report_id)
        view = runtime.directory.view
        data = await run_in_threadpool(render_docx, document_of(report, view.units, view.areas,
                                                                runtime.clock.now()))
        return Response(data, media_type=DOCX, headers={
            "Content-Disposition": f'attachment; filename="{filename(report)}"'})

    def people(report: dict[str, Any]) -> list[dict[str, Any]]:
        steps = []
        for step in reversed(report["history"]):
            who = runtime.directory.account(UUID(step["by"])) if step.get("by") else None
            unit = runtime.directory.unit(step.get("by_unit") or "")
            steps.append({**step, "type_vi": STEP_VI.get(step["type"], step["type"]),
                          "who": who.name if who else "", "unit": unit.name if unit else ""})
        return steps

    @r.get(BASE + "/{report_id}")
    async def show(request: Request, report_id: str) -> Response:
        viewer = await site.viewer(request, "leader", "auditor", "admin")
        report = await run_in_threadpool(reports.get, viewer.account, report_id)
        view = runtime.directory.view
        doc = document_of(report, view.units, view.areas, runtime.clock.now())
        article = Markup(render_article(doc))  # noqa: S704 - rendered by our one Environment
        mine = viewer.account.unit_id
        recipients = report["recipients"]
        is_leader = viewer.role == "leader"
        return page(
            request, viewer, "unit_report.html.j2", report=report, article=article,
            steps=await run_in_threadpool(people, report),
            # What the recipients count: the first sending, then each corrected one.
            sendings=sum(s["type"] in ("sent", "resent") for s in report["history"]),
            drafter=is_leader and mine == report["unit_id"],
            recipient=is_leader and mine in recipients and report["status"] == "sent",
            parent=is_leader and bool(recipients) and mine == recipients[0]
            and report["status"] == "sent",
            received=mine in report["received_by"], key=new_key(),
            recipient_units=report["recipient_units"],
            deadline=None if not report.get("deadline") else when_vi(
                datetime.fromisoformat(report["deadline"])),
            notice=request.query_params.get("xong"))

    @r.get(BASE + "/{report_id}/sua")
    async def edit(request: Request, report_id: str) -> Response:
        viewer = await site.viewer(request, "leader")
        report = await run_in_threadpool(reports.get, viewer.account, report_id)
        if report["unit_id"] != viewer.account.unit_id or report["status"] == "sent":
            raise Refused(409, "Báo cáo đã gửi, chỉ sửa được khi là dự thảo hoặc bị trả lại.")
        values = {"kind": report["kind"], "period": report["period"] or "",
                  **_content_values(report)}
        return await compose_page(request, viewer, values, action=f"{BASE}/{report_id}/sua",
                                  report=report)

    @r.post(BASE + "/{report_id}/sua")
    async def revise(request: Request, report_id: str) -> Response:
        viewer = await site.viewer(request, "leader")
        fields = await site.form(request, viewer)
        key = str(fields.get("idempotency_key") or "") or new_key()
        try:
            outcome = await run_in_threadpool(reports.revise, viewer.account, report_id, key,
                                              _body(fields, False))
        except DomainError as err:
            report = await run_in_threadpool(reports.get, viewer.account, report_id)
            return await compose_page(request, viewer, _form_values(fields),
                                      status=err.status, error=err.message_vi, field=err.field,
                                      action=f"{BASE}/{report_id}/sua", report=report)
        await published(outcome)
        return site.redirect(f"{BASE}/{report_id}?xong=luu")

    @r.post(BASE + "/{report_id}/gui")
    async def send(request: Request, report_id: str) -> Response:
        viewer = await site.viewer(request, "leader")
        fields = await site.form(request, viewer)
        if fields.get("xac_nhan") != "1":
            raise Refused(422, "Hãy đánh dấu xác nhận đã kiểm tra nội dung trước khi gửi.")
        key = str(fields.get("idempotency_key") or "") or new_key()
        outcome = await run_in_threadpool(reports.send, viewer.account, report_id, key)
        await published(outcome)
        log.info("web_unit_report_sent", unit_report_id=report_id)
        return site.redirect(f"{BASE}/{report_id}?xong=gui")

    @r.post(BASE + "/{report_id}/da-nhan")
    async def receive(request: Request, report_id: str) -> Response:
        viewer = await site.viewer(request, "leader")
        fields = await site.form(request, viewer)
        key = str(fields.get("idempotency_key") or "") or new_key()
        outcome = await run_in_threadpool(reports.receive, viewer.account, report_id, key)
        await published(outcome)
        return site.redirect(f"{BASE}/{report_id}?xong=nhan")

    @r.post(BASE + "/{report_id}/tra-lai")
    async def give_back(request: Request, report_id: str) -> Response:
        viewer = await site.viewer(request, "leader")
        fields = await site.form(request, viewer)
        key = str(fields.get("idempotency_key") or "") or new_key()
        outcome = await run_in_threadpool(reports.return_for_correction, viewer.account,
                                          report_id, key, {"reason": str(fields.get("reason")
                                                                         or "")})
        await published(outcome)
        log.info("web_unit_report_returned", unit_report_id=report_id)
        return site.redirect(f"{BASE}/{report_id}?xong=tra")

    return r


def _content_values(report: dict[str, Any]) -> dict[str, Any]:
    content = report.get("content") or {}
    signer = report.get("signer") or {}
    return {"assessment": content.get("assessment"), "summary": content.get("summary", ""),
            **{f"section_{k}": v for k, v in (content.get("sections") or {}).items()},
            "proposals": content.get("proposals", ""),
            "signer_title": signer.get("title", ""), "signer_name": signer.get("name", "")}
