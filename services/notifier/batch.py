"""What one use case of the notifier changed: alerts, who to tell, what to publish."""

from __future__ import annotations

from uuid import UUID

from domain.alert import Alert
from services.notifier.digest import Notice


class Batch:
    """Alerts changed in one use case, and the notices to people they call for."""

    def __init__(self) -> None:
        self.alerts: dict[UUID, Alert] = {}
        self.notices: dict[tuple[str, UUID], Notice] = {}
        self.changes: dict[UUID, tuple[Alert, str]] = {}

    def changed(self, alert: Alert, change: str) -> None:
        self.alerts[alert.id] = alert
        self.changes[alert.id] = (alert, change)

    def tell(self, recipients: list[str], alert: Alert, step: str) -> None:
        for account_id in recipients:
            self.notices[(account_id, alert.id)] = Notice(account_id, alert, step)
