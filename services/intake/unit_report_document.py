"""A unit report laid out as the unit's official document, with the same layer as the rollup
document (services/common/official_document.py, templates/official/): letterhead and number
by the issuing body, title and subject with the period, the seed 002 §3 content, the rollup
figures it was drafted from, "Nơi nhận" and the signer."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from domain.clock import VN
from domain.network_records import Area, Unit
from domain.periods import Period
from domain.report_content import ASSESSMENTS, CATEGORIES, SEVERITIES
from domain.unit_report_content import UNIT_SECTIONS
from services.common.official_document import (
    Addressee,
    Closing,
    addressees,
    layout_of,
    letterhead,
    recipient_lines,
    signature,
    span,
)
from services.common.templating import environment

# Part II's headings in the brief's order; the unit's own parts follow as parts of their own.
SITUATION = ("socio_economic", "defence_security", "political_system", "resolutions",
             "life_and_mood", "relations", "opinions", "complaints", "sources")
KIND_SUBJECT = {"urgent": "Báo cáo nhanh tình hình đột xuất"}
MISSING_SHOWN = 50


def _percent(rate: Any) -> str:
    return "—" if not isinstance(rate, (int, float)) else f"{rate * 100:.1f}%".replace(".", ",")


def _local(stamp: str | None) -> datetime | None:
    return None if not stamp else datetime.fromisoformat(stamp).astimezone(VN)


def _closing(report: Mapping[str, Any], unit: Unit, units: Mapping[str, Unit],
             areas: Mapping[str, Area]) -> Closing:
    """The plan's addressees while a draft; once sent, the units it went to, parent first."""
    planned = addressees(unit, units, areas)
    sent_to = list(report.get("recipients") or [])
    if sent_to:
        informed = {a.name: a.informed_only for a in planned}
        names = [units[u].name if u in units else u for u in sent_to]
        planned = tuple(Addressee(n, informed.get(n, False) and i > 0)
                        for i, n in enumerate(names))
    signer = report.get("signer") or {}
    layout = layout_of(unit)
    return Closing(layout, recipient_lines(layout, planned),
                   signature(unit, signer.get("name"), signer.get("title")))


def build(report: Mapping[str, Any], unit: Unit, units: Mapping[str, Unit],
          areas: Mapping[str, Area], now: datetime) -> dict[str, Any]:
    """Everything the HTML and the .docx show, already worded. `report` is the API's JSON."""
    sent = _local(report.get("sent_at"))
    period = None if not report.get("period") else Period.parse(str(report["period"]))
    content = report.get("content") or {}
    sections = content.get("sections") or {}
    rollup = (report.get("prefill") or {}).get("rollup") or None
    when = span(period) if period is not None else ""
    subject = KIND_SUBJECT.get(str(report.get("kind")),
                               f"Tình hình nhân dân và kết quả nắm tình hình {when}".strip())
    missing = [] if rollup is None else [
        {"cadre_name": m.get("cadre_name") or m.get("cadre_id") or "",
         "area_name": m.get("area_name") or m.get("area_id") or "",
         "periods": ", ".join(m.get("periods") or [])}
        for m in (rollup.get("missing") or [])[:MISSING_SHOWN]]
    hot_spots = [] if rollup is None else [
        {"title": h.get("title", ""), "description": h.get("description", ""),
         "category": CATEGORIES.get(h.get("category", ""), h.get("category", "")),
         "severity": SEVERITIES.get(h.get("severity", ""), h.get("severity", "")),
         "area": h.get("area_name") or h.get("area_id") or ""}
        for h in rollup.get("hot_spots") or []]
    return {
        "layout": layout_of(unit),
        "letterhead": letterhead(unit, report.get("number"), sent or now.astimezone(VN)),
        "title": "BÁO CÁO",
        "subject": subject,
        "range": "",
        "span": when,
        "unit_name": unit.name,
        "assessment": ASSESSMENTS.get(content.get("assessment") or "", "chưa đánh giá"),
        "summary": content.get("summary") or "",
        "rollup": rollup,
        "completeness": None if rollup is None else _percent(rollup.get("completeness")),
        "missing": missing,
        "hot_spots": hot_spots,
        "situation": [(UNIT_SECTIONS[k], sections[k]) for k in SITUATION if sections.get(k)],
        "hot_spot_notes": sections.get("hot_spots", ""),
        "unit_activities": sections.get("unit_activities", ""),
        "difficulties": sections.get("difficulties", ""),
        "forecast": sections.get("forecast", ""),
        "proposals": content.get("proposals") or "",
        "closing": _closing(report, unit, units, areas),
    }


def render_article(doc: Mapping[str, Any]) -> str:
    """The document alone (<article class="official page …">), for the web pages."""
    return environment().get_template("official/unit_report_article.html.j2").render(**doc)


def render_page(doc: Mapping[str, Any]) -> str:
    """A standalone page with the style inlined: the API's `Accept: text/html` answer."""
    return environment().get_template("official/unit_report.html.j2").render(**doc)


def filename(report: Mapping[str, Any]) -> str:
    """`bao-cao-ccb-thi-xa-2026-W48.docx`: ASCII only, safe in Content-Disposition."""
    period = report.get("period") or str(report.get("unit_report_id", ""))[:8]
    return f"bao-cao-{report['unit_id']}-{period}.docx"


def document_of(report: Mapping[str, Any], units: Mapping[str, Unit],
                areas: Mapping[str, Area], now: datetime) -> dict[str, Any]:
    """`build` for a report as `UnitReports.get` answers it, with the network's records."""
    unit = units.get(str(report["unit_id"])) or Unit(str(report["unit_id"]),
                                                      str(report["unit_id"]))
    return build(report, unit, units, areas, now)
