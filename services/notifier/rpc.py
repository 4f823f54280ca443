"""The notifier's NATS request/reply (services/common/contracts.py): alerts, overdue, readiness.

The intake has authenticated the caller and passes its account id.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from faststream.nats import NatsBroker, NatsRouter

from services.common import contracts
from services.common.contracts import (
    AckAlert,
    AckAlerts,
    AlertGroups,
    Alerts,
    Empty,
    Health,
    ListAlerts,
    Overdue,
    OverduePage,
    Reply,
)
from services.common.rpc_server import answer
from services.common.runner import start_broker
from services.notifier.consumer import Call
from services.notifier.service import NotifierService, parse_at

QUEUE = "tinhhinh-notifier"


def build_router(service: NotifierService, call: Call,
                 health: Callable[[], dict[str, Any]]) -> NatsRouter:
    """`call` runs a service method on the service's own thread (the runtime's)."""
    router = NatsRouter()

    async def list_alerts(request: ListAlerts) -> Reply[Alerts]:
        return {"status": 200, "body": await call(service.alerts_for, request.account_id,
                                                  request.status, request.limit,
                                                  request.cursor, request.filters())}

    async def groups(request: AlertGroups) -> Reply[dict[str, Any]]:
        return {"status": 200, "body": await call(service.alert_groups, request.account_id,
                                                  request.status, request.filters())}

    async def ack_many(request: AckAlerts) -> Reply[dict[str, Any]]:
        return {"status": 200, "body": await call(service.acknowledge_many, request.account_id,
                                                  request.idempotency_key, request.filters())}

    async def ack(request: AckAlert) -> Reply[dict[str, Any]]:
        return {"status": 200, "body": await call(service.acknowledge, request.account_id,
                                                  request.alert_id)}

    async def overdue(request: Overdue) -> Reply[OverduePage]:
        return {"status": 200, "body": await call(service.overdue_page, parse_at(request.at),
                                                  request.account_id, request.limit,
                                                  request.cursor)}

    async def ready(_: Empty) -> Health:
        return {"status": 200, "body": health()}

    answer(router, contracts.ALERTS_LIST, QUEUE, list_alerts)
    answer(router, contracts.ALERTS_ACK, QUEUE, ack)
    answer(router, contracts.ALERTS_GROUPS, QUEUE, groups)
    answer(router, contracts.ALERTS_ACK_MANY, QUEUE, ack_many)
    answer(router, contracts.OVERDUE, QUEUE, overdue)
    answer(router, contracts.NOTIFIER_HEALTH, QUEUE, ready)
    return router


async def start_rpc(nats_url: str, service: NotifierService, call: Call,
                    health: Callable[[], dict[str, Any]],
                    auth: Mapping[str, Any] | None = None) -> NatsBroker:
    return await start_broker(nats_url, build_router(service, call, health), auth)
