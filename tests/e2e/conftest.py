"""End-to-end fixtures: `tinhhinh up` as a user runs it, in a temporary home."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest

from services.common.natsd import free_port

BIN = Path(sys.executable).parent
TINHHINH = str(BIN / "tinhhinh")


def wait_healthy(url: str, proc: subprocess.Popen[bytes] | None = None,
                 timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise AssertionError(f"process exited with {proc.returncode}")
        try:
            if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise AssertionError(f"{url} not healthy after {timeout} s")


@dataclass
class Up:
    """One `tinhhinh up` process tree; `start` again after a crash reuses the same home."""

    home: Path
    http_port: int = field(default_factory=free_port)
    nats_port: int = field(default_factory=free_port)
    proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.http_port}"

    @property
    def nats_url(self) -> str:
        return f"nats://127.0.0.1:{self.nats_port}"

    def start(self, *extra: str) -> None:
        env = {k: v for k, v in os.environ.items() if k != "NATS_URL"}
        log = (self.home.parent / "up.log").open("ab")
        self.proc = subprocess.Popen(
            [TINHHINH, "up", "--home", str(self.home), "--port", str(self.http_port),
             "--nats-port", str(self.nats_port), *extra],
            env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
        )
        log.close()
        wait_healthy(self.url, self.proc)
        # `up` announces itself in run.json once every service it started is healthy.
        deadline = time.monotonic() + 30
        while not (self.home / "run.json").exists():
            assert time.monotonic() < deadline, "run.json never appeared"
            time.sleep(0.05)

    def kill_9(self) -> None:
        """SIGKILL the whole process tree at once, as a power cut would: `up` and its
        services (one process group) and the nats-server (a session of its own)."""
        assert self.proc is not None
        # nats-server first: otherwise `up`'s death would send it SIGTERM (PDEATHSIG) and
        # let it flush before the SIGKILL lands
        os.kill(nats_server_pid(self.home), signal.SIGKILL)
        os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait(timeout=10)
        # Orphans are re-parented and die by PDEATHSIG; wait until the ports are free.
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and _listening(self.http_port, self.nats_port):
            time.sleep(0.1)

    def stop(self) -> int:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGTERM)
        return self.proc.wait(timeout=30)

    def cli(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([TINHHINH, *args, "--home", str(self.home)], capture_output=True,
                              text=True, timeout=120, check=False)

    def accounts(self) -> list[dict[str, object]]:
        result = self.cli("demo", "accounts", "--json")
        assert result.returncode == 0, result.stderr
        rows: list[dict[str, object]] = json.loads(result.stdout)
        return rows


def nats_server_pid(home: Path) -> int:
    """The embedded nats-server of this home, found by its command line in /proc."""
    wanted = str(home / "nats" / "nats-server.conf").encode()
    found = []
    for proc in Path("/proc").iterdir():
        try:
            cmdline = (proc / "cmdline").read_bytes()
        except OSError:
            continue
        if b"nats-server" in cmdline and wanted in cmdline:
            found.append(int(proc.name))
    assert len(found) == 1, found
    return found[0]


def _listening(*ports: int) -> bool:
    import socket
    for port in ports:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return True
    return False


@pytest.fixture
def up(tmp_path: Path) -> Iterator[Up]:
    system = Up(home=tmp_path / "home")
    try:
        yield system
    finally:
        if system.proc is not None and system.proc.poll() is None:
            try:
                os.killpg(system.proc.pid, signal.SIGTERM)
                system.proc.wait(timeout=30)
            except (ProcessLookupError, subprocess.TimeoutExpired):
                os.killpg(system.proc.pid, signal.SIGKILL)
