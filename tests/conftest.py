"""Shared pytest fixtures."""

from __future__ import annotations

import asyncio
import gc
import io
import os
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from services.common import nats_auth
from services.common.natsd import EmbeddedNats, PortInUseError, free_port

# --- NATS: a real nats-server with JetStream, one per test ------------------


@pytest.fixture
def nats_server(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[EmbeddedNats]:
    """An embedded nats-server on a free port, its home in tmp_path / "home", with its users
    and their credentials as `tinhhinh up` makes them. NATS_CREDS_DIR points at them, as for
    a server `up` does not run, so a service with a home of its own finds its user."""
    for attempt in range(3):
        server = EmbeddedNats(tmp_path / "home", free_port())
        try:
            server.start()
            break
        except PortInUseError:
            # free_port() is racy: another process may take the port before we bind.
            if attempt == 2:
                raise
    monkeypatch.setenv(nats_auth.CREDS_DIR_ENV, str(server.creds_dir))
    try:
        yield server
    finally:
        server.stop()


# --- a hung test says what its event loop waits for --------------------------------


_REAL_STDERR: list[int] = []  # the terminal's stderr, which output capture does not swallow


def pytest_configure(config: pytest.Config) -> None:
    _REAL_STDERR.append(os.dup(2))  # as pytest's faulthandler plugin does, at the same point


def _dump_asyncio_tasks() -> None:
    """Every pending task of every running event loop, with its stack, on the real stderr."""
    out = io.StringIO()
    for loop in [o for o in gc.get_objects() if isinstance(o, asyncio.AbstractEventLoop)]:
        if not loop.is_running():
            continue
        for _ in range(3):  # the set may change under us: this runs off the loop's thread
            try:
                tasks = list(asyncio.all_tasks(loop))
                break
            except RuntimeError:
                continue
        else:
            continue
        print(f"\n--- {len(tasks)} asyncio tasks pending ---", file=out)
        for task in tasks:
            print(f"{task!r}", file=out)
            task.print_stack(file=out)
    os.write(_REAL_STDERR[0] if _REAL_STDERR else 2, out.getvalue().encode())


@pytest.fixture(autouse=True)
def asyncio_tasks_dumped_when_hung(request: pytest.FixtureRequest) -> Iterator[None]:
    """Just before faulthandler_timeout dumps the threads, dump the asyncio tasks too."""
    timeout = float(request.config.getini("faulthandler_timeout") or 0)
    if timeout <= 10:
        yield
        return
    timer = threading.Timer(timeout - 5, _dump_asyncio_tasks)
    timer.daemon = True
    timer.start()
    try:
        yield
    finally:
        timer.cancel()
