"""NATS request/reply of the aggregator (faststream).

``tinhhinh.rpc.v1.rollups.get``: ``{"unit_id", "period", "format": "json"|"html"|"docx"}``
→ ``{"status": 200, "body": rollup}`` (``"html": text``; ``"docx": base64, "filename"``)
or ``{"status": 404|422, "body": {"error": {code, message, message_vi, field}}}``.
The caller has checked scope (`domain.access.may_read_rollup`).
``tinhhinh.rpc.v1.aggregator.health``: ``{}`` → ``{"status": 200, "body": health}``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from faststream.nats import NatsBroker, NatsRouter

from services.common.runner import start_broker

if TYPE_CHECKING:
    from services.aggregator.bootstrap import Runtime

PREFIX = "tinhhinh.rpc.v1"
QUEUE = "tinhhinh-aggregator"
ROLLUPS_GET = f"{PREFIX}.rollups.get"
HEALTH = f"{PREFIX}.aggregator.health"


def build_router(runtime: Runtime) -> NatsRouter:
    router = NatsRouter(prefix=f"{PREFIX}.")

    @router.subscriber("rollups.get", queue=QUEUE)
    async def get(msg: Any) -> dict[str, Any]:
        return await runtime.service().answer(msg)

    @router.subscriber("aggregator.health", queue=QUEUE)
    async def health(_: Any) -> dict[str, Any]:
        return {"status": 200, "body": runtime.health()}

    return router


async def start_rpc(runtime: Runtime) -> NatsBroker:
    return await start_broker(runtime.settings.nats_url, build_router(runtime))
