"""The one jinja2 Environment: templates/ on disk, autoescaping HTML, Vietnamese dates."""

from __future__ import annotations

from datetime import datetime
from functools import cache
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from domain.clock import VN

TEMPLATES = Path(__file__).resolve().parents[2] / "templates"


def vn_time(value: datetime | str | None, fmt: str = "%H:%M ngày %d/%m/%Y") -> str:
    """An instant shown in Vietnam time, as people there read it."""
    if value is None:
        return ""
    at = datetime.fromisoformat(value) if isinstance(value, str) else value
    return at.astimezone(VN).strftime(fmt)


@cache
def environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=select_autoescape(["html", "htm", "xml", "j2"]),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["vn_time"] = vn_time
    return env
