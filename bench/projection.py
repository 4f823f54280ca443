"""The aggregator's projection alone: envelopes straight into `Projector.apply`, no NATS.

    .venv/bin/python bench/projection.py [--communes 50] [--weeks 26]

Catch-up in bench/aggregator.py mixes the stream read, the projection and the machine's
load; this measures the projection's own cost — wall rate and CPU microseconds per event,
all threads (aiosqlite's included) — on the same synthetic province, so two versions of the
code can be compared run against run. It prints, asserts nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import aggregator as province

from services.aggregator.projection import Projector
from services.aggregator.schema import connect
from services.aggregator.synthetic import EnvelopeWriter

BATCH = 2000


async def main(args: argparse.Namespace) -> None:
    w = EnvelopeWriter()
    envelopes = (province.network(w, args.communes, args.villages)
                 + province.reports(w, args.communes, args.villages, args.weeks,
                                    random.Random(48)))
    messages = [(seq, e.encode(), e.subject) for seq, e in enumerate(envelopes, start=1)]
    with tempfile.TemporaryDirectory() as home:
        db = await connect(Path(home) / "aggregator.sqlite")
        projector = Projector(db)
        await projector.load()
        wall, cpu = time.perf_counter(), time.process_time()
        for i in range(0, len(messages), BATCH):
            await projector.apply(messages[i:i + BATCH])
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
        await db.close()
    total = len(messages)
    print(f"projection of {total:,} envelopes ({args.communes} communes x {args.villages} "
          f"villages, {args.weeks} weeks): {total / wall:,.0f} events/s, "
          f"{cpu / total * 1e6:.1f} us of CPU per event")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--communes", type=int, default=50)
    parser.add_argument("--villages", type=int, default=27)
    parser.add_argument("--weeks", type=int, default=26)
    asyncio.run(main(parser.parse_args()))
