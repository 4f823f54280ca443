"""NATS request/reply for machine clients (services/common/contracts.py): the same use cases
as HTTP, the same answers, the same scopes.

These are the public subjects, the only ones the NATS user `client` may publish to
(services/common/nats_auth.py). Each request but auth.token carries a bearer token, checked
first (401); what the token's account may see is checked as over HTTP; then the aggregator
or the notifier is asked on an internal subject, naming that account, which it checks again.

A new public handler follows the same steps: decode (its request class has ``token``),
``account = await authenticated(request.token)``, check scope as its HTTP twin does, call
the port with ``account.id``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, cast

from fastapi.concurrency import run_in_threadpool
from faststream.nats import NatsBroker, NatsRouter

from domain.access import may_read_rollup
from domain.errors import NotFound
from services.common import contracts
from services.common.contracts import (
    Alerts,
    ClientAck,
    ClientAlerts,
    ClientOverdue,
    ClientRollup,
    GetReport,
    OverduePage,
    Reply,
    RollupReply,
    SignIn,
    SubmitReport,
    Token,
)
from services.common.rpc_server import answer
from services.common.runner import start_broker
from services.intake.directory import AccountView, Directory
from services.intake.ports import Aggregator, Notifier
from services.intake.service import IntakeService

QUEUE = "tinhhinh-intake"

# Publication.published: what a write stored, up to its position, is on the stream (False
# if not in time).
Publish = Callable[[int | None, Sequence[Any]], Awaitable[bool]]


@dataclass(frozen=True)
class Ports:
    """What the public handlers that the other services answer need."""

    directory: Directory
    aggregator: Aggregator
    notifier: Notifier


def build_router(service: IntakeService, publish: Publish, ports: Ports) -> NatsRouter:
    router = NatsRouter()

    async def authenticated(token: str) -> AccountView:
        return await run_in_threadpool(service.authenticate, token)

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

    async def rollup(request: ClientRollup) -> RollupReply:
        account = await authenticated(request.token)
        await run_in_threadpool(ports.directory.refresh)
        if not may_read_rollup(ports.directory.view, account.role, account.unit_id,
                               request.unit_id):
            raise NotFound("not_found", "unit not found", "Không tìm thấy đơn vị")
        return await ports.aggregator.rollup(account.id, request.unit_id, request.period,
                                             request.format)

    async def alerts(request: ClientAlerts) -> Reply[Alerts]:
        account = await authenticated(request.token)
        return {"status": 200, "body": await ports.notifier.alerts(
            account.id, request.status or "open", request.limit, request.cursor)}

    async def ack(request: ClientAck) -> Reply[dict[str, Any]]:
        account = await authenticated(request.token)
        return {"status": 200, "body": await ports.notifier.ack(account.id, request.alert_id)}

    async def overdue(request: ClientOverdue) -> Reply[OverduePage]:
        account = await authenticated(request.token)
        return {"status": 200, "body": await ports.notifier.overdue(
            request.at, account.id, request.limit, request.cursor)}

    answer(router, contracts.AUTH_TOKEN, QUEUE, token)
    answer(router, contracts.REPORTS_SUBMIT, QUEUE, submit)
    answer(router, contracts.REPORTS_GET, QUEUE, get)
    answer(router, contracts.PUBLIC_ROLLUPS_GET, QUEUE, rollup)
    answer(router, contracts.PUBLIC_ALERTS_LIST, QUEUE, alerts)
    answer(router, contracts.PUBLIC_ALERTS_ACK, QUEUE, ack)
    answer(router, contracts.PUBLIC_OVERDUE, QUEUE, overdue)
    return router


async def start_rpc(nats_url: str, service: IntakeService, publish: Publish, ports: Ports,
                    auth: Mapping[str, Any] | None = None) -> NatsBroker:
    return await start_broker(nats_url, build_router(service, publish, ports), auth)
