"""The report document as HTML: the standalone page (templates/rollup.html.j2) or the article
alone (templates/rollup_article.html.j2) for the web page to embed."""

from __future__ import annotations

from typing import Any

from services.common.templating import environment


def render_html(document: dict[str, Any]) -> str:
    return environment().get_template("rollup.html.j2").render(**document)


def render_article(document: dict[str, Any]) -> str:
    return environment().get_template("rollup_article.html.j2").render(**document)
