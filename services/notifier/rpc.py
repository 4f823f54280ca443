"""NATS request/reply for the intake, which authenticates and passes the caller's account id.

Subjects (request JSON → reply ``{"status": <HTTP-like code>, "body": ...}``, errors as
``{"error": {"code", "message", "message_vi", "field"}}``):
``tinhhinh.rpc.v1.alerts.list`` ``{"account_id", "status"}`` → ``{"alerts": [...]}``;
``tinhhinh.rpc.v1.alerts.ack`` ``{"account_id", "alert_id"}`` → the alert;
``tinhhinh.rpc.v1.overdue`` ``{"at", "account_id"?}`` → CONTRACT's overdue list;
``tinhhinh.rpc.v1.notifier.health`` ``{}`` → readiness.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from faststream.nats import NatsBroker, NatsRouter

from domain.errors import DomainError, InvalidInput
from services.common.runner import start_broker
from services.notifier.service import parse_at

if TYPE_CHECKING:
    from services.notifier.bootstrap import Runtime

PREFIX = "tinhhinh.rpc.v1"
QUEUE = "tinhhinh-notifier"


def _error(err: DomainError) -> dict[str, Any]:
    return {"status": err.status, "body": {"error": err.as_dict()}}


async def _answer(msg: Any, call: Callable[[dict[str, Any]], Awaitable[Any]]) -> dict[str, Any]:
    if not isinstance(msg, dict):
        return _error(InvalidInput("invalid_json", "The request must be a JSON object",
                                   "Yêu cầu phải là một đối tượng JSON", "body"))
    try:
        return {"status": 200, "body": await call(msg)}
    except DomainError as err:
        return _error(err)


def build_router(runtime: Runtime) -> NatsRouter:
    router = NatsRouter(prefix=f"{PREFIX}.")
    service = runtime.service

    @router.subscriber("alerts.list", queue=QUEUE)
    async def list_alerts(msg: Any) -> dict[str, Any]:
        async def call(m: dict[str, Any]) -> Any:
            return await runtime.call(service.alerts_for, str(m.get("account_id", "")),
                                      m.get("status"), m.get("limit"), m.get("cursor"))
        return await _answer(msg, call)

    @router.subscriber("alerts.ack", queue=QUEUE)
    async def ack(msg: Any) -> dict[str, Any]:
        async def call(m: dict[str, Any]) -> Any:
            return await runtime.call(service.acknowledge, str(m.get("account_id", "")),
                                      str(m.get("alert_id", "")))
        return await _answer(msg, call)

    @router.subscriber("overdue", queue=QUEUE)
    async def overdue(msg: Any) -> dict[str, Any]:
        async def call(m: dict[str, Any]) -> Any:
            account = m.get("account_id")
            return await runtime.call(service.overdue, parse_at(m.get("at")),
                                      None if account is None else str(account))
        return await _answer(msg, call)

    @router.subscriber("notifier.health", queue=QUEUE)
    async def health(msg: Any) -> dict[str, Any]:
        return {"status": 200, "body": runtime.health()}

    return router


async def start_rpc(runtime: Runtime) -> NatsBroker:
    return await start_broker(runtime.settings.nats_url, build_router(runtime))
