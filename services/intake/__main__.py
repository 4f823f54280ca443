"""Run the intake service on its own: ``python -m services.intake --home DIR --port 8080``."""

from __future__ import annotations

import argparse

import uvicorn

from services.common.logconfig import configure_logging
from services.common.settings import DEFAULT_HTTP_PORT, Settings, resolve_home
from services.intake.api import create_app
from services.intake.bootstrap import bootstrap


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m services.intake",
        description="The intake service: HTTP API, NATS request/reply and the store→JetStream "
        "relay. Finds NATS through NATS_URL (or the running system's home).",
    )
    parser.add_argument("--home", help="state directory (default: $TINHHINH_HOME or ./var)")
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on")
    parser.add_argument("--port", type=int, default=DEFAULT_HTTP_PORT, help="HTTP port")
    args = parser.parse_args(argv)
    configure_logging()
    home = resolve_home(args.home)
    settings = Settings.from_env(home, http_host=args.host, http_port=args.port)
    app = create_app(bootstrap(settings))
    # X-Forwarded-For is believed only from the proxies the operator names (uvicorn, left to
    # itself, believes it from 127.0.0.1: any local process could pose as any address).
    proxies = list(settings.trusted_proxies)
    uvicorn.run(app, host=args.host, port=args.port, log_config=None, access_log=False,
                proxy_headers=bool(proxies), forwarded_allow_ips=proxies or None)


if __name__ == "__main__":
    main()
