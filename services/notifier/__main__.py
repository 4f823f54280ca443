"""Run the notifier on its own: ``python -m services.notifier --home DIR``."""

from __future__ import annotations

import argparse
import asyncio
import signal

from services.logconfig import configure_logging
from services.notifier.bootstrap import Runtime, bootstrap
from services.notifier.settings import NotifierSettings
from services.settings import resolve_home


async def serve(runtime: Runtime) -> None:
    """Run until SIGTERM or Ctrl-C, then stop cleanly."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    await runtime.start()
    try:
        await stop.wait()
    finally:
        await runtime.stop()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m services.notifier",
        description="The notifier: reminders, overdue flags, hot-spot alerts and escalation. "
        "Finds NATS through NATS_URL (or the running system's home); channels are set in "
        "HOME/notifier.toml and the environment (docs/notifier.md).",
    )
    parser.add_argument("--home", help="state directory (default: $TINHHINH_HOME or ./var)")
    args = parser.parse_args(argv)
    configure_logging()
    settings = NotifierSettings.load(resolve_home(args.home))
    asyncio.run(serve(bootstrap(settings)))


if __name__ == "__main__":
    main()
