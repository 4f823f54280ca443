"""A filesystem that can really fill up: a small tmpfs (mounting needs root, as CI and the
development machines have), and a filler that takes every free byte of it."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest


@contextmanager
def small_tmpfs(target: Path, size: int) -> Iterator[Path]:
    """`target` as a tmpfs of `size` bytes; the test is skipped, saying why, where none can
    be mounted."""
    target.mkdir(exist_ok=True)
    mount, umount = shutil.which("mount"), shutil.which("umount")
    if os.geteuid() != 0 or mount is None or umount is None:
        pytest.skip("mounting a small tmpfs needs root and mount(8)")
    mounted = subprocess.run([mount, "-t", "tmpfs", "-o", f"size={size}", "tmpfs",
                              str(target)], capture_output=True, text=True, check=False)
    if mounted.returncode != 0:
        pytest.skip(f"no small filesystem can be mounted here: {mounted.stderr.strip()}")
    try:
        yield target
    finally:
        subprocess.run([umount, "-l", str(target)], check=False)


def fill(directory: Path) -> Path:
    """Take every free byte of the filesystem under `directory` (unbuffered writes, so no
    flush on close can fail); remove the file it returns to give the room back."""
    filler = directory / "filler"
    fd = os.open(filler, os.O_WRONLY | os.O_CREAT, 0o600)
    try:
        for chunk in (65536, 4096, 1):
            try:
                while os.write(fd, b"\0" * chunk):
                    pass
            except OSError:
                continue
    finally:
        os.close(fd)
    return filler
