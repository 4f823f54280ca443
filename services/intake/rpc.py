"""NATS request/reply for machine clients: the same use cases as HTTP, the same answers.

Subjects (request JSON → reply ``{"status": <HTTP-like code>, "body": {...}}``):
``tinhhinh.rpc.v1.auth.token`` ``{"username", "password"}``;
``tinhhinh.rpc.v1.reports.submit`` ``{"token", "idempotency_key", "report": {...}}``;
``tinhhinh.rpc.v1.reports.get`` ``{"token", "report_id"}``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from fastapi.concurrency import run_in_threadpool
from faststream.nats import NatsBroker, NatsRouter

from domain.errors import DomainError, InvalidInput
from services.common.runner import start_broker

if TYPE_CHECKING:
    from services.intake.bootstrap import Runtime

PREFIX = "tinhhinh.rpc.v1"
QUEUE = "tinhhinh-intake"


def _error(err: DomainError) -> dict[str, Any]:
    return {"status": err.status, "body": {"error": err.as_dict()}}


def _bad_request() -> InvalidInput:
    return InvalidInput("invalid_json", "The request must be a JSON object",
                        "Yêu cầu phải là một đối tượng JSON", "body")


def build_router(runtime: Runtime) -> NatsRouter:
    router = NatsRouter(prefix=f"{PREFIX}.")
    service = runtime.service

    async def answer(call: Callable[[], Any], status: int = 200) -> dict[str, Any]:
        try:
            return {"status": status, "body": await call()}
        except DomainError as err:
            return _error(err)

    @router.subscriber("auth.token", queue=QUEUE)
    async def token(msg: Any) -> dict[str, Any]:
        if not isinstance(msg, dict):
            return _error(_bad_request())
        return await answer(lambda: run_in_threadpool(
            service.sign_in, msg.get("username"), msg.get("password")))

    @router.subscriber("reports.submit", queue=QUEUE)
    async def submit(msg: Any) -> dict[str, Any]:
        if not isinstance(msg, dict):
            return _error(_bad_request())
        try:
            account = await run_in_threadpool(service.authenticate, str(msg.get("token", "")))
            key = msg.get("idempotency_key")
            outcome = await run_in_threadpool(
                service.submit, account, key if isinstance(key, str) else None,
                msg.get("report"))
        except DomainError as err:
            return _error(err)
        published = await runtime.publication.published(outcome.position, outcome.recordings)
        return {"status": outcome.status, "body": {**outcome.report, "published": published}}

    @router.subscriber("reports.get", queue=QUEUE)
    async def get(msg: Any) -> dict[str, Any]:
        if not isinstance(msg, dict):
            return _error(_bad_request())

        async def call() -> Any:
            account = await run_in_threadpool(service.authenticate, str(msg.get("token", "")))
            return await run_in_threadpool(service.get_report, account,
                                           str(msg.get("report_id", "")))
        return await answer(call)

    return router


async def start_rpc(runtime: Runtime) -> NatsBroker:
    return await start_broker(runtime.settings.nats_url, build_router(runtime))
