"""Benchmark of the aggregator: projection catch-up against the raw stream read, and rollup latency.

Builds a synthetic province (about 100 communes x 27 villages, a cadre per village,
one year of weekly reports, about 140,000 reports), publishes it straight to a fresh
embedded nats-server (network envelopes first), then prints in one run:

- the raw rate of reading the stream with nats-py: a pull consumer fetching batches
  (`fetch()`), and the lean pull the aggregator itself uses (services/aggregator/pull.py),
- the projection's catch-up rate (the aggregator service from an empty read model),
- rollup query latency p50/p99 for a village, a commune and the province, for a week
  and for the year, in-process and as a NATS request/reply round trip.

Goals: catch-up >= 50% of the raw rate; rollup p99 < 100 ms. It prints, asserts nothing.

    .venv/bin/python bench/aggregator.py [--communes 100] [--villages 27] [--weeks 52]
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import logging
import os
import random
import statistics
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import nats
from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy

from domain.clock import FixedClock
from domain.ids import account_id
from domain.schedule import Schedule
from services.aggregator.bootstrap import bootstrap
from services.aggregator.consumer import ConsumerSettings
from services.aggregator.pull import Puller
from services.aggregator.synthetic import EnvelopeWriter
from services.common import nats_auth, wire
from services.common.contracts import ROLLUPS_GET
from services.common.logconfig import configure_logging
from services.common.natsd import EmbeddedNats, free_port
from services.common.settings import Settings
from services.common.streams import EVENTS_STREAM, EVENTS_SUBJECTS, declare_streams

YEAR = 2026
BATCH = ConsumerSettings().batch
SUBMIT_RATE = 0.98
URGENT_RATE = 0.01
HOT_SPOT_RATE = 0.03
FROM = datetime(2025, 7, 1, tzinfo=UTC)
CATEGORIES = ("land", "complaint", "environment", "security", "policy", "social")

def bench_auth() -> dict[str, Any]:
    """The intake's NATS user (it publishes events), from NATS_CREDS_DIR (set once started)."""
    return nats_auth.connect_options(Path(), nats_auth.INTAKE)



AUDITOR = "bench.auditor"  # reads the whole network


def network(w: EnvelopeWriter, communes: int, villages: int) -> list[wire.Envelope]:
    out = [w.network("Tỉnh tổng hợp (benchmark)"), w.define_schedule(Schedule())]
    out.append(w.area("tinh", "Tỉnh Tổng Hợp", "province"))
    out.append(w.unit("ccb-tinh", "Hội Cựu chiến binh tỉnh", area_ids=["tinh"], place="Tỉnh",
                      superior="HỘI CCB VIỆT NAM"))
    for c in range(communes):
        commune = f"xa-{c:03d}"
        out.append(w.area(commune, f"Xã {c:03d}", "commune", "tinh"))
        out.append(w.unit(f"ccb-{commune}", f"Hội Cựu chiến binh xã {c:03d}", parent="ccb-tinh",
                          area_ids=[commune], place=f"Xã {c:03d}"))
        for v in range(villages):
            village = f"{commune}-thon-{v:02d}"
            unit = f"ch-{village}"
            cadre = f"cb-{village}"
            out.append(w.area(village, f"Thôn {v:02d} xã {c:03d}", "village", commune))
            out.append(w.unit(unit, f"Chi hội Cựu chiến binh thôn {v:02d}", code="CHCCB",
                              parent=f"ccb-{commune}", area_ids=[village], place=f"Xã {c:03d}"))
            out.append(w.cadre(cadre, f"Cán bộ {c:03d}-{v:02d}", unit))
            out.append(w.assignment(cadre, village, FROM))
    # The account the rollup requests are made on behalf of (the aggregator checks its scope).
    out.append(w.account(AUDITOR, "auditor"))
    return out


def reports(w: EnvelopeWriter, communes: int, villages: int, weeks: int,
            rng: random.Random) -> list[wire.Envelope]:
    out = []
    schedule = w.schedule
    for week in range(1, weeks + 1):
        due = schedule.deadline("weekly", __import__("domain.periods").periods.Period(
            __import__("domain.periods").periods.Cadence.WEEK, YEAR, week))
        period = f"{YEAR}-W{week:02d}"
        batch = []
        for c in range(communes):
            for v in range(villages):
                village, cadre = f"xa-{c:03d}-thon-{v:02d}", f"cb-xa-{c:03d}-thon-{v:02d}"
                if rng.random() < URGENT_RATE:
                    at = due - timedelta(hours=rng.uniform(0, 100))
                    batch.append((at, ("urgent", village, cadre, None)))
                if rng.random() < SUBMIT_RATE:
                    at = due - timedelta(hours=rng.uniform(-12, 60))
                    batch.append((at, ("weekly", village, cadre, period)))
        batch.sort(key=lambda item: item[0])
        for at, (kind, village, cadre, per) in batch:
            spots = []
            if rng.random() < HOT_SPOT_RATE or kind == "urgent":
                spots = [{"category": rng.choice(CATEGORIES),
                          "severity": rng.choice(("medium", "high", "urgent")),
                          "title": "Tranh chấp đất đai giữa các hộ dân",
                          "description": "Hai hộ tranh chấp ranh giới thửa đất, đã hoà giải "
                                         "một lần nhưng chưa thành."}]
            assessment = "complex" if spots else rng.choice(("stable",) * 8 + ("attention",))
            out.append(w.report(
                kind, village, cadre, at, period=per, assessment=assessment,
                summary="Tình hình nhân dân ổn định, hội viên phấn khởi, không có vụ việc mới.",
                unit_id=f"ch-{village}", hot_spots=spots,
                counts={"households_visited": rng.randint(5, 40),
                        "complaints_received": rng.randint(0, 2),
                        "meetings": rng.randint(0, 1)},
                sections={"life_and_mood": "Đời sống nhân dân ổn định."}
                if rng.random() < 0.1 else None))
    return out


Encoded = tuple[str, bytes, dict[str, str]]


async def publish(url: str, messages: list[Encoded]) -> float:
    nc = await nats.connect(url, **bench_auth())
    try:
        js = nc.jetstream()
        await declare_streams(js)
        started = time.perf_counter()
        for i in range(0, len(messages), 2000):
            futures = [await js.publish_async(subject, payload, headers=headers)
                       for subject, payload, headers in messages[i:i + 2000]]
            await asyncio.gather(*futures)
        return time.perf_counter() - started
    finally:
        await nc.close()


async def raw_read(url: str, total: int) -> float:
    """Messages per second a bare nats-py pull consumer reads with `fetch()`, batch for batch."""
    nc = await nats.connect(url, **bench_auth())
    try:
        js = nc.jetstream()
        sub = await js.pull_subscribe(
            EVENTS_SUBJECTS[0], stream=EVENTS_STREAM,
            config=ConsumerConfig(ack_policy=AckPolicy.NONE, deliver_policy=DeliverPolicy.ALL))
        started = time.perf_counter()
        seen = 0
        while seen < total:
            seen += len(await sub.fetch(BATCH, timeout=10))
        elapsed = time.perf_counter() - started
        await sub.unsubscribe()
        return seen / elapsed
    finally:
        await nc.close()


async def lean_read(url: str, total: int) -> float:
    """The same read through the aggregator's own pull (no per-message task or timer)."""
    nc = await nats.connect(url, **bench_auth())
    try:
        js = nc.jetstream()
        await js.add_consumer(EVENTS_STREAM, ConsumerConfig(
            name="bench-lean", ack_policy=AckPolicy.NONE, deliver_policy=DeliverPolicy.ALL))
        puller = Puller(nc, EVENTS_STREAM, "bench-lean")
        await puller.start()
        started = time.perf_counter()
        seen = 0
        while seen < total:
            seen += len(await puller.fetch(BATCH, timeout=10))
        elapsed = time.perf_counter() - started
        await puller.stop()
        await js.delete_consumer(EVENTS_STREAM, "bench-lean")
        return seen / elapsed
    finally:
        await nc.close()


def percentiles(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    p99 = ordered[min(len(ordered) - 1, round(0.99 * (len(ordered) - 1)))]
    return statistics.median(ordered), p99


async def main(args: argparse.Namespace) -> None:
    rng = random.Random(48)
    w = EnvelopeWriter()
    started = time.perf_counter()
    envelopes = network(w, args.communes, args.villages)
    n_network = len(envelopes)
    envelopes += reports(w, args.communes, args.villages, args.weeks, rng)
    n_reports = len(envelopes) - n_network
    print(f"synthetic province: {args.communes} communes x {args.villages} villages, "
          f"{args.weeks} weeks: {n_network} network events + {n_reports} reports "
          f"({time.perf_counter() - started:.1f} s to build)")
    messages = [(e.subject, e.encode(), e.headers()) for e in envelopes]
    # Free the objects and freeze what is left, so the collector's sweeps over this
    # process's own data do not weigh on the rates measured below.
    del envelopes
    gc.collect()
    gc.freeze()
    # The JetStream store in memory when it can be: publishing 150,000 events with an
    # fsync each would take minutes, and is not what is measured here.
    shm = "/dev/shm"  # noqa: S108 - a private TemporaryDirectory inside it
    in_memory = os.path.isdir(shm)  # noqa: ASYNC240 - once, before anything runs
    with tempfile.TemporaryDirectory(dir=shm if in_memory else None) as nats_dir, \
            tempfile.TemporaryDirectory() as home_dir:
        server = EmbeddedNats(Path(nats_dir), free_port())
        server.start()
        # The services it spawns and its own clients find the users' credentials there.
        os.environ[nats_auth.CREDS_DIR_ENV] = str(server.creds_dir)
        try:
            took = await publish(server.url, messages)
            total = len(messages)
            print(f"published {total} envelopes in {took:.1f} s "
                  f"({total / took:,.0f}/s; JetStream store on {nats_dir})")
            # Best of two: the reads are short and other processes share the machine.
            raw = max([await raw_read(server.url, total) for _ in range(2)])
            lean = max([await lean_read(server.url, total) for _ in range(2)])
            home = Path(home_dir)
            clock = FixedClock(datetime(YEAR, 12, 31, 10, tzinfo=UTC))
            runtime = bootstrap(Settings(home=home, nats_url=server.url), clock,
                                consumer=ConsumerSettings(batch=BATCH))
            started = time.perf_counter()
            await runtime.start()
            boot = time.perf_counter() - started
            try:
                started = time.perf_counter()
                assert await runtime.wait_applied(total, within=600)
                took = time.perf_counter() - started
                rate = total / took
                size = (home / "aggregator.sqlite").stat().st_size / 2**20
                print(f"raw read, nats-py fetch():   {raw:9,.0f} events/s (pull consumer, "
                      f"batches of {BATCH}, no acks, no decoding)")
                print(f"raw read, lean pull:         {lean:9,.0f} events/s (the aggregator's "
                      "own pull, same batches)")
                print(f"projection catch-up:         {rate:9,.0f} events/s ({took:.1f} s after a "
                      f"{boot:.1f} s start; read model {size:.0f} MiB, synchronous=FULL)")
                print(f"catch-up / nats-py fetch():  {rate / raw:9.0%}   (goal >= 50%)")
                print(f"catch-up / lean pull:        {rate / lean:9.0%}")
                await latency(runtime, server.url, args)
            finally:
                await runtime.stop()
        finally:
            server.stop()


async def latency(runtime: object, url: str, args: argparse.Namespace) -> None:
    service = runtime.service()  # type: ignore[attr-defined]
    commune = f"xa-{args.communes // 2:03d}"
    units = {"village": f"ch-{commune}-thon-{args.villages // 2:02d}",
             "commune": f"ccb-{commune}", "province": "ccb-tinh"}
    periods = {"week": f"{YEAR}-W30", "year": str(YEAR)}
    nc = await nats.connect(url, **bench_auth())
    print(f"rollup latency over {args.queries} queries each (ms)   in-process p50/p99"
          "   NATS request p50/p99")
    try:
        for scope, unit in units.items():
            for span, period in periods.items():
                await service.rollup(unit, period)  # warm the caches once
                local = []
                for _ in range(args.queries):
                    t = time.perf_counter()
                    body = await service.rollup(unit, period)
                    local.append((time.perf_counter() - t) * 1000)
                remote = []
                request = json.dumps({"account_id": str(account_id(AUDITOR)), "unit_id": unit,
                                      "period": period}).encode()
                for _ in range(args.queries):
                    t = time.perf_counter()
                    await nc.request(ROLLUPS_GET.subject, request, timeout=10)
                    remote.append((time.perf_counter() - t) * 1000)
                (lp50, lp99), (rp50, rp99) = percentiles(local), percentiles(remote)
                print(f"  {scope:8} {span:4} expected {body['expected']:7} received "
                      f"{body['received']:7}   {lp50:7.1f} / {lp99:6.1f}      "
                      f"{rp50:7.1f} / {rp99:6.1f}")
    finally:
        await nc.close()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--communes", type=int, default=100)
    parser.add_argument("--villages", type=int, default=27)
    parser.add_argument("--weeks", type=int, default=52)
    parser.add_argument("--queries", type=int, default=100)
    configure_logging(logging.WARNING)
    asyncio.run(main(parser.parse_args()))
