"""Whether a failed write ran out of room, and when room has returned."""

from __future__ import annotations

import errno
import shutil
from pathlib import Path

# SQLite says SQLITE_FULL ("database or disk is full"); the OS ENOSPC or EDQUOT; PostgreSQL
# SQLSTATE 53100 (disk_full).
_FULL_ERRNOS = {errno.ENOSPC, errno.EDQUOT}
_FULL_SQLSTATES = {"53100"}
# Room enough to take writes again: a report with its cases is a few KiB, a WAL page 4 KiB.
ROOM_AGAIN = 1024 * 1024


def is_storage_full(exc: BaseException) -> bool:
    """True when `exc`, or an error it was raised from, says the storage is full."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if getattr(current, "sqlite_errorname", None) == "SQLITE_FULL":
            return True
        if "database or disk is full" in str(current):
            return True
        if isinstance(current, OSError) and current.errno in _FULL_ERRNOS:
            return True
        if getattr(current, "sqlstate", None) in _FULL_SQLSTATES:
            return True
        current = current.__cause__ or current.__context__
    return False


class StorageWatch:
    """Remembers a write refused for lack of room until a write succeeds again or, for a
    file-backed store, its filesystem has room again (so /healthz recovers with no write)."""

    def __init__(self, path: Path | None) -> None:
        self.path = path
        self.full = False

    def failed(self) -> None:
        self.full = True

    def succeeded(self) -> None:
        self.full = False

    def is_full(self) -> bool:
        if self.full and self.path is not None:
            try:
                if shutil.disk_usage(self.path).free >= ROOM_AGAIN:
                    self.full = False
            except OSError:
                pass
        return self.full
