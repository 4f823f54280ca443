"""Settings read from the environment and the command line, in one place."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

from services.common.home_files import protect_home

DEFAULT_HOME = "./var"
DEFAULT_HTTP_PORT = 8080
DEFAULT_NATS_PORT = 4333
RUN_FILE = "run.json"


def resolve_home(arg: str | None) -> Path:
    """The home, its modes mended and the process's umask set (`home_files`)."""
    home = Path(arg or os.environ.get("TINHHINH_HOME") or DEFAULT_HOME).resolve()
    protect_home(home)
    return home


@dataclass(frozen=True)
class Settings:
    home: Path
    nats_url: str
    http_host: str = "127.0.0.1"
    http_port: int = DEFAULT_HTTP_PORT
    token_ttl_seconds: int = 8 * 3600
    publish_wait_seconds: float = 5.0
    # Services /healthz waits for besides the intake's own parts (set by `tinhhinh up`).
    required_services: tuple[str, ...] = ()
    # Seconds a request body may take to arrive (services/intake/doors.py).
    body_timeout_seconds: float = 10.0
    # Proxies whose X-Forwarded-For the intake believes; none by default (docs/operations.md).
    trusted_proxies: tuple[str, ...] = ()

    @classmethod
    def from_env(cls, home: Path, *, http_host: str | None = None,
                 http_port: int | None = None, nats_url: str | None = None) -> Settings:
        return cls(
            home=home,
            nats_url=nats_url or os.environ.get("NATS_URL") or running_nats_url(home)
            or f"nats://127.0.0.1:{DEFAULT_NATS_PORT}",
            http_host=http_host or "127.0.0.1",
            http_port=http_port or DEFAULT_HTTP_PORT,
            token_ttl_seconds=int(os.environ.get("TINHHINH_TOKEN_TTL", str(8 * 3600))),
            required_services=tuple(
                s for s in os.environ.get("TINHHINH_REQUIRE", "").split(",") if s),
            body_timeout_seconds=float(os.environ.get("TINHHINH_BODY_TIMEOUT", "10")),
            trusted_proxies=tuple(p.strip() for p in os.environ.get(
                "TINHHINH_TRUSTED_PROXIES", "").split(",") if p.strip()),
        )


def read_run_file(home: Path) -> dict[str, object] | None:
    try:
        data = json.loads((home / RUN_FILE).read_text())
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def running_nats_url(home: Path) -> str | None:
    data = read_run_file(home)
    url = None if data is None else data.get("nats_url")
    return url if isinstance(url, str) else None
