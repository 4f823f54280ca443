"""The home and its files are the owner's alone (issue 13: they were 0644 in a 0755 home)."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from services.common.settings import resolve_home


@pytest.fixture
def umask_kept() -> Iterator[None]:
    old = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(old)


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.mark.usefixtures("umask_kept")
def test_resolving_the_home_mends_its_modes_and_sets_the_umask(tmp_path: Path):
    home = tmp_path / "var"
    (home / "nats" / "jetstream").mkdir(parents=True)
    for name in ("events.sqlite", "web.sqlite", "run.json", "nats/jetstream/x.blk"):
        (home / name).write_text("x")
        (home / name).chmod(0o644)
    home.chmod(0o755)
    assert resolve_home(str(home)) == home
    assert mode(home) == 0o700 and mode(home / "nats" / "jetstream") == 0o700
    for name in ("events.sqlite", "web.sqlite", "run.json", "nats/jetstream/x.blk"):
        assert mode(home / name) == 0o600, name
    (home / "signin.sqlite").write_text("new")  # created after: the umask
    assert mode(home / "signin.sqlite") == 0o600
