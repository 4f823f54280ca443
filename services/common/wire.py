"""The event envelope published on JetStream: version 1, the one documented wire format.

Subject: ``tinhhinh.events.<area path>.<EventType>``, where the area path is the
ids from the root area down (``_`` for events of no area), e.g.
``tinhhinh.events.bac-ninh.thuan-thanh.ho.kp-1.ReportSubmitted``. Headers:
``Nats-Msg-Id`` (the event's own id: aggregate id and version) and
``Tinhhinh-Position`` (its place in the store's global order). Payload: JSON

    {"v": 1, "event_id", "position", "type", "aggregate_id", "aggregate_version",
     "recorded_at", "area_path": [ids], "data": {...}}

``data`` is the event's own fields; secrets (password hashes) are never published.
Consumers decode with `decode` (services/common/envelope.py), which refuses an envelope
they could not apply and says why; the `position` is checked, never trusted for order.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

# One strict decoder for every consumer (services/common/envelope.py); re-exported here.
from services.common.envelope import VERSION as VERSION
from services.common.envelope import EnvelopeRejected as EnvelopeRejected
from services.common.envelope import decode as decode

SUBJECT_PREFIX = "tinhhinh.events"
ALERTS_PREFIX = "tinhhinh.alerts"
POSITION_HEADER = "Tinhhinh-Position"
MSG_ID_HEADER = "Nats-Msg-Id"
NO_AREA = "_"
_SECRET = frozenset({"password_hash"})
_ORIGINATOR = frozenset({"originator_id", "originator_version", "timestamp"})


def event_type(topic: str) -> str:
    """``domain.report:Report.Submitted`` → ``ReportSubmitted``."""
    return topic.split(":", 1)[1].replace(".", "")


def event_id(aggregate_id: UUID, version: int) -> str:
    return f"{aggregate_id.hex}-{version}"


def subject(area_path: list[str], type_: str) -> str:
    return ".".join([SUBJECT_PREFIX, *(area_path or [NO_AREA]), type_])


def _default(value: object) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, UUID):
        return str(value)
    raise TypeError(f"cannot encode {type(value).__name__}")


@dataclass(frozen=True)
class Envelope:
    event_id: str
    position: int
    type: str
    aggregate_id: UUID
    aggregate_version: int
    recorded_at: datetime
    area_path: list[str]
    data: dict[str, Any]

    @property
    def subject(self) -> str:
        return subject(self.area_path, self.type)

    def headers(self) -> dict[str, str]:
        return {MSG_ID_HEADER: self.event_id, POSITION_HEADER: str(self.position)}

    def encode(self) -> bytes:
        return json.dumps({
            "v": VERSION,
            "event_id": self.event_id,
            "position": self.position,
            "type": self.type,
            "aggregate_id": str(self.aggregate_id),
            "aggregate_version": self.aggregate_version,
            "recorded_at": self.recorded_at.isoformat(),
            "area_path": self.area_path,
            "data": self.data,
        }, default=_default, ensure_ascii=False, separators=(",", ":")).encode()


def event_data(event: object) -> dict[str, Any]:
    fields = vars(event)
    return {k: v for k, v in fields.items() if k not in _SECRET and k not in _ORIGINATOR}
