"""A timed wait never swallows a cancellation (Python 3.11's `asyncio.wait_for` can)."""

from __future__ import annotations

import asyncio

import pytest

from services.common.aio import stop_tasks, wait_condition, wait_event


async def test_a_loop_cancelled_at_the_instant_it_is_woken_still_ends() -> None:
    wake = asyncio.Event()
    rounds = 0

    async def service_loop() -> None:
        nonlocal rounds
        while True:
            rounds += 1
            wake.clear()
            await wait_event(wake, 30)

    task = asyncio.create_task(service_loop())
    await asyncio.sleep(0.01)  # the loop now waits for its wake-up
    wake.set()
    task.cancel()  # the same instant: the wait is done and the task is cancelled
    with pytest.raises(asyncio.CancelledError):
        await asyncio.wait_for(task, 2)  # bounded: a swallowed cancel would time out here
    assert rounds == 1


async def test_wait_event_says_whether_the_event_came() -> None:
    event = asyncio.Event()
    assert await wait_event(event, 0.01) is False
    asyncio.get_running_loop().call_later(0.01, event.set)
    assert await wait_event(event, 5) is True


async def test_wait_condition_returns_once_the_predicate_holds() -> None:
    condition = asyncio.Condition()
    state = {"n": 0}

    async def bump() -> None:
        async with condition:
            state["n"] = 3
            condition.notify_all()

    async with condition:
        assert await wait_condition(condition, lambda: state["n"] >= 3, 0.01) is False
    asyncio.get_running_loop().call_later(0.01, lambda: asyncio.ensure_future(bump()))
    async with condition:
        assert await wait_condition(condition, lambda: state["n"] >= 3, 5) is True


async def test_stop_tasks_ends_a_loop_that_swallowed_a_cancellation() -> None:
    swallowed = 0

    async def stubborn_loop() -> None:  # as a library's wait_for can make a loop behave
        nonlocal swallowed
        while True:
            try:
                await asyncio.sleep(30)
            except asyncio.CancelledError:
                if swallowed:
                    raise
                swallowed += 1

    async def failed() -> None:
        raise RuntimeError("died earlier")

    tasks = [asyncio.create_task(stubborn_loop(), name="loop"),
             asyncio.create_task(failed(), name="failed")]
    await asyncio.sleep(0.01)
    failures = await asyncio.wait_for(stop_tasks(tasks, every=0.05), 5)
    assert swallowed == 1 and all(task.done() for task in tasks)
    assert [(name, str(exc)) for name, exc in failures] == [("failed", "died earlier")]
