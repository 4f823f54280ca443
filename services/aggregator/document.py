"""A rollup laid out as the unit's periodic report (Nghị định 30/2020, Hướng dẫn 36-HD/VPTW)."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from domain.periods import REPORT_KIND_CADENCE, Period
from domain.report_content import ASSESSMENTS, CATEGORIES, SECTIONS, SEVERITIES
from services.aggregator.excerpts import Excerpt
from services.aggregator.network_index import NetworkIndex
from services.common.official_document import closing, layout_of, letterhead, span

PER_SECTION = 10
MISSING_SHOWN = 50
# Characters of each quoted summary or section: the document quotes, the report holds it all;
# with every list capped too, no document outgrows one NATS message (1 MB).
EXCERPT_CHARS = 600
# Headings of part II, in the brief's order; hot spots, difficulties and proposals have parts.
SITUATION = ("socio_economic", "defence_security", "political_system", "resolutions",
             "life_and_mood", "relations", "opinions", "complaints", "sources")
COUNT_LABELS = {
    "complaints_received": "Đơn thư khiếu nại, tố cáo tiếp nhận",
    "complaints_resolved": "Đơn thư khiếu nại, tố cáo đã giải quyết",
    "denunciations_received": "Đơn thư tố cáo tiếp nhận",
    "meetings": "Cuộc họp, sinh hoạt",
    "households_visited": "Lượt hộ dân được nắm tình hình",
    "members_contacted": "Lượt hội viên được nắm tình hình",
    "opinions": "Ý kiến, kiến nghị của nhân dân",
}
KIND_VI = {"weekly": "báo cáo tuần", "monthly": "báo cáo tháng", "quarterly": "báo cáo quý",
           "semiannual": "báo cáo 6 tháng", "annual": "báo cáo năm", "urgent": "báo cáo đột xuất"}


def _percent(rate: float | None) -> str:
    return "—" if rate is None else f"{rate * 100:.1f}%".replace(".", ",")


def _short(stamp: str | None, tz: ZoneInfo) -> str:
    if not stamp:
        return ""
    return datetime.fromisoformat(stamp).astimezone(tz).strftime("%H:%M %d/%m/%Y")


def periods_text(periods: list[str]) -> str:
    """A person's missed periods, by kind in the order met: "báo cáo tuần 2026-W48,
    2026-W47; báo cáo tháng 2026-11"; one period reads as it did before grouping."""
    kinds = {cadence: kind for kind, cadence in REPORT_KIND_CADENCE.items()}
    by_kind: dict[str, list[str]] = defaultdict(list)
    for text in periods:
        by_kind[kinds[Period.parse(text).cadence]].append(text)
    return "; ".join(f"{KIND_VI.get(kind, kind)} {', '.join(texts)}"
                     for kind, texts in by_kind.items())


def _source(network: NetworkIndex, e: Excerpt) -> str:
    what = KIND_VI.get(e.kind, e.kind) + (f" {e.period}" if e.period else "")
    return (f"{network.name('areas', e.area_id)} — đ/c {network.name('cadres', e.cadre_id)} "
            f"({what})")


def _excerpt(text: str) -> str:
    return text if len(text) <= EXCERPT_CHARS else text[:EXCERPT_CHARS - 1] + "…"


def _sections(network: NetworkIndex, excerpts: list[Excerpt]) -> dict[str, dict[str, Any]]:
    found: dict[str, list[dict[str, str]]] = defaultdict(list)
    for e in excerpts:
        for key, text in e.sections.items():
            found[key].append({"source": _source(network, e), "text": _excerpt(text),
                               "assessment": ASSESSMENTS.get(e.assessment, e.assessment)})
    return {key: {"heading": heading, "items": found[key][:PER_SECTION],
                  "more": max(0, len(found[key]) - PER_SECTION)}
            for key, heading in SECTIONS.items()}


def build(rollup: dict[str, Any], excerpts: list[Excerpt], network: NetworkIndex,
          now: datetime) -> dict[str, Any]:
    """Everything the HTML and .docx renderings show, already worded."""
    unit = network.view.units[rollup["unit_id"]]
    tz = network.calendar.schedule.tz
    period = Period.parse(rollup["period"])
    start = datetime.fromisoformat(rollup["start"]).astimezone(tz)
    last_day = datetime.fromisoformat(rollup["end"]).astimezone(tz) - timedelta(days=1)
    sections = _sections(network, excerpts)
    summaries = [{"source": _source(network, e), "text": _excerpt(e.summary),
                  "assessment": ASSESSMENTS.get(e.assessment, e.assessment)}
                 for e in excerpts if e.summary and e.assessment != "stable"][:PER_SECTION]
    return {
        # A rollup is the unit's working document, not yet numbered or signed: the number
        # line keeps its form with "…", the signature its title with room to sign.
        "letterhead": letterhead(unit, None, now.astimezone(tz)),
        "layout": layout_of(unit),
        "title": "BÁO CÁO",
        "subject": f"Tình hình nhân dân và kết quả nắm tình hình {span(period)}",
        "span": span(period),
        "range": f"từ ngày {start:%d/%m/%Y} đến ngày "
                 f"{last_day:%d/%m/%Y}",
        "unit_name": unit.name,
        "rollup": rollup,
        "completeness": _percent(rollup["completeness"]),
        "on_time_rate": _percent(rollup["on_time_rate"]),
        "assessment": ASSESSMENTS.get(rollup["assessment"] or "", "chưa có báo cáo"),
        "assessments": {ASSESSMENTS[k]: v for k, v in rollup["assessments"].items()},
        "children": [{**c, "completeness_text": _percent(c["completeness"]),
                      "assessment_text": ASSESSMENTS.get(c["assessment"] or "", "—")}
                     for c in rollup["children"]],
        "missing": [{**m, "deadline_text": _short(m["deadline"], tz),
                     "due": datetime.fromisoformat(m["deadline"]) <= now,
                     "kind_text": KIND_VI.get(m["kind"], m["kind"]),
                     "periods_text": periods_text(m["periods"])}
                    for m in rollup["missing"][:MISSING_SHOWN]],
        # Entries (people), not missed reports: the list shows each person once.
        "missing_more": rollup["missing_entries"] - min(len(rollup["missing"]), MISSING_SHOWN),
        "hot_spots": [{**h, "when": _short(h["submitted_at"], tz),
                       "category_text": CATEGORIES.get(h["category"], h["category"]),
                       "severity_text": SEVERITIES.get(h["severity"], h["severity"])}
                      for h in rollup["hot_spots"]],
        "hot_spots_more": rollup["hot_spot_count"] - len(rollup["hot_spots"]),
        "counts": [(COUNT_LABELS.get(k, k.replace("_", " ")), v)
                   for k, v in rollup["counts"].items()],
        "summaries": summaries,
        "situation": [sections[k] for k in SITUATION],
        "hot_spot_notes": sections["hot_spots"],
        "difficulties": sections["difficulties"],
        "proposals": sections["proposals"],
        "closing": closing(unit, network.view.units, network.view.areas),
    }
