"""A small filesystem for the home, so the campaign can fill the disk under a running system.

A loop-mounted ext4 (made with `-m 0`: no blocks reserved for root, so root's writes fail
too) where that works, else a size-limited tmpfs; both need root and `mount`. Where
neither can be made, `SmallDisk.make` returns None and the reason, and the campaign runs
without disk faults. Filling is a ballast file: `posix_fallocate` of the free space, then
small writes until ENOSPC, topped up while it lasts because a checkpoint may free pages.
"""

from __future__ import annotations

import contextlib
import errno
import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

_CHUNK = 4096


def _run(*argv: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(argv, capture_output=True, text=True, check=False, timeout=60)


@dataclass
class SmallDisk:
    mountpoint: Path
    kind: str  # "ext4 (loop)" or "tmpfs"
    image: Path | None = None

    @classmethod
    def make(cls, where: Path, size_mb: int) -> tuple[SmallDisk | None, str]:
        """A mounted filesystem of `size_mb` under `where`, or None and why not."""
        if os.geteuid() != 0:
            return None, "not root: mounting a small filesystem needs root"
        if shutil.which("mount") is None:
            return None, "no `mount` command on this machine"
        mountpoint = where / "disk"
        mountpoint.mkdir(parents=True, exist_ok=True)
        reasons = []
        if shutil.which("mkfs.ext4") is not None:
            image = where / "disk.img"
            with image.open("wb") as f:
                f.truncate(size_mb * 1024 * 1024)
            made = _run("mkfs.ext4", "-q", "-F", "-m", "0", str(image))
            mounted = made.returncode == 0 and _run(
                "mount", "-o", "loop", str(image), str(mountpoint)).returncode == 0
            if mounted:
                return cls(mountpoint, "ext4 (loop)", image), ""
            reasons.append(f"loop ext4: {(made.stderr or 'mount -o loop refused').strip()}")
            image.unlink(missing_ok=True)
        done = _run("mount", "-t", "tmpfs", "-o", f"size={size_mb}m", "tmpfs", str(mountpoint))
        if done.returncode == 0:
            return cls(mountpoint, "tmpfs"), ""
        reasons.append(f"tmpfs: {done.stderr.strip()}")
        mountpoint.rmdir()
        return None, "; ".join(reasons)

    @property
    def ballast(self) -> Path:
        return self.mountpoint / "ballast.bin"

    def free_bytes(self) -> int:
        st = os.statvfs(self.mountpoint)
        return st.f_bavail * st.f_frsize

    def fill(self) -> int:
        """Take every free byte; returns how many the ballast holds."""
        fd = os.open(self.ballast, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        try:
            free = self.free_bytes()
            if free > 1024 * 1024:
                with contextlib.suppress(OSError):
                    size = os.fstat(fd).st_size
                    os.posix_fallocate(fd, size, free - 256 * 1024)
            os.lseek(fd, 0, os.SEEK_END)
            block = b"\0" * _CHUNK
            while True:
                try:
                    os.write(fd, block)
                except OSError as exc:
                    if exc.errno in (errno.ENOSPC, errno.EDQUOT):
                        break
                    raise
            return os.fstat(fd).st_size
        finally:
            os.close(fd)

    def release(self) -> None:
        self.ballast.unlink(missing_ok=True)

    def remove(self, keep_image: bool = False) -> None:
        """Unmount (lazily if something still holds it) and delete the image unless kept."""
        self.release()
        if _run("umount", str(self.mountpoint)).returncode != 0:
            _run("umount", "-l", str(self.mountpoint))
        with contextlib.suppress(OSError):
            self.mountpoint.rmdir()
        if self.image is not None and not keep_image:
            self.image.unlink(missing_ok=True)
