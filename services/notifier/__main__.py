"""Run the notifier on its own: ``python -m services.notifier --home DIR``."""

from __future__ import annotations

import argparse
import asyncio

from services.common.logconfig import configure_logging
from services.common.runner import run_until_signalled
from services.common.settings import resolve_home
from services.notifier.bootstrap import bootstrap
from services.notifier.settings import NotifierSettings


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
    asyncio.run(run_until_signalled(bootstrap(settings)))


if __name__ == "__main__":
    main()
