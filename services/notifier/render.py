"""Digests as people read them: Vietnamese subject and bodies from templates/alert_*."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Any

from jinja2 import Template

from services.common.templating import environment

_KIND_VI = {"reminder": "nhắc hạn", "overdue": "quá hạn", "hot_spot": "điểm nóng",
            "unit_report": "báo cáo mới", "returned": "trả lại để sửa"}
_GROUP_VI = {"reminder": "Nhắc hạn", "overdue": "Quá hạn", "hot_spot": "Điểm nóng",
             "unit_report": "Báo cáo mới", "returned": "Trả lại để sửa"}


@dataclass(frozen=True)
class Message:
    subject: str
    text: str
    html: str


def _template(name: str) -> Template:
    return environment().get_template(name)


def summary(items: list[dict[str, Any]]) -> str:
    """`2 quá hạn, 1 điểm nóng`: what a digest holds, in a few words."""
    counts = Counter(str(it["kind"]) for it in items)
    return ", ".join(f"{n} {_KIND_VI.get(k, k)}" for k, n in sorted(counts.items()))


def _subject(context: dict[str, Any]) -> str:
    # A subject is one header line whatever the data holds.
    return " ".join(_template("alert_subject.txt.j2").render(context).split())[:250]


def headline(item: dict[str, Any]) -> str:
    """One alert in one Vietnamese line: the subject a digest of it alone would have."""
    items = [{**item, "step": item.get("step", "raised")}]
    return _subject({"items": items, "summary": summary(items)})


def group_title(item: dict[str, Any], count: int) -> str:
    """A group of alerts in one Vietnamese line: its type, kind, period, unit and count."""
    parts = [_GROUP_VI.get(str(item["kind"]), str(item["kind"])), str(item["report_kind_vi"])]
    if item.get("period"):
        parts.append(f"kỳ {item['period']}")
    title = " ".join(parts)
    if item.get("unit_name"):
        title += f" — {item['unit_name']}"
    return f"{title} ({count})"


def render(payload: dict[str, Any]) -> Message:
    """Render a delivery's payload (see digest.digests) into subject, text and HTML."""
    context = {"name": payload.get("name", ""), "items": payload.get("items", []),
               "base_url": payload.get("base_url"), "summary": summary(payload.get("items", []))}
    subject = _subject(context)
    return Message(
        subject=subject,
        text=_template("alert_body.txt.j2").render(context),
        html=_template("alert_body.html.j2").render({**context, "subject": subject}),
    )
