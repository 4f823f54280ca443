"""The one jinja2 Environment, for every service: templates/ on disk, autoescaped but for
plain text, and the filters the templates use."""

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
        # Everything is escaped (report text is typed by cadres, never trusted as HTML) but
        # plain text, where "&" must reach an e-mail subject as "&", not "&amp;".
        autoescape=select_autoescape(enabled_extensions=(), disabled_extensions=("txt.j2",),
                                     default_for_string=True, default=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        # A template ending in a newline renders with it (a text body, a document).
        keep_trailing_newline=True,
    )
    env.filters["vn_time"] = vn_time
    return env
