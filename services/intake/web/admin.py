"""Administration: load or update the network plan, list the accounts; the sub-pages for
accounts and assignments are in `admin_accounts.py` and `admin_assignments.py`."""

from __future__ import annotations

from typing import Any

import structlog
from fastapi import APIRouter, Request, Response
from fastapi.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from domain.errors import DomainError
from services.common.plan_file import parse_plan
from services.intake.network_plan import LoadResult, apply_plan
from services.intake.web.admin_accounts import router as account_pages
from services.intake.web.admin_assignments import router as assignment_pages
from services.intake.web.panels import unit_name
from services.intake.web.route import WebRoute
from services.intake.web.site import Refused, Site

log = structlog.get_logger(__name__)

MAX_PLAN = 1024 * 1024
CHANGES_VI = {
    "network_created": "Tạo mạng lưới", "network_renamed": "Đổi tên mạng lưới",
    "level_defined": "Cấp được thêm hoặc sửa", "level_retired": "Cấp được bỏ",
    "area_defined": "Địa bàn được thêm hoặc sửa", "area_retired": "Địa bàn được bỏ",
    "unit_defined": "Đơn vị được thêm hoặc sửa", "unit_retired": "Đơn vị được bỏ",
    "cadre_defined": "Cán bộ được thêm hoặc sửa", "cadre_retired": "Cán bộ được bỏ",
    "schedule_defined": "Lịch báo cáo được đặt lại",
    "escalation_defined": "Cấu hình cảnh báo được đặt lại",
    "account_opened": "Tài khoản mới", "account_updated": "Tài khoản được sửa",
    "account_enabled": "Tài khoản được mở lại", "account_disabled": "Tài khoản bị khoá",
    "assignment_started": "Phân công mới", "assignment_rescheduled": "Phân công đổi thời hạn",
    "assignment_ended": "Phân công kết thúc",
}


async def _plan_text(form: Any) -> str:
    upload = form.get("plan_file")
    if isinstance(upload, UploadFile) and upload.filename:
        data = await upload.read(MAX_PLAN + 1)
        if len(data) > MAX_PLAN:
            raise Refused(413, "Tệp kế hoạch lớn quá 1 MB.")
        try:
            return data.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise Refused(422, "Tệp kế hoạch không phải văn bản UTF-8.") from None
    text = form.get("plan_text")
    return text if isinstance(text, str) else ""


def router(site: Site) -> APIRouter:
    r = APIRouter(route_class=WebRoute, include_in_schema=False)
    runtime = site.runtime
    admin = runtime.administration

    def admin_page(request: Request, viewer: Any, *, status: int = 200, **context: Any) -> Response:
        accounts = admin.accounts(viewer.account)
        context = {"result": None, "error": None, "plan_text": "", **context}
        return site.page(request, viewer, "admin.html.j2", status=status, accounts=accounts,
                         unit_name=lambda u: unit_name(runtime, u) if u else "",
                         whole_network=viewer.account.unit_id is None,
                         changes_vi=CHANGES_VI, **context)

    @r.get("/quan-tri")
    async def home(request: Request) -> Response:
        viewer = await site.viewer(request, "admin")
        return admin_page(request, viewer)

    @r.post("/quan-tri/ke-hoach")
    async def load_plan(request: Request) -> Response:
        viewer = await site.viewer(request, "admin")
        form = await site.form(request, viewer)
        if viewer.account.unit_id is not None:
            # A plan is the whole network: an admin of one unit's subtree may not replace it.
            raise Refused(403, "Chỉ quản trị viên toàn mạng lưới mới được nạp kế hoạch.")
        text = await _plan_text(form)
        if not text.strip():
            return admin_page(request, viewer, status=422,
                              error={"field": None, "message_vi": "Chưa có nội dung kế hoạch: "
                                     "chọn tệp hoặc dán nội dung TOML."})
        if form.get("confirm") != "1":
            return admin_page(request, viewer, status=422, plan_text=text,
                              error={"field": "confirm", "message_vi": "Cần đánh dấu xác nhận "
                                     "đây là kế hoạch đầy đủ trước khi áp dụng."})

        def apply() -> LoadResult:
            return apply_plan(runtime.store, runtime.directory, parse_plan(text), runtime.clock)

        try:
            result = await run_in_threadpool(apply)
        except DomainError as err:
            return admin_page(request, viewer, status=err.status, plan_text=text,
                              error={"field": err.field, "message_vi": err.message_vi})
        if result.positions:
            await runtime.publication.published(result.positions[-1])
        log.info("web_plan_applied", by=viewer.account.username, changes=result.changes)
        return admin_page(request, viewer, result=result)

    r.include_router(account_pages(site, admin))
    r.include_router(assignment_pages(site, admin))
    return r
