"""Rollup queries as the RPC and the CLI answer them: JSON, the HTML document, the .docx file."""

from __future__ import annotations

import asyncio
import base64
from collections.abc import Callable
from typing import Any

import aiosqlite
import structlog

from domain.clock import Clock
from domain.errors import DomainError, InvalidInput
from domain.periods import Period
from services.aggregator import document
from services.aggregator.excerpts import gravest_reports
from services.aggregator.network_index import NetworkIndex
from services.aggregator.rollup import Rollups, unit_not_found

log = structlog.get_logger(__name__)

FORMATS = ("json", "html", "docx")


def _invalid(field: str, en: str, vi: str) -> InvalidInput:
    return InvalidInput("invalid_field", f"{field}: {en}", f"{field}: {vi}", field)


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

    async def docx(self, unit_id: str, period: str) -> bytes:
        from services.aggregator.docx_export import render_docx

        context = await self.document(unit_id, period)
        # python-docx is pure Python and slow on long tables: keep the loop free.
        return await asyncio.to_thread(render_docx, context)

    async def answer(self, request: object) -> dict[str, Any]:
        """The RPC contract: ``{"status": 200, "body"|"html"|"docx": ...}`` or an error body."""
        try:
            if not isinstance(request, dict):
                raise InvalidInput("invalid_json", "The request must be a JSON object",
                                   "Yêu cầu phải là một đối tượng JSON", "body")
            unit_id, period = request.get("unit_id"), request.get("period")
            fmt = request.get("format", "json")
            if not isinstance(unit_id, str) or not unit_id:
                raise _invalid("unit_id", "must be a unit id", "phải là mã đơn vị")
            if not isinstance(period, str):
                raise _invalid("period", "must be a period such as 2026-W48",
                               "phải là kỳ báo cáo, ví dụ 2026-W48")
            if fmt not in FORMATS:
                raise _invalid("format", "must be json, html or docx",
                               "phải là json, html hoặc docx")
            structlog.contextvars.bind_contextvars(unit_id=unit_id, period=period)
            try:
                if fmt == "html":
                    return {"status": 200, "html": await self.html(unit_id, period)}
                if fmt == "docx":
                    data = await self.docx(unit_id, period)
                    return {"status": 200, "docx": base64.b64encode(data).decode(),
                            "filename": f"bao-cao-{unit_id}-{period}.docx"}
                return {"status": 200, "body": await self.rollup(unit_id, period)}
            finally:
                structlog.contextvars.unbind_contextvars("unit_id", "period")
        except DomainError as err:
            log.info("rollup_refused", code=err.code)
            return {"status": err.status, "body": {"error": err.as_dict()}}
