"""`tinhhinh up`: NATS and the services as one process tree that stops cleanly."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from types import FrameType

import structlog

from domain.clock import SystemClock
from services.common.demo import DEMO_PLAN, print_demo_logins
from services.common.nats_auth import CREDS_DIR_ENV
from services.common.nats_watch import WriteErrorWatch
from services.common.natsd import EmbeddedNats, TlsFiles, die_with_parent_hook
from services.common.plan_file import load_plan
from services.common.settings import RUN_FILE
from services.common.store import open_store
from services.intake.directory import Directory
from services.intake.network_plan import apply_plan

log = structlog.get_logger(__name__)

# The HTTP-serving intake first: `up` waits on its /healthz, which also asks the others.
HTTP_SERVICE = "services.intake"
BACKGROUND_SERVICES = ("services.aggregator", "services.notifier")


def load_demo_if_empty(home: Path) -> bool:
    """Load the demo network into a home that has none yet; True if it did."""
    store = open_store(home)
    try:
        directory = Directory(store)
        directory.refresh()
        if directory.has_network():
            return False
        apply_plan(store, directory, load_plan(DEMO_PLAN), SystemClock())
        return True
    finally:
        store.close()


def _wait_healthy(url: str, proc: subprocess.Popen[bytes], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"a service exited during start-up (code {proc.returncode})")
        try:
            with urllib.request.urlopen(f"{url}/healthz", timeout=1) as resp:  # noqa: S310 - our own loopback URL
                if resp.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"{url} did not become healthy within {timeout:.0f} s")


class _Stop(Exception):
    pass


def _raise_stop(signum: int, _frame: FrameType | None) -> None:
    raise _Stop(signum)


def run_up(home: Path, http_port: int, nats_port: int, demo: bool, host: str = "127.0.0.1") -> int:
    home.mkdir(mode=0o700, parents=True, exist_ok=True)
    signal.signal(signal.SIGTERM, _raise_stop)
    signal.signal(signal.SIGINT, _raise_stop)
    nats_server: EmbeddedNats | None = None
    children: list[subprocess.Popen[bytes]] = []
    run_file = home / RUN_FILE
    try:
        nats_url = os.environ.get("NATS_URL")
        creds: dict[str, str] = {}
        if not nats_url:
            # Its users' credentials are generated on first start, 0600 in <home>/nats/creds.
            nats_server = EmbeddedNats(home, nats_port, tls=TlsFiles.from_env())
            nats_server.start()
            nats_url = nats_server.url
            creds = {CREDS_DIR_ENV: str(nats_server.creds_dir)}
        loaded = demo and load_demo_if_empty(home)
        # Only where the credentials are, never a secret, goes into the services' environment.
        env = {**os.environ, **creds, "NATS_URL": nats_url, "TINHHINH_HOME": str(home),
               "TINHHINH_REQUIRE": ",".join(m.rsplit(".", 1)[1] for m in BACKGROUND_SERVICES)}
        http_url = f"http://{host}:{http_port}"
        children.append(subprocess.Popen(
            [sys.executable, "-m", HTTP_SERVICE, "--home", str(home), "--host", host,
             "--port", str(http_port)],
            env=env, preexec_fn=die_with_parent_hook(),
        ))
        for module in BACKGROUND_SERVICES:
            children.append(subprocess.Popen(
                [sys.executable, "-m", module, "--home", str(home)],
                env=env, preexec_fn=die_with_parent_hook(),
            ))
        _wait_healthy(http_url, children[0], timeout=60)
        run_file.write_text(json.dumps({"pid": os.getpid(), "http_url": http_url,
                                        "nats_url": nats_url}))
        print(f"tinhhinh đang chạy — web và API: {http_url}  (NATS: {nats_url})", flush=True)
        print(f"Dữ liệu lưu tại: {home}", flush=True)
        if loaded:
            print("Đã nạp mạng lưới mẫu. Tài khoản thử: `tinhhinh demo accounts --json`",
                  flush=True)
        if demo:
            print_demo_logins()
        print("Nhấn Ctrl-C để dừng.", flush=True)
        watch = (None if nats_server is None
                 else WriteErrorWatch(nats_server.log_path, nats_server.store_dir))
        ticks = 0
        while True:
            for child in children:
                if child.poll() is not None:
                    log.error("service_exited", pid=child.pid, code=child.returncode)
                    return 1
            ticks += 1
            if watch is not None and nats_server is not None and ticks % 10 == 0 \
                    and watch.check():
                # A stream refuses writes since the disk filled; room is back: restart it.
                log.warning("nats_restarting_after_write_error", port=nats_server.port)
                nats_server.stop()
                nats_server.start()
                watch.restarted()
            time.sleep(0.2)
    except _Stop:
        return 0
    finally:
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        for child in children:
            if child.poll() is None:
                child.terminate()
        for child in children:
            try:
                child.wait(timeout=15)
            except subprocess.TimeoutExpired:
                child.kill()
        if nats_server is not None:
            nats_server.stop()
        run_file.unlink(missing_ok=True)
        print("tinhhinh đã dừng.", flush=True)
