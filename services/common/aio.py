"""Waiting with a timeout without losing a cancellation.

On Python 3.11, `asyncio.wait_for` returns normally when the task is cancelled at the
instant the awaited future completes (fixed in 3.12, gh-86296). A service loop of the
form `while True: ... wait_for(wake.wait(), poll)` then never ends, and whoever awaits
the cancelled task waits forever: the full test suite hung that way, now and then, in
`stop()`. `asyncio.timeout` delivers the cancellation; every timed wait goes through it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable
from typing import Any

import structlog

log = structlog.get_logger(__name__)


async def wait_event(event: asyncio.Event, seconds: float) -> bool:
    """Wait until `event` is set or `seconds` pass; True if it was set."""
    try:
        async with asyncio.timeout(seconds):
            await event.wait()
    except TimeoutError:
        return False
    return True


async def wait_condition(condition: asyncio.Condition, predicate: Callable[[], bool],
                         seconds: float) -> bool:
    """With `condition` held, wait until `predicate()` holds or `seconds` pass."""
    try:
        async with asyncio.timeout(seconds):
            await condition.wait_for(predicate)
    except TimeoutError:
        return False
    return True


async def stop_tasks(tasks: Iterable[asyncio.Task[Any]],
                     every: float = 2.0) -> list[tuple[str, BaseException]]:
    """Cancel `tasks` and wait until every one has ended, cancelling again every `every`
    seconds; logs and returns (name, exception) of those that had failed instead: a task
    that died earlier does not stop the stopping.

    Cancelling once is not enough: a library's own `wait_for` (nats-py's `next_msg`, on
    3.11) can swallow the cancellation, and a service loop then goes round again.
    """
    tasks = list(tasks)
    pending = {task for task in tasks if not task.done()}
    while pending:
        for task in pending:
            task.cancel()
        _, pending = await asyncio.wait(pending, timeout=every)
    failed = [(task.get_name(), exc) for task in tasks
              if not task.cancelled() and (exc := task.exception()) is not None]
    for name, exc in failed:
        log.error("task_failed", task=name, error=repr(exc))
    return failed
