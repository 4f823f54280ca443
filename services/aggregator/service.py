"""Rollup queries as the RPC and the CLI answer them: JSON, the HTML document, the .docx file."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import aiosqlite

from domain.clock import Clock
from domain.periods import Period
from services.aggregator import document
from services.aggregator.excerpts import gravest_reports
from services.aggregator.network_index import NetworkIndex
from services.aggregator.rollup import Rollups, unit_not_found

FORMATS = ("json", "html", "docx")  # the CLI's; the RPC also answers "article"


class RollupService:
    """Rollups and their documents from one read-only connection and an injected clock."""

    def __init__(self, db: aiosqlite.Connection, network: Callable[[], NetworkIndex],
                 clock: Clock):
        self.db = db
        self.network = network
        self.clock = clock
        self.rollups = Rollups(db, network)

    async def rollup(self, unit_id: str, period: str) -> dict[str, Any]:
        return await self.rollups.rollup(unit_id, period)

    async def document(self, unit_id: str, period: str) -> dict[str, Any]:
        rollup = await self.rollups.rollup(unit_id, period)
        network = self.network()
        if network.unit(unit_id) is None:
            raise unit_not_found(unit_id)
        excerpts = await gravest_reports(self.db, network, unit_id, Period.parse(period))
        return document.build(rollup, excerpts, network, self.clock.now())

    async def html(self, unit_id: str, period: str) -> str:
        from services.aggregator.render import render_html

        return render_html(await self.document(unit_id, period))

    async def article(self, unit_id: str, period: str) -> str:
        from services.aggregator.render import render_article

        return render_article(await self.document(unit_id, period))

    async def docx(self, unit_id: str, period: str) -> bytes:
        from services.aggregator.docx_export import render_docx

        context = await self.document(unit_id, period)
        # python-docx is pure Python and slow on long tables: keep the loop free.
        return await asyncio.to_thread(render_docx, context)
