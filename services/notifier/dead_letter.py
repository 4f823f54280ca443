"""A dead letter: an event envelope the notifier could never apply, kept once as it came."""

from __future__ import annotations

import base64
import hashlib
from datetime import datetime
from typing import Any
from uuid import UUID, uuid5

from eventsourcing.domain import Aggregate, event

_NS = UUID("5d0f8a47-2c1e-4b9a-9e63-0a7c4b2d81f5")


def dead_letter_id(seq: int, payload: bytes) -> UUID:
    """Named by its stream sequence and its bytes: a redelivery names the same letter, and a
    different message at that sequence (a replaced stream) a new one."""
    return uuid5(_NS, f"dead-letter\x00{seq}\x00{hashlib.sha256(payload).hexdigest()}")


class DeadLetter(Aggregate):
    """Stream sequence, subject, reason (English) and the raw bytes, base64 in the store."""

    @staticmethod
    def create_id(seq: int, payload_b64: str, **_: Any) -> UUID:
        return dead_letter_id(seq, base64.b64decode(payload_b64))

    @event("Recorded")
    def __init__(self, seq: int, subject: str, reason: str, payload_b64: str,
                 recorded_at: datetime) -> None:
        self.seq = seq
        self.subject = subject
        self.reason = reason
        self.payload_b64 = payload_b64
        self.recorded_at = recorded_at

    @property
    def payload(self) -> bytes:
        return base64.b64decode(self.payload_b64)
