"""The aggregator's NATS request/reply: rollups and readiness (services/common/contracts.py).

Internal subjects: only the intake's NATS user may ask (services/common/nats_auth.py), on
behalf of the account it names. The intake has checked that account's scope before it asks;
the aggregator checks it again against its own view of the network, so a request that
reaches it by any other way still gets only what that account may read.
"""

from __future__ import annotations

import base64
from collections.abc import Callable, Mapping
from typing import Any
from uuid import UUID

import structlog
from faststream.nats import NatsBroker, NatsRouter

from domain.access import may_read_rollup
from domain.errors import Forbidden, NotFound
from services.aggregator.service import RollupService
from services.common import contracts
from services.common.contracts import Empty, GetRollup, Health, RollupReply
from services.common.network_view import NetworkView
from services.common.rpc_server import answer
from services.common.runner import start_broker

QUEUE = "tinhhinh-aggregator"


def check_scope(view: NetworkView, account_id: str, unit_id: str) -> None:
    """As `GET /api/v1/units/{unit_id}/rollups/{period}`: an account that may not read the
    unit is told it is not there (404); an account the network does not know, or one no
    longer active, is refused (403)."""
    try:
        account = view.accounts.get(UUID(account_id))
    except ValueError:
        account = None
    if account is None or not account.active:
        raise Forbidden("forbidden", "this account may not read rollups",
                        "Tài khoản này không được xem số liệu tổng hợp")
    if not may_read_rollup(view, account.role, account.unit_id, unit_id):
        raise NotFound("not_found", "unit not found", "Không tìm thấy đơn vị")


async def rollup_reply(service: RollupService, request: GetRollup) -> RollupReply:
    """The rollup as JSON, its report document as HTML (the page, or the article alone), or
    the .docx in base64."""
    unit_id, period = request.unit_id, request.period
    check_scope(service.network().view, request.account_id, unit_id)
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
                    health: Callable[[], dict[str, Any]],
                    auth: Mapping[str, Any] | None = None) -> NatsBroker:
    return await start_broker(nats_url, build_router(service, health), auth)
