"""Shared pytest fixtures."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from services.natsd import EmbeddedNats, PortInUseError, free_port

# --- NATS: a real nats-server with JetStream, one per test ------------------


@pytest.fixture
def nats_server(tmp_path: Path) -> Iterator[EmbeddedNats]:
    """An embedded nats-server on a free port, its home in tmp_path / "home"."""
    for attempt in range(3):
        server = EmbeddedNats(tmp_path / "home", free_port())
        try:
            server.start()
            break
        except PortInUseError:
            # free_port() is racy: another process may take the port before we bind.
            if attempt == 2:
                raise
    try:
        yield server
    finally:
        server.stop()
