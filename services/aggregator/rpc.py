"""The aggregator's NATS request/reply: rollups and readiness (services/common/contracts.py).

The caller has checked scope before it asks for a rollup.
"""

from __future__ import annotations

import base64
from collections.abc import Callable
from typing import Any

import structlog
from faststream.nats import NatsBroker, NatsRouter

from services.aggregator.service import RollupService
from services.common import contracts
from services.common.contracts import Empty, GetRollup, Health, RollupReply
from services.common.rpc_server import answer
from services.common.runner import start_broker

QUEUE = "tinhhinh-aggregator"


async def rollup_reply(service: RollupService, request: GetRollup) -> RollupReply:
    """The rollup as JSON, its report document as HTML (the page, or the article alone), or
    the .docx in base64."""
    unit_id, period = request.unit_id, request.period
    structlog.contextvars.bind_contextvars(unit_id=unit_id, period=period)
    try:
        if request.format == "html":
            return {"status": 200, "html": await service.html(unit_id, period)}
        if request.format == "article":
            return {"status": 200, "html": await service.article(unit_id, period)}
        if request.format == "docx":
            data = await service.docx(unit_id, period)
            return {"status": 200, "docx": base64.b64encode(data).decode(),
                    "filename": f"bao-cao-{unit_id}-{period}.docx"}
        return {"status": 200, "body": await service.rollup(unit_id, period)}
    finally:
        structlog.contextvars.unbind_contextvars("unit_id", "period")


def build_router(service: Callable[[], RollupService],
                 health: Callable[[], dict[str, Any]]) -> NatsRouter:
    """`service` is asked at each request: the runtime builds it once the read model is open."""
    router = NatsRouter()

    async def get(request: GetRollup) -> RollupReply:
        return await rollup_reply(service(), request)

    async def ready(_: Empty) -> Health:
        return {"status": 200, "body": health()}

    answer(router, contracts.ROLLUPS_GET, QUEUE, get)
    answer(router, contracts.AGGREGATOR_HEALTH, QUEUE, ready)
    return router


async def start_rpc(nats_url: str, service: Callable[[], RollupService],
                    health: Callable[[], dict[str, Any]]) -> NatsBroker:
    return await start_broker(nats_url, build_router(service, health))
