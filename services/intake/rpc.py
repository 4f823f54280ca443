"""NATS request/reply for machine clients (services/common/contracts.py): the same use cases
as HTTP, the same answers."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import Any, cast

from fastapi.concurrency import run_in_threadpool
from faststream.nats import NatsBroker, NatsRouter

from services.common import contracts
from services.common.contracts import GetReport, Reply, SignIn, SubmitReport, Token
from services.common.rpc_server import answer
from services.common.runner import start_broker
from services.intake.service import IntakeService

QUEUE = "tinhhinh-intake"

# Publication.published: what a write stored, up to its position, is on the stream (False
# if not in time).
Publish = Callable[[int | None, Sequence[Any]], Awaitable[bool]]


def build_router(service: IntakeService, publish: Publish) -> NatsRouter:
    router = NatsRouter()

    async def token(request: SignIn) -> Reply[Token]:
        body = await run_in_threadpool(service.sign_in, request.username, request.password)
        return {"status": 200, "body": cast(Token, body)}

    async def submit(request: SubmitReport) -> Reply[dict[str, Any]]:
        account = await run_in_threadpool(service.authenticate, request.token)
        outcome = await run_in_threadpool(service.submit, account, request.idempotency_key,
                                          request.report)
        published = await publish(outcome.position, outcome.recordings)
        return {"status": outcome.status, "body": {**outcome.report, "published": published}}

    async def get(request: GetReport) -> Reply[dict[str, Any]]:
        account = await run_in_threadpool(service.authenticate, request.token)
        return {"status": 200,
                "body": await run_in_threadpool(service.get_report, account, request.report_id)}

    answer(router, contracts.AUTH_TOKEN, QUEUE, token)
    answer(router, contracts.REPORTS_SUBMIT, QUEUE, submit)
    answer(router, contracts.REPORTS_GET, QUEUE, get)
    return router


async def start_rpc(nats_url: str, service: IntakeService, publish: Publish) -> NatsBroker:
    return await start_broker(nats_url, build_router(service, publish))
