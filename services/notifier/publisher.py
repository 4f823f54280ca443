"""Alert changes on NATS: ``tinhhinh.alerts.<kind>.<unit id>``, de-duplicated by delivery id."""

from __future__ import annotations

import json

from nats.js import JetStreamContext

from domain.delivery import Delivery
from services.common import wire
from services.common.streams import ALERTS_STREAM


def subject(delivery: Delivery) -> str:
    """Ids only: the alert's kind and the unit whose leaders it has reached."""
    payload = delivery.payload
    unit = payload.get("level_unit_id") or payload.get("unit_id") or wire.NO_AREA
    return f"{wire.ALERTS_PREFIX}.{payload['kind']}.{unit}"


class NatsPublisher:
    def __init__(self, js: JetStreamContext) -> None:
        self.js = js

    async def send(self, delivery: Delivery) -> None:
        data = json.dumps({**delivery.payload, "delivery_id": str(delivery.id)},
                          separators=(",", ":")).encode()
        ack = await self.js.publish(subject(delivery), data,
                                    headers={wire.MSG_ID_HEADER: str(delivery.id)})
        if ack.stream != ALERTS_STREAM:
            raise RuntimeError(f"alert stored in unexpected stream {ack.stream!r}")
