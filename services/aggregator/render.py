"""The one jinja2 Environment of the report documents; it autoescapes everything."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined

TEMPLATES = Path(__file__).resolve().parents[2] / "templates"


@cache
def environment() -> Environment:
    # Autoescape on every template: report text is typed by cadres, never trusted as HTML.
    return Environment(loader=FileSystemLoader(TEMPLATES), autoescape=True,
                       undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True,
                       keep_trailing_newline=True)


def render_html(document: dict[str, Any]) -> str:
    return environment().get_template("rollup.html.j2").render(**document)
