"""Run the aggregator on its own: ``python -m services.aggregator --home DIR``."""

from __future__ import annotations

import argparse
import asyncio

from services.aggregator.bootstrap import bootstrap
from services.common.logconfig import configure_logging
from services.common.runner import run_until_signalled
from services.common.settings import Settings, resolve_home


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m services.aggregator",
        description="The aggregator: projects the event stream into rollups and answers "
        "rollup queries over NATS. Finds NATS through NATS_URL (or the running system's home).",
    )
    parser.add_argument("--home", help="state directory (default: $TINHHINH_HOME or ./var)")
    args = parser.parse_args(argv)
    configure_logging()
    asyncio.run(run_until_signalled(bootstrap(Settings.from_env(resolve_home(args.home)))))


if __name__ == "__main__":
    main()
