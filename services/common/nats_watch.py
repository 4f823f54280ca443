"""Restarting the embedded nats-server once a full disk has left a stream refusing writes.

nats-server keeps a stream's first write error for good (server/stream.go, setWriteErr: "We
don't want to respond back to the user"), so after the disk fills, every publish to that
stream goes unanswered until the server restarts, however much room has come back. The
process that owns the embedded server (`tinhhinh up`) restarts it then; clients reconnect and
the relay publishes again from where the stream ends.
"""

from __future__ import annotations

import shutil
from pathlib import Path

WRITE_ERROR = b"critical write error"
# Room enough to take messages again: a few blocks of the file store.
ROOM_AGAIN = 64 * 1024 * 1024


class WriteErrorWatch:
    """Reads the server's log as it grows; `check()` is True once a stream failed a write and
    its store has room again, which is when a restart brings the stream back."""

    def __init__(self, log_path: Path, store_dir: Path, room: int = ROOM_AGAIN) -> None:
        self.log_path = log_path
        self.store_dir = store_dir
        self.room = room
        self.failed = False
        self._offset = self._size()

    def _size(self) -> int:
        try:
            return self.log_path.stat().st_size
        except FileNotFoundError:
            return 0

    def check(self) -> bool:
        if not self.failed:
            self._read()
        if not self.failed:
            return False
        try:
            usage = shutil.disk_usage(self.store_dir)
        except OSError:
            return False
        # A small disk can never have ROOM_AGAIN free: then half of it will do.
        return usage.free >= min(self.room, usage.total // 2)

    def restarted(self) -> None:
        """The server was restarted: what it logged before is history."""
        self.failed = False
        self._offset = self._size()

    def _read(self) -> None:
        try:
            with self.log_path.open("rb") as log:
                log.seek(self._offset)
                text = log.read()
        except FileNotFoundError:
            return
        # Keep the last line's start: a line being written now is read whole next time.
        end = text.rfind(b"\n") + 1
        self._offset += end
        if WRITE_ERROR in text[:end].lower():
            self.failed = True
