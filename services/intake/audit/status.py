"""The last verification, for pages that show whether the history verifies (web `audit_status`)."""

from __future__ import annotations

import threading
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from domain.clock import Clock
from services.intake.audit.messages import damage_vi, intact_vi
from services.intake.audit.verify import verify


class AuditStatus:
    """Verifies at most once per `max_age`; calls between return the last outcome."""

    def __init__(self, db: Path, clock: Clock, max_age: timedelta = timedelta(minutes=5)):
        self.db = db
        self.clock = clock
        self.max_age = max_age
        self._last: dict[str, Any] | None = None
        self._checked: datetime | None = None
        self._lock = threading.Lock()  # one verification at a time, however many pages ask

    def __call__(self) -> dict[str, Any]:
        with self._lock:
            now = self.clock.now()
            if self._last is None or self._checked is None or now - self._checked >= self.max_age:
                self._last, self._checked = self._check(now), now
            return self._last

    def _check(self, now: datetime) -> dict[str, Any]:
        result = verify(self.db)
        damage = result.damage
        return {
            "ok": damage is None, "checked_at": now.isoformat(), "position": result.sealed,
            "first_bad": None if damage is None else damage.position,
            "kind": None if damage is None else damage.kind,
            "message_vi": intact_vi(result.sealed, result.unsealed) if damage is None
            else damage_vi(damage),
        }
