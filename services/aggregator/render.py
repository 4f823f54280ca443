"""The report document as HTML, from templates/rollup.html.j2."""

from __future__ import annotations

from typing import Any

from services.common.templating import environment


def render_html(document: dict[str, Any]) -> str:
    return environment().get_template("rollup.html.j2").render(**document)
