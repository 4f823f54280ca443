"""The home's files are the owner's alone: 0600 files, 0700 directories, umask 077.

The home holds every report (events.sqlite), every argon2 hash, the sessions (web.sqlite),
the sign-in counts, the signing keys and the nats-server's streams: no other local user
may read any of it. `protect_home` is called by `resolve_home`, so every process that finds
the home (the services, `tinhhinh up`, the CLI) sets the umask before it creates a file,
and mends what an older version, a copy or a restore left readable.
"""

from __future__ import annotations

import os
from pathlib import Path

UMASK = 0o077
FILE_MODE = 0o600
DIR_MODE = 0o700


def protect_home(home: Path) -> None:
    """Set the process's umask, and take group and other bits off the home and everything
    in it (the home is not created here; only mended if it exists)."""
    os.umask(UMASK)
    if not home.is_dir():
        return
    _tighten(home, DIR_MODE)
    for root, dirs, files in os.walk(home):
        for name in dirs:
            _tighten(Path(root, name), DIR_MODE)
        for name in files:
            _tighten(Path(root, name), FILE_MODE)


def _tighten(path: Path, mode: int) -> None:
    try:
        st = path.lstat()
        if st.st_mode & 0o077 and not path.is_symlink():
            path.chmod(mode | (st.st_mode & 0o700))
    except OSError:
        pass  # gone meanwhile, or not ours (a mount): nothing to mend
