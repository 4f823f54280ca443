"""The leader's alerts: one line per group (type, report kind, period, unit), a GET filter
form, a group's own alerts a page at a time, and "Đã xem tất cả" acknowledging a group at
once through the notifier's `groups` and `ack_many`."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request, Response

from domain.alert import ALERT_KINDS
from domain.errors import DomainError
from domain.periods import Period
from services.intake.web.panels import alert_panel
from services.intake.web.reporting import KINDS_VI
from services.intake.web.route import WebRoute
from services.intake.web.site import Refused, Site, Viewer, new_key

HOME_GROUPS = 6  # about one phone screen on the home page; the rest on /lanh-dao/canh-bao
ALERTS_PER_PAGE = 20
TYPES_VI = {"reminder": "Nhắc hạn", "overdue": "Quá hạn", "hot_spot": "Điểm nóng",
            "unit_report": "Báo cáo của đơn vị", "returned": "Báo cáo bị trả lại"}
FILTERS = {"loai": "type", "bao_cao": "kind", "ky": "period"}  # web name → notifier's
LIST = "/lanh-dao/canh-bao"
# Where a posted form may send the leader back to: the home or the alert pages, never away.
_BACK = re.compile(r"/lanh-dao(/canh-bao)?(\?[^#\\/]*)?")


def _filters(request: Request) -> dict[str, str]:
    """The filter form's choices, the notifier's names; a ValueError (422) says what is wrong."""
    chosen = {api: (request.query_params.get(web) or "").strip() for web, api in FILTERS.items()}
    if chosen["type"] and chosen["type"] not in ALERT_KINDS:
        raise ValueError(f"Loại cảnh báo '{chosen['type']}' không có; chọn một trong danh sách.")
    if chosen["kind"] and chosen["kind"] not in KINDS_VI:
        raise ValueError(f"Loại báo cáo '{chosen['kind']}' không có; chọn một trong danh sách.")
    if chosen["period"]:
        try:
            chosen["period"] = str(Period.parse(chosen["period"]))
        except DomainError as exc:
            raise ValueError(exc.message_vi) from exc
    return {k: v for k, v in chosen.items() if v}


def _lines(found: list[dict[str, Any]], back: str) -> list[dict[str, Any]]:
    """One line per type, report kind and period: the notifier groups by unit as well, so
    one week's report missing from seventeen units is seventeen groups of one, and the
    leader acts on them as one. Groups without a period (hot spots) stay as they are."""
    merged: dict[tuple[str, str, str], list[dict[str, Any]]] = {}
    lines: list[tuple[str, Any]] = []
    for raw in found:
        period = str(raw.get("period") or "")
        if not period:
            lines.append((str(raw.get("newest_at") or ""), [raw]))
            continue
        key = (str(raw.get("type", "")), str(raw.get("kind", "")), period)
        if key not in merged:
            merged[key] = []
            lines.append((str(raw.get("newest_at") or ""), merged[key]))
        merged[key].append(raw)
    return [_line(members, back) for _, members in lines]


def _line(members: list[dict[str, Any]], back: str) -> dict[str, Any]:
    head = members[0]  # the newest: the notifier answers newest first
    opened = sum(int(g.get("open", g.get("count", 0))) for g in members)
    line: dict[str, Any] = {
            "title_vi": str(head.get("title_vi") or head.get("key", "")), "open": opened,
            "newest_at": head.get("newest_at"), "back": back, "group": "", "fields": {},
            "idempotency_key": new_key()}  # made now: a double submit is one acknowledgement
    if len(members) == 1:
        key = str(head.get("key", ""))
        line.update(group=key, href=f"{LIST}?{urlencode({'nhom': key})}")
        return line
    kind, type_ = str(head.get("kind", "")), str(head.get("type", ""))
    fields = {"loai": type_, "bao_cao": kind, "ky": str(head.get("period"))}
    line.update(fields=fields, href=f"{LIST}?{urlencode(fields)}", title_vi=(
        f"{TYPES_VI.get(type_, type_)} {KINDS_VI.get(kind, kind).lower()} kỳ {head['period']}"
        f" — {len(members)} đơn vị ({opened})"))
    return line


async def groups_panel(site: Site, viewer: Viewer, filters: dict[str, str] | None = None,
                       limit: int | None = None, back: str = "/lanh-dao") -> dict[str, Any]:
    """The template context of web/_alerts.html.j2: the open groups, newest first."""
    context: dict[str, Any] = {"alert_groups": [], "alert_groups_more": 0, "alerts_open": 0,
                               "alerts_error": None, "alert_filters": filters or {},
                               "alert_raw_groups": [],
                               "alert_period_raw": (filters or {}).get("period", ""),
                               "alert_types": TYPES_VI, "report_kinds": KINDS_VI}
    try:
        reply = await site.runtime.notifier.groups(viewer.account.id, "open", filters)
    except DomainError as exc:
        # The notifier down (or a refused filter) must not take the whole page with it.
        context.update(alerts_error=exc.message_vi, alerts_status=exc.status)
        return context
    found = list(reply.get("groups") or [])
    lines = _lines(found, back)
    shown = lines if limit is None else lines[:limit]
    context.update(alert_groups=shown, alert_raw_groups=found,
                   alert_groups_more=len(lines) - len(shown),
                   alerts_open=sum(line["open"] for line in lines))
    return context


def _back(form_value: object) -> str:
    value = form_value if isinstance(form_value, str) else ""
    return value if _BACK.fullmatch(value) else "/lanh-dao"


def _with(url: str, **params: str) -> str:
    return f"{url}{'&' if '?' in url else '?'}{urlencode(params)}"


def router(site: Site) -> APIRouter:
    r = APIRouter(route_class=WebRoute, include_in_schema=False)
    runtime = site.runtime

    @r.get(LIST)
    async def alerts(request: Request) -> Response:
        """Every open group, narrowed by the filter form; with `nhom`, that group's alerts."""
        viewer = await site.viewer(request, "leader")
        key = request.query_params.get("nhom") or None
        # The page itself, without its notices or cursor: where its forms send the leader back.
        base = {"nhom": key} if key else {w: request.query_params[w] for w in FILTERS
                                          if request.query_params.get(w)}
        back = f"{LIST}?{urlencode(base)}" if base else LIST
        try:
            filters = {} if key else _filters(request)
        except ValueError as exc:
            panel = await groups_panel(site, viewer, {}, back=back)
            panel.update(alerts_error=str(exc), alerts_status=422)
        else:
            panel = await groups_panel(site, viewer, filters, back=back)
        panel["alert_period_raw"] = request.query_params.get("ky") or ""  # kept as typed
        group = None
        if key:
            raw = next((g for g in panel["alert_raw_groups"] if g.get("key") == key), None)
            group = None if raw is None else _line([raw], back)
        listing, listing_error, cursor = None, None, request.query_params.get("canh_bao") or None
        if key or not panel["alerts_error"]:
            try:
                listing = await runtime.notifier.alerts(
                    viewer.account.id, "open", ALERTS_PER_PAGE, cursor,
                    {"group": key} if key else panel["alert_filters"])
            except DomainError as exc:
                listing_error = exc.message_vi
        status = 422 if panel.get("alerts_status") == 422 else 200  # the notifier down: 200
        return site.page(
            request, viewer, "alerts.html.j2", status=status,
            group=group, group_key=key, back=back, listing_error=listing_error,
            alerts=[alert_panel(runtime, a) for a in listing["alerts"]] if listing else [],
            alerts_total=listing["total"] if listing else 0,
            alerts_next=(f"{LIST}?{urlencode({**base, 'canh_bao': listing['next_cursor']})}"
                         if listing and listing["next_cursor"] else None),
            alerts_first=f"{LIST}?{urlencode(base)}" if cursor else None,
            acked=request.query_params.get("da_xac_nhan") == "1",
            seen=request.query_params.get("da_xem"), **panel)

    @r.post(f"{LIST}/nhom")
    async def acknowledge_group(request: Request) -> Response:
        """"Đã xem tất cả": every open alert of the group at once; the form's key makes a
        double submit one acknowledgement, and the same key for another group a 409."""
        viewer = await site.viewer(request, "leader")
        form = await site.form(request, viewer)
        idem = form.get("idempotency_key")
        if not isinstance(idem, str) or not idem.strip() or len(idem) > 200:
            raise Refused(422, "Biểu mẫu thiếu khoá chống gửi trùng. Vui lòng tải lại trang "
                               "rồi bấm lại.")
        key = form.get("nhom")
        if isinstance(key, str) and key.strip():
            selection = {"group": key.strip()}
        else:  # one line of several groups: its type, report kind and period, all three
            selection = {api: str(form.get(web) or "").strip() for web, api in FILTERS.items()}
            if not all(selection.values()):
                raise Refused(422, "Chưa chọn nhóm cảnh báo.")
        reply = await runtime.notifier.ack_many(viewer.account.id, idem.strip(), selection)
        seen = str(reply.get("acknowledged", 0))
        return site.redirect(_with(_back(form.get("ve")), da_xem=seen) + "#canh-bao")

    @r.post(LIST + "/{alert_id}")
    async def acknowledge(request: Request, alert_id: str) -> Response:
        viewer = await site.viewer(request, "leader")
        form = await site.form(request, viewer)
        await runtime.notifier.ack(viewer.account.id, alert_id)
        return site.redirect(_with(_back(form.get("ve")), da_xac_nhan="1") + "#danh-sach")

    return r
