"""The answering side of a contract (services/common/contracts.py): decode, call, reply.

A handler gets its request decoded strictly and returns its reply; whatever goes wrong
comes back to the caller as an error reply, never as an exception that leaves it waiting
for its timeout.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import structlog
from faststream.nats import NatsRouter
from faststream.nats.annotations import NatsMessage

from domain.errors import DomainError
from services.common.contracts import ErrorReply, Rep, Req, Rpc, error_reply

log = structlog.get_logger(__name__)

Handler = Callable[[Req], Awaitable[Rep]]


def _failed() -> DomainError:
    err = DomainError("internal_error", "The service failed to answer; try again",
                      "Dịch vụ gặp lỗi khi xử lý yêu cầu, vui lòng thử lại")
    err.status = 500
    return err


async def respond(rpc: Rpc[Req, Rep], data: bytes, handle: Handler[Req, Rep]) -> Rep | ErrorReply:
    """`handle`'s reply to the request in `data`, or the error reply of its refusal."""
    try:
        return await handle(rpc.decode(data))
    except DomainError as err:
        log.info("rpc_refused", subject=rpc.subject, code=err.code, field=err.field)
        return error_reply(err)
    except Exception:  # a bug in one request must not take the subscription down with it
        log.exception("rpc_failed", subject=rpc.subject)
        return error_reply(_failed())


def answer(router: NatsRouter, rpc: Rpc[Req, Rep], queue: str,
           handle: Handler[Req, Rep]) -> None:
    """Subscribe `handle` to `rpc`'s subject in the service's queue group."""

    async def on_message(msg: NatsMessage) -> Any:  # Any: faststream encodes it as it is
        return await respond(rpc, msg.body, handle)

    router.subscriber(rpc.subject, queue=queue)(on_message)
