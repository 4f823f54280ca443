"""The intake as it runs in production: `python -m services.intake` under uvicorn, on a free
port, over a copy of the loaded home and a real nats-server; its memory read from /proc."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

from services.common import nats_auth
from services.common.natsd import EmbeddedNats, free_port


@dataclass
class IntakeProcess:
    proc: subprocess.Popen[bytes]
    url: str
    port: int
    home: Path

    def rss(self) -> int:
        """The process's resident memory in bytes (VmRSS)."""
        return self._status("VmRSS")

    def peak_rss(self) -> int:
        """The most resident memory the process ever had (VmHWM), in bytes."""
        return self._status("VmHWM")

    def _status(self, name: str) -> int:
        for line in Path(f"/proc/{self.proc.pid}/status").read_text().splitlines():
            if line.startswith(f"{name}:"):
                return int(line.split()[1]) * 1024
        raise RuntimeError(f"no {name}")


@contextmanager
def intake_process(tmp: Path, store_file: Path, *, services: tuple[str, ...] = (),
                   **env: str) -> Iterator[IntakeProcess]:
    """The intake, and the `services` (modules: `services.aggregator`, …) beside it."""
    home = tmp / "intake-home"
    home.mkdir()
    shutil.copy(store_file, home / "events.sqlite")
    nats_server = EmbeddedNats(tmp / "nats-home", free_port())
    nats_server.start()
    port = free_port()
    # Each process connects as its own NATS user, with the credentials this server was made
    # with (services/common/nats_auth.py).
    env = {nats_auth.CREDS_DIR_ENV: str(nats_server.creds_dir), **env}
    proc = subprocess.Popen(
        [sys.executable, "-m", "services.intake", "--home", str(home), "--port", str(port)],
        env={**os.environ, "NATS_URL": nats_server.url, **env},
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    others = [subprocess.Popen([sys.executable, "-m", module, "--home", str(home)],
                               env={**os.environ, "NATS_URL": nats_server.url, **env},
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
              for module in services]
    try:
        deadline = time.monotonic() + 60
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"the intake exited with {proc.returncode}")
            try:
                httpx.get(f"{url}/healthz", timeout=1)
                break
            except httpx.TransportError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)
        yield IntakeProcess(proc, url, port, home)
    finally:
        for child in (proc, *others):
            child.terminate()
        for child in (proc, *others):
            try:
                child.wait(timeout=15)
            except subprocess.TimeoutExpired:
                child.kill()
                child.wait()
        nats_server.stop()
