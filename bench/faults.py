"""The fault campaign: steady load while each process is killed, stopped or restarted.

    .venv/bin/python bench/faults.py                        # 12 trials, a few minutes
    .venv/bin/python bench/faults.py --trials 100 --seconds 900 --seed 7
    .venv/bin/python bench/faults.py --faults kill:nats,stop:intake,disk

One temporary home (on a small loop-mounted filesystem where one can be made, so the
disk can be filled), the embedded nats-server on a free port and the intake, the
aggregator and the notifier each as its own process (`bench/fault_system.py`). Each
trial runs the demo cadres' load (`bench/fault_load.py`) for a few seconds and, at a
random moment of it (seeded), does one fault to one target:

- **kill**: SIGKILL, down for a moment, started again;
- **stop**: SIGSTOP, held, SIGCONT;
- **restart**: SIGTERM, waited for, started again;
- **disk**: the home's filesystem filled to the last byte, held, freed.

Then the retries are drained and the system settles (bounded); `bench/fault_count.py`
counts where every report got to. One table per fault kind, a row per target:
acknowledged (200/201 to the client), stored, in the stream, rolled up, alerted, and

- **lost**: acknowledged but not in the event store;
- **doubled**: in the stream more than once, an alert more for one report, or rolled
  up more often than the stream holds reports;
- **stuck**: not through within the settle bound: stored but not in the stream, an
  urgent report with no alert, in the stream but not rolled up, or never answered.

The exit code is 1 on any lost, doubled or stuck report, a refused report, or a process
that did not come back; 0 otherwise. All traffic is on 127.0.0.1.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import random
import shutil
import signal
import sys
import tempfile
import time
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import httpx
from fault_count import Census, Counts
from fault_disk import SmallDisk
from fault_load import Load, Sent
from fault_system import NATS, SERVICES, System

from domain.clock import VN, SystemClock
from services.common import nats_auth
from services.common.nats_watch import WriteErrorWatch

KINDS = ("kill", "stop", "restart", "disk")
TARGETS = (*SERVICES, NATS)
DEMO_PASSWORD = "demo-2026"  # the demo plan's (plans/demo-thuan-thanh.toml)
DISK = "disk"


@dataclass
class Trial:
    no: int
    kind: str
    target: str
    at: float = 0.0  # seconds into the trial's load when the fault began
    hold: float = 0.0  # how long the target was down, stopped or full
    recovered_in: float | None = None  # fault's end until /healthz 200 again
    note: str = ""
    sent: int = 0
    acknowledged: int = 0
    stored: int = 0
    streamed: int = 0
    rolled_up: int = 0
    urgent: int = 0
    alerted: int = 0
    lost: int = 0
    doubled: int = 0
    stuck: int = 0


@dataclass
class Verdict:
    """Per report where it got to, against what it should have reached."""

    acknowledged: int = 0
    stored: int = 0
    streamed: int = 0
    urgent: int = 0
    alerted: int = 0
    lost: int = 0
    doubled: int = 0
    stuck: int = 0
    examples: list[str] = field(default_factory=list)

    def note(self, what: str) -> None:
        if len(self.examples) < 5:
            self.examples.append(what)


def judge(sent: list[Sent], counts: Counts) -> Verdict:
    v = Verdict()
    for s in sent:
        stored = s.report_id in counts.stored
        in_stream = counts.streamed[s.report_id]
        alerts = len(counts.alerts.get(s.report_id, ()))
        v.acknowledged += s.acknowledged
        v.stored += stored
        v.streamed += in_stream > 0
        v.urgent += s.urgent and stored
        v.alerted += s.urgent and alerts > 0
        if s.acknowledged and not stored:
            v.lost += 1
            v.note(f"lost: {s.report_id} (key {s.key}) answered {s.status}, not stored")
        if in_stream > 1 or alerts > 1:
            v.doubled += max(0, in_stream - 1) + max(0, alerts - 1)
            v.note(f"doubled: {s.report_id} {in_stream}× in the stream, {alerts} alerts")
        if stored and not in_stream:
            v.stuck += 1
            v.note(f"stuck: {s.report_id} stored, not in the stream")
        elif s.urgent and stored and not alerts:
            v.stuck += 1
            v.note(f"stuck: urgent {s.report_id} has no alert")
        elif s.status is None and s.refused is None:
            v.stuck += 1
            v.note(f"stuck: {s.report_id} (key {s.key}) never answered "
                   f"after {s.attempts} attempts")
    return v


def settled(sent: list[Sent], counts: Counts) -> bool:
    streamed = set(counts.streamed)
    return (counts.stored <= streamed
            and all(s.report_id in counts.alerts for s in sent
                    if s.urgent and s.report_id in counts.stored)
            and counts.rolled_up == len(streamed))


# --------------------------------------------------------------------------- faults
def fault_plan(args: argparse.Namespace, rng: random.Random,
               disk: SmallDisk | None) -> list[tuple[str, str]]:
    """`--trials` faults cycling through `--faults` (else every (kind, target)), shuffled."""
    if args.faults:
        combos = []
        for item in args.faults.split(","):
            kind, _, target = item.strip().partition(":")
            targets = [DISK] if kind == DISK else [target] if target else list(TARGETS)
            combos += [(kind, t) for t in targets]
        cycle = combos
    else:
        cycle = [(k, t) for k in KINDS if k != DISK for t in TARGETS] + [(DISK, DISK)]
    rng.shuffle(cycle)
    if disk is None:
        cycle = [c for c in cycle if c[0] != DISK] or cycle
    return [cycle[i % len(cycle)] for i in range(args.trials)]


async def apply_fault(system: System, disk: SmallDisk | None, trial: Trial) -> None:
    await asyncio.sleep(trial.at)
    target = trial.target
    system.down.add(target)
    try:
        if trial.kind == DISK:
            if disk is None:
                trial.note = "skipped: no small filesystem"
                return
            await asyncio.to_thread(disk.fill)
            until = time.monotonic() + trial.hold
            while time.monotonic() < until:  # top up: a checkpoint may free pages
                await asyncio.sleep(0.25)
                await asyncio.to_thread(disk.fill)
            disk.release()
        else:
            await _signal_fault(system, trial)
    finally:
        system.down.discard(target)
    trial.recovered_in = await system.wait_healthy(90)


async def _signal_fault(system: System, trial: Trial) -> None:
    proc = system.procs[trial.target]
    # `offline`: not answering at all, for the 'published: true' check (`down` lasts until
    # the process is healthy again, so an answer given after the restart is no finding).
    system.offline.add(trial.target)
    if trial.kind == "kill":
        await proc.kill()
        await asyncio.sleep(trial.hold)
        system.offline.discard(trial.target)
        await system.start(trial.target)
    elif trial.kind == "stop":
        proc.send(signal.SIGSTOP)
        await asyncio.sleep(trial.hold)
        system.offline.discard(trial.target)
        proc.send(signal.SIGCONT)
    elif trial.kind == "restart":
        started = time.monotonic()
        if not await proc.terminate(20):
            trial.note = "did not stop on SIGTERM within 20 s (killed)"
        trial.hold = time.monotonic() - started
        system.offline.discard(trial.target)
        await system.start(trial.target)


# --------------------------------------------------------------------------- the run
def years_now(week_year: int) -> set[int]:
    return {week_year, SystemClock().now().astimezone(VN).year}


async def settle(census: Census, load: Load, system: System, years: set[int],
                 within: float) -> str | None:
    """Count until every report got everywhere it should, or `within` s passed; the
    reason it is not settled, or None."""
    deadline = time.monotonic() + within
    reason: str | None = "not counted"
    while True:
        years |= years_now(min(years))
        try:
            await census.refresh(years, DEMO_PASSWORD)
            healthy = (await census.http.get("/healthz")).status_code == 200
            reason = (None if settled(load.sent, census.counts) and healthy
                      else "counts differ" if healthy else "/healthz not 200")
        except Exception as exc:  # any part may still be coming back: count again
            reason = f"{type(exc).__name__}: {exc}"
        if reason is None:
            return None
        if time.monotonic() > deadline:
            with contextlib.suppress(Exception):
                health = (await census.http.get("/healthz")).json()
                reason += f"; /healthz {json.dumps(health, separators=(',', ':'))[:400]}"
            reason += "; processes " + ", ".join(
                f"{p.name} {p.state()}" for p in system.procs.values())
            return reason
        await asyncio.sleep(0.5)


async def campaign(args: argparse.Namespace, system: System, disk: SmallDisk | None) -> int:
    rng = random.Random(args.seed)
    plan = fault_plan(args, rng, disk)
    now = SystemClock().now().astimezone(VN)
    iso = now.isocalendar()
    week = f"{iso.year}-W{iso.week:02d}"
    years = years_now(iso.year)
    started = time.monotonic()
    await system.start_all()
    print(f"system up in {time.monotonic() - started:.1f} s: {system.url}, {system.nats_url}; "
          f"weekly reports for {week}", flush=True)
    trials: list[Trial] = []
    failures: list[str] = []
    budget_end = started + args.seconds
    load = Load(system.url, random.Random(args.seed + 1), week, args.urgent,
                nats_down=lambda: NATS in system.offline)
    async with httpx.AsyncClient(base_url=system.url, timeout=15) as http, load:
        census = Census(system.home / "events.sqlite", system.nats_url, http,
                        system.credentials[nats_auth.READER].connect_options())
        try:
            if await settle(census, load, system, years, args.settle) is not None:
                raise RuntimeError("the fresh system did not answer every count")
            streamed_before, rolled_before = len(census.counts.streamed), 0
            for no, (kind, target) in enumerate(plan, 1):
                if time.monotonic() + args.load_seconds + 5 > budget_end:
                    print(f"time budget of {args.seconds:.0f} s reached after {no - 1} trials")
                    break
                trial = Trial(no, kind, target, at=rng.uniform(0.1, 0.5) * args.load_seconds,
                              hold=rng.uniform(0.2, args.max_hold))
                fault = asyncio.create_task(apply_fault(system, disk, trial))
                await load.run(no, args.load_seconds, args.rate)
                try:
                    await asyncio.wait_for(fault, 150)
                except Exception as exc:
                    failures.append(f"trial {no} {kind} {target}: did not recover: {exc}")
                    trial.note = f"did not recover: {type(exc).__name__}"
                await load.drain(args.settle)
                reason = await settle(census, load, system, years, args.settle)
                counts = census.counts
                mine = [s for s in load.sent if s.trial == no]
                verdict = judge(mine, counts)
                streamed_now, rolled_now = len(counts.streamed), counts.rolled_up or 0
                new_streamed, new_rolled = (streamed_now - streamed_before,
                                            rolled_now - rolled_before)
                streamed_before, rolled_before = streamed_now, rolled_now
                fill(trial, verdict, mine, new_rolled)
                if new_rolled > new_streamed:
                    trial.doubled += new_rolled - new_streamed
                    verdict.note(f"rolled up {new_rolled} for {new_streamed} new in the stream")
                elif new_rolled < new_streamed:
                    trial.stuck += new_streamed - new_rolled
                    verdict.note(f"rolled up {new_rolled} of {new_streamed} new in the stream")
                print(progress(trial, len(plan), reason), flush=True)
                for example in verdict.examples:
                    print(f"    {example}", flush=True)
                if reason is not None:
                    failures.append(f"trial {no} {kind} {target}: not settled within "
                                    f"{args.settle:g} s: {reason}")
                elif trial.lost or trial.doubled or trial.stuck:
                    failures.append(f"trial {no} {kind} {target}: lost {trial.lost}, "
                                    f"doubled {trial.doubled}, stuck {trial.stuck} ({reason})")
                trials.append(trial)
            await load.drain(args.settle)
            reason = await settle(census, load, system, years, args.settle)
            final = judge(load.sent, census.counts)
        finally:
            await census.close()
    return report(args, trials, load.sent, census.counts, final, reason, failures, disk)


def fill(trial: Trial, v: Verdict, mine: list[Sent], rolled: int) -> None:
    trial.sent, trial.acknowledged, trial.stored = len(mine), v.acknowledged, v.stored
    trial.streamed, trial.rolled_up, trial.urgent = v.streamed, rolled, v.urgent
    trial.alerted, trial.lost, trial.doubled, trial.stuck = v.alerted, v.lost, v.doubled, v.stuck


def progress(t: Trial, total: int, reason: str | None) -> str:
    back = "-" if t.recovered_in is None else f"{t.recovered_in:.1f} s"
    state = "settled" if reason is None else f"NOT settled ({reason})"
    return (f"trial {t.no:>3}/{total} {t.kind:<7} {t.target:<10} at {t.at:4.1f} s, held "
            f"{t.hold:4.1f} s, healthy again after {back}: {t.acknowledged}/{t.sent} acked, "
            f"{t.alerted}/{t.urgent} urgent alerted, {state}"
            + (f"; {t.note}" if t.note else ""))


# --------------------------------------------------------------------------- output
COLUMNS = ("trials", "sent", "acked", "stored", "stream", "rolled", "urgent", "alerted",
           "lost", "doubled", "stuck", "back s")


def table(kind: str, rows: dict[str, list[Trial]]) -> list[str]:
    out = [f"{kind}", f"  {'target':<10}" + "".join(f"{c:>9}" for c in COLUMNS)]
    total: list[Trial] = []
    for target, trials in rows.items():
        total += trials
        out.append(f"  {target:<10}" + "".join(f"{v:>9}" for v in cells(trials)))
    if len(rows) > 1:
        out.append(f"  {'all':<10}" + "".join(f"{v:>9}" for v in cells(total)))
    return out


def cells(trials: list[Trial]) -> list[str]:
    def s(name: str) -> str:
        return str(sum(getattr(t, name) for t in trials))
    backs = [t.recovered_in for t in trials if t.recovered_in is not None]
    return [str(len(trials)), s("sent"), s("acknowledged"), s("stored"), s("streamed"),
            s("rolled_up"), s("urgent"), s("alerted"), s("lost"), s("doubled"), s("stuck"),
            f"{max(backs):.1f}" if backs else "-"]


def report(args: argparse.Namespace, trials: list[Trial], sent: list[Sent], counts: Counts,
           final: Verdict, reason: str | None, failures: list[str],
           disk: SmallDisk | None) -> int:
    by_kind: dict[str, dict[str, list[Trial]]] = defaultdict(lambda: defaultdict(list))
    for t in trials:
        by_kind[t.kind][t.target].append(t)
    print()
    print(f"fault campaign — seed {args.seed}, {len(trials)} trials, {args.rate:g} reports/s, "
          f"{args.urgent:.0%} urgent; columns: acked = answered 200/201, stream = in "
          "JetStream, rolled = rollup 'reports', alerted = urgent with a hot-spot alert, "
          "back s = slowest return to /healthz 200")
    for kind in KINDS:
        if kind in by_kind:
            print()
            print("\n".join(table(kind, by_kind[kind])))
    refused = [s for s in sent if s.refused]
    busy = sum(s.busy for s in sent)
    retried = sum(s.unavailable for s in sent)
    print()
    print(f"all trials, counted again at the end ({'settled' if reason is None else reason}):"
          f" {final.acknowledged} acknowledged, {final.stored} stored, {final.streamed} in the "
          f"stream, {counts.rolled_up} rolled up, {final.alerted}/{final.urgent} urgent "
          f"alerted; lost {final.lost}, doubled {final.doubled}, stuck {final.stuck}; "
          f"{counts.doubled_events} stream messages beyond the first of their event id")
    print(f"retries: {busy} answers '409 busy' (case numbers: defect 7, fixed), {retried} "
          "connection errors, timeouts or 5xx; "
          f"{sum(1 for s in sent if s.published is False)} answers 'published: false'; "
          f"{sum(s.published_while_nats_down for s in sent)} answers 'published: true' asked and "
          "answered while nats-server was not running (right only for a retry of a report "
          "already on the stream before the fault)")
    if disk is None:
        print(f"disk faults: skipped — {args.disk_skip_reason}")
    else:
        print(f"disk faults: the home on a {args.disk_mb} MB {disk.kind}")
    for s in refused[:5]:
        failures.append(f"refused: {s.report_id} (key {s.key}): {s.refused}")
    failures += [f"final: {e}" for e in final.examples] if (
        final.lost or final.doubled or final.stuck) else []
    if counts.rolled_up is not None and counts.rolled_up != len(counts.streamed):
        failures.append(f"final: rolled up {counts.rolled_up} for {len(counts.streamed)} "
                        "reports in the stream")
    if counts.doubled_events:
        failures.append(f"final: {counts.doubled_events} events in the stream more than once")
    if failures:
        print("\nFAILED:")
        for f in failures:
            print(f"  {f}")
        return 1
    print("\nPASSED: nothing lost, nothing doubled, nothing stuck")
    return 0


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(
        prog="bench/faults.py",
        description="Steady load while each service and nats-server is killed, stopped and "
        "restarted (and the disk filled); counts acknowledged vs stored vs streamed vs rolled "
        "up vs alerted and exits 1 on any lost, doubled or stuck report.")
    p.add_argument("--trials", type=int, default=12, help="number of faults (default 12)")
    p.add_argument("--seconds", type=float, default=600,
                   help="time budget for the trials; no trial starts past it (default 600)")
    p.add_argument("--seed", type=int, default=1, help="seed of the fault plan and the load")
    p.add_argument("--rate", type=float, default=20, help="reports started per second (20)")
    p.add_argument("--urgent", type=float, default=0.15,
                   help="share of urgent reports with an urgent hot spot (0.15)")
    p.add_argument("--load-seconds", type=float, default=6,
                   help="seconds of load per trial (6)")
    p.add_argument("--max-hold", type=float, default=3,
                   help="longest a target stays down, stopped or full (3 s)")
    p.add_argument("--settle", type=float, default=30,
                   help="bound on retries and on settling after each trial (30 s)")
    p.add_argument("--faults", default="",
                   help="comma-separated KIND[:TARGET] to cycle through instead of every "
                   f"combination; kinds {', '.join(KINDS)}, targets {', '.join(TARGETS)}")
    p.add_argument("--disk-mb", type=int, default=512,
                   help="size of the home's filesystem (512 MB)")
    p.add_argument("--keep", action="store_true", help="keep the temporary directory")
    args = p.parse_args(argv)
    if args.trials < 1 or args.rate <= 0 or args.seconds <= 0:
        p.error("--trials, --rate and --seconds must be positive")
    for item in filter(None, args.faults.split(",")):
        kind, _, target = item.strip().partition(":")
        if kind not in KINDS or (target and target not in TARGETS):
            p.error(f"--faults: unknown {item!r}")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    tmp = Path(tempfile.mkdtemp(prefix="tinhhinh-faults-"))
    disk, args.disk_skip_reason = SmallDisk.make(tmp, args.disk_mb)
    home = (disk.mountpoint if disk is not None else tmp) / "home"
    system = System(home=home, logs=tmp / "logs")
    print(f"tinhhinh fault campaign — seed {args.seed}, temporary directory {tmp}", flush=True)
    code = 1
    try:
        system.prepare()
        code = asyncio.run(run(args, system, disk))
    except Exception as exc:
        print(f"\nFAILED: the campaign could not run: {type(exc).__name__}: {exc}")
        for proc in system.procs.values():
            print(f"--- {proc.name} ({proc.log_path})\n{proc.tail()}")
    finally:
        keep = args.keep or code != 0
        if disk is not None:
            disk.remove(keep_image=keep)
        if keep:
            print(f"kept {tmp} (logs under logs/)")
        else:
            shutil.rmtree(tmp, ignore_errors=True)
    return code


async def run(args: argparse.Namespace, system: System, disk: SmallDisk | None) -> int:
    supervisor = asyncio.create_task(supervise_nats(system))
    try:
        return await campaign(args, system, disk)
    finally:
        supervisor.cancel()
        with contextlib.suppress(Exception):
            await system.stop_all()


async def supervise_nats(system: System) -> None:
    """What `tinhhinh up` does for its embedded server (services/up.py): a stream that failed
    a write on a full disk takes messages again only after a restart, once room is back."""
    watch = WriteErrorWatch(system.procs[NATS].log_path, system.home / "nats" / "jetstream")
    while True:
        await asyncio.sleep(2)
        if NATS in system.down or not await asyncio.to_thread(watch.check):
            continue
        print("supervisor: nats-server restarted after a write error (disk full)", flush=True)
        system.down.add(NATS)
        try:
            await system.procs[NATS].terminate(15)
            await system.start(NATS)
        finally:
            system.down.discard(NATS)
        watch.restarted()


if __name__ == "__main__":
    sys.exit(main())
