"""What the web pages take from other services: optional hooks, each rendered only when set."""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from fastapi.concurrency import run_in_threadpool

# Each hook may be a plain function (run in a worker thread) or a coroutine function.
RollupHook = Callable[[str, str], "dict[str, Any] | Awaitable[dict[str, Any] | None] | None"]
AlertsHook = Callable[[UUID], "list[dict[str, Any]] | Awaitable[list[dict[str, Any]]]"]
AckHook = Callable[[UUID, str], "Awaitable[None] | None"]
AuditStatusHook = Callable[[], "dict[str, Any] | Awaitable[dict[str, Any] | None] | None"]


@dataclass
class WebDeps:
    """Hooks into the aggregator, notifier and audit; a page leaves out what is None.

    - ``rollup(unit_id, period)``: the CONTRACT rollup JSON, or None if there is none yet;
      the 12-week trend is drawn from twelve weekly rollups.
    - ``alerts(account_id)``: the account's alerts, each ``{"alert_id", "kind", "status",
      "message_vi", "area_id", "period", "raised_at"}`` (extra keys are ignored).
    - ``ack(account_id, alert_id)``: acknowledge one; raise a DomainError to refuse.
    - ``audit_status()``: ``{"ok": bool, "checked_at", "position", "first_bad",
      "message_vi"}`` from the last verification, or None if never verified.
    """

    rollup: RollupHook | None = None
    alerts: AlertsHook | None = None
    ack: AckHook | None = None
    audit_status: AuditStatusHook | None = None


async def call(hook: Callable[..., Any], *args: Any) -> Any:
    """Call a hook whether it is sync (off the event loop) or async."""
    if inspect.iscoroutinefunction(hook):
        return await hook(*args)
    result = await run_in_threadpool(hook, *args)
    if inspect.isawaitable(result):
        return await result
    return result
