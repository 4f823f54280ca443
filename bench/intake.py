"""Intake throughput: reports per second end to end against raw JetStream publishes.

    .venv/bin/python bench/intake.py            # the full run, about a minute and a half
    .venv/bin/python bench/intake.py --quick    # a smoke run, small counts

One run, one temporary home, one nats-server (the embedded one, on a free port,
with the project's own configuration: file store, ``sync_interval: always``):

1. a generated plan (1 province, 4 wards, one village per cadre, a cadre and a
   cadre account per village) is loaded into the home's event store;
2. the intake runs exactly as in production, ``python -m services.intake --home
   HOME --port PORT`` with ``NATS_URL`` set, and is waited for on ``/healthz``;
3. every cadre signs in once; then, per concurrency level, N workers (each its
   own cadre, keep-alive connection and area) POST weekly reports with unique
   ``Idempotency-Key``s for a fixed time. A 201 is answered only after the
   relay's JetStream ack (``"published": true``), so each 201 is a report in
   SQLite *and* in the stream. Anything else counts as an error;
4. at the same concurrency, against a twin server (the same nats-server binary and
   config, but without users: no user of the system's server may create a stream of its
   own), nats-py publishes
   payloads of the size of a real ``ReportSubmitted`` envelope (with
   ``Nats-Msg-Id``) to a file-backed stream ``BENCH_RAW`` (``bench.raw.>``)
   and awaits each ack: the ceiling the end-to-end path is compared with;
5. the stream must hold exactly as many ``ReportSubmitted`` messages as there
   were 201s.

Figures are printed, never asserted. The client (httpx, nats-py) runs in this
process on the same machine, so the CPU columns show who used the cores.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import math
import os
import platform
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import nats
from nats.js import JetStreamContext
from nats.js.api import StorageType, StreamConfig

from domain.clock import SystemClock
from services.common import nats_auth, wire
from services.common.natsd import (
    EmbeddedNats,
    die_with_parent_hook,
    free_port,
    nats_server_binary,
    render_config,
)
from services.common.plan_file import load_plan
from services.common.store import open_store
from services.common.streams import DUPLICATE_WINDOW_SECONDS, EVENTS_STREAM
from services.intake.directory import Directory
from services.intake.network_plan import apply_plan

ROOT = Path(__file__).resolve().parents[1]
PASSWORD = "bench-pass-2026"
WARDS = 4
RAW_STREAM = "BENCH_RAW"
RAW_SUBJECTS = "bench.raw.>"
GOAL_RATE = 500.0
GOAL_RATIO = 0.3
SUMMARY = ("Tình hình địa bàn ổn định; nhân dân phấn khởi, tin tưởng vào sự lãnh đạo của "
           "Đảng. Không phát sinh đơn thư, vụ việc mới.")


# --------------------------------------------------------------------------- the plan
@dataclass(frozen=True)
class Cadre:
    username: str
    area_id: str

def bench_auth() -> dict[str, Any]:
    """The intake's NATS user (it publishes events), from NATS_CREDS_DIR (set once started)."""
    return nats_auth.connect_options(Path(), nats_auth.INTAKE)



def cadres(count: int) -> list[Cadre]:
    """One cadre per village; villages spread over the wards round-robin."""
    out = []
    for i in range(count):
        ward = f"p{i % WARDS + 1}"
        out.append(Cadre(f"cb.{ward}.kp{i + 1:02d}", f"{ward}-kp{i + 1:02d}"))
    return out


def plan_toml(people: list[Cadre]) -> str:
    """A plan (docs/plan-format.md) with a cadre, an account and an assignment per village."""
    # A throw-away network whose known passwords are meant to be used as they are: a demo
    # (docs/plan-format.md), else every cadre would first have to change theirs.
    out = ['name = "Mạng lưới đo tải (bench)"', "demo = true", ""]

    def table(section: str, **values: object) -> None:
        out.append(f"[[{section}]]")
        for key, value in values.items():
            if isinstance(value, str) and key != "from":
                out.append(f"{key} = {json.dumps(value, ensure_ascii=False)}")
            elif isinstance(value, list):
                out.append(f"{key} = {json.dumps(value)}")
            else:
                out.append(f"{key} = {value}")
        out.append("")

    for level, name in (("province", "Tỉnh"), ("ward", "Phường/Xã"), ("village", "Khu phố/Thôn")):
        table("levels", id=level, name=name)
    table("areas", id="bench-tinh", name="Tỉnh Đo Tải", level="province")
    table("units", id="ccb-tinh", name="Hội Cựu chiến binh tỉnh", kind="association",
          areas=["bench-tinh"], place="Đo Tải", code="CCB", superior="TRUNG ƯƠNG HỘI CCB")
    for w in range(1, WARDS + 1):
        table("areas", id=f"p{w}", name=f"Phường {w}", level="ward", parent="bench-tinh")
        table("units", id=f"ccb-p{w}", name=f"Hội Cựu chiến binh phường {w}",
              kind="association", parent="ccb-tinh", areas=[f"p{w}"], place="Đo Tải",
              code="CCB", superior="HỘI CCB TỈNH")
    for person in people:
        ward = person.area_id.split("-", 1)[0]
        village = person.area_id
        table("areas", id=village, name=f"Khu phố {village}", level="village", parent=ward)
        table("units", id=f"ch-{village}", name=f"Chi hội CCB khu phố {village}",
              kind="association", parent=f"ccb-{ward}", areas=[village], place="Đo Tải",
              code="CHCCB", superior=f"HỘI CCB PHƯỜNG {ward.upper()}")
        table("cadres", id=f"cb-{village}", name=f"Cán bộ {village}", unit=f"ch-{village}")
        table("accounts", username=person.username, password=PASSWORD, role="cadre",
              cadre=f"cb-{village}")
        table("assignments", cadre=f"cb-{village}", area=village, **{"from": "2026-01-01"})
    out += ["[schedule]", 'weekly_due = "thursday 14:00"', 'weekly_reminder = "thursday 09:00"',
            "periodic_due_day = 15", "month_start_day = 1", 'timezone = "Asia/Ho_Chi_Minh"', ""]
    return "\n".join(out)


def load_network(home: Path, plan_path: Path) -> int:
    store = open_store(home)
    try:
        result = apply_plan(store, Directory(store), load_plan(plan_path), SystemClock())
        return result.total
    finally:
        store.close()


# --------------------------------------------------------------------------- processes
def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process (all its threads), from /proc."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return math.nan
    fields = stat.rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def busy_cpu_seconds() -> float:
    """CPU time all processes of the machine have used (from /proc/stat), in seconds."""
    try:
        values = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    except (OSError, ValueError):
        return math.nan
    idle = values[3] + (values[4] if len(values) > 4 else 0)  # idle + iowait
    return (sum(values[:8]) - idle) / os.sysconf("SC_CLK_TCK")


@dataclass
class Procs:
    intake_pid: int
    nats_pid: int

    def snapshot(self) -> tuple[float, ...]:
        return (time.perf_counter(), cpu_seconds(self.intake_pid),
                cpu_seconds(self.nats_pid), cpu_seconds(os.getpid()), busy_cpu_seconds())

    @staticmethod
    def usage(before: tuple[float, ...], after: tuple[float, ...]) -> dict[str, float]:
        """Percent of one core used by each side, and by everything else on the machine."""
        wall = after[0] - before[0]
        used = [100 * (a - b) / wall for a, b in zip(after[1:], before[1:], strict=True)]
        intake, nats_, client, machine = used
        return {"intake": intake, "nats": nats_, "client": client,
                "other": max(0.0, machine - intake - nats_ - client)}


def start_intake(home: Path, port: int, nats_url: str, log_path: Path) -> subprocess.Popen[bytes]:
    env = {**os.environ, "NATS_URL": nats_url, "TINHHINH_HOME": str(home)}
    with log_path.open("ab") as log:
        return subprocess.Popen(
            [sys.executable, "-m", "services.intake", "--home", str(home), "--port", str(port)],
            cwd=ROOT, env=env, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
            preexec_fn=die_with_parent_hook(),
        )


def wait_healthy(url: str, proc: subprocess.Popen[bytes], log_path: Path,
                 timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"the intake exited during start-up (code {proc.returncode}):\n"
                               + tail(log_path))
        # A 503 (still starting) raises HTTPError, an OSError: keep waiting.
        with contextlib.suppress(OSError), urllib.request.urlopen(  # noqa: S310 - our own loopback URL
            f"{url}/healthz", timeout=1
        ) as resp:
            if resp.status == 200:
                return
        time.sleep(0.1)
    raise RuntimeError(f"the intake was not healthy within {timeout:.0f} s:\n" + tail(log_path))


def stop_process(proc: subprocess.Popen[bytes] | None) -> None:
    if proc is None or proc.poll() is not None:
        return
    proc.terminate()
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def tail(path: Path, lines: int = 20) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return ""


# --------------------------------------------------------------------------- measuring
@dataclass
class Phase:
    """One measured run at one concurrency."""

    concurrency: int
    ok: int = 0
    errors: int = 0
    latencies: list[float] = field(default_factory=list)
    elapsed: float = 0.0
    cpu: dict[str, float] = field(default_factory=dict)
    samples: list[str] = field(default_factory=list)

    @property
    def rate(self) -> float:
        return self.ok / self.elapsed if self.elapsed else 0.0

    def percentile(self, q: float) -> float:
        if not self.latencies:
            return math.nan
        ordered = sorted(self.latencies)
        return 1000 * ordered[max(0, math.ceil(q * len(ordered)) - 1)]

    def error(self, what: str) -> None:
        self.errors += 1
        if len(self.samples) < 3:
            self.samples.append(what[:300])


@dataclass
class Totals:
    created: int = 0  # every 201 with "published": true, warm-ups included
    raw_acked: int = 0


async def sign_in(client: httpx.AsyncClient, people: list[Cadre]) -> dict[str, str]:
    tokens: dict[str, str] = {}
    gate = asyncio.Semaphore(4)  # argon2 verification is deliberately slow

    async def one(person: Cadre) -> None:
        async with gate:
            resp = await client.post("/api/v1/auth/token",
                                     json={"username": person.username, "password": PASSWORD})
        if resp.status_code != 200:
            raise RuntimeError(f"sign-in of {person.username}: {resp.status_code} {resp.text}")
        tokens[person.username] = resp.json()["access_token"]

    await asyncio.gather(*(one(p) for p in people))
    return tokens


async def run_e2e(base_url: str, people: list[Cadre], tokens: dict[str, str],
                  concurrency: int, seconds: float, tag: str, totals: Totals,
                  procs: Procs) -> Phase:
    """`concurrency` workers, each its own cadre, area and connection, POST for `seconds`.

    Each worker has its own AsyncClient holding one keep-alive connection (so
    `concurrency` connections in all). One shared pool of 64 would measure
    httpcore instead of the intake: its pool scans every connection on each
    request (AsyncConnectionPool._assign_requests_to_connections, has_expired
    polling every idle socket), which took the whole client core at 64.
    """
    phase = Phase(concurrency)
    limits = httpx.Limits(max_connections=1, max_keepalive_connections=1)
    clients = [httpx.AsyncClient(base_url=base_url, limits=limits, timeout=30.0)
               for _ in range(concurrency)]

    async def worker(w: int, stop_at: float, target: Phase, label: str) -> None:
        client, person = clients[w], people[w]
        headers = {"Authorization": f"Bearer {tokens[person.username]}"}
        n = 0
        while time.perf_counter() < stop_at:
            n += 1
            # Weeks of last year: past periods stay open (Schedule.is_open); next weeks do not.
            body = {"kind": "weekly", "area_id": person.area_id,
                    "period": f"2025-W{n % 52 + 1:02d}", "assessment": "stable",
                    "summary": SUMMARY, "counts": {"complaints_received": n % 7}}
            key = f"{tag}-{label}-w{w}-{n}"
            started = time.perf_counter()
            try:
                resp = await client.post("/api/v1/reports", json=body,
                                         headers={**headers, "Idempotency-Key": key})
            except httpx.HTTPError as exc:
                target.error(f"{type(exc).__name__}: {exc}")
                continue
            took = time.perf_counter() - started
            if resp.status_code == 201 and resp.json().get("published") is True:
                target.ok += 1
                totals.created += 1
                target.latencies.append(took)
            else:
                target.error(f"{resp.status_code} {resp.text}")

    try:
        # A short unmeasured warm-up opens the connections; then the measured run.
        warm = Phase(concurrency)
        stop_at = time.perf_counter() + min(1.0, seconds / 4)
        await asyncio.gather(*(worker(w, stop_at, warm, "a") for w in range(concurrency)))
        phase.errors, phase.samples = warm.errors, warm.samples
        before = procs.snapshot()
        stop_at = time.perf_counter() + seconds
        await asyncio.gather(*(worker(w, stop_at, phase, "b") for w in range(concurrency)))
        after = procs.snapshot()
    finally:
        await asyncio.gather(*(c.aclose() for c in clients))
    phase.elapsed = after[0] - before[0]
    phase.cpu = Procs.usage(before, after)
    return phase


async def run_raw(js: JetStreamContext, payload: bytes, concurrency: int, seconds: float,
                  tag: str, totals: Totals, procs: Procs) -> Phase:
    """`concurrency` tasks, each awaiting its own acknowledged js.publish in a loop."""
    phase = Phase(concurrency)

    async def worker(w: int, stop_at: float, measured: bool) -> None:
        subject = f"bench.raw.bench-tinh.p{w % WARDS + 1}.kp{w + 1:02d}.ReportSubmitted"
        n = 0
        while time.perf_counter() < stop_at:
            n += 1
            headers = {wire.MSG_ID_HEADER: f"{tag}-{int(measured)}-{w}-{n}",
                       wire.POSITION_HEADER: str(n)}
            started = time.perf_counter()
            try:
                ack = await js.publish(subject, payload, headers=headers)
            except Exception as exc:  # every failure is counted and shown
                phase.error(f"{type(exc).__name__}: {exc}")
                continue
            took = time.perf_counter() - started
            if ack.stream != RAW_STREAM or ack.duplicate:
                phase.error(f"unexpected ack {ack}")
                continue
            totals.raw_acked += 1
            if measured:
                phase.ok += 1
                phase.latencies.append(took)

    stop_at = time.perf_counter() + min(0.5, seconds / 4)
    await asyncio.gather(*(worker(w, stop_at, False) for w in range(concurrency)))
    before = procs.snapshot()
    stop_at = time.perf_counter() + seconds
    await asyncio.gather(*(worker(w, stop_at, True) for w in range(concurrency)))
    after = procs.snapshot()
    phase.elapsed = after[0] - before[0]
    phase.cpu = Procs.usage(before, after)
    return phase


async def report_submitted_count(js: JetStreamContext) -> int:
    info = await js.stream_info(EVENTS_STREAM, subjects_filter=f"{wire.SUBJECT_PREFIX}.>")
    subjects = info.state.subjects or {}
    return sum(n for s, n in subjects.items() if s.endswith(".ReportSubmitted"))


# --------------------------------------------------------------------------- output
def fmt(value: float, digits: int = 1) -> str:
    return "-" if math.isnan(value) else f"{value:.{digits}f}"


def print_tables(rows: list[tuple[Phase, Phase]]) -> None:
    print()
    print("end to end: POST /api/v1/reports → SQLite (synchronous=FULL) → JetStream ack → 201")
    print(f"{'conc':>5} {'reports/s':>10} {'p50 ms':>8} {'p99 ms':>8} {'ok':>7} {'errors':>6}"
          f"   cpu%: {'intake':>6} {'nats':>5} {'client':>6} {'other':>5}"
          f"   {'intake cpu ms/report':>20}")
    for e2e, _ in rows:
        per_report = 10 * e2e.cpu["intake"] / e2e.rate if e2e.rate else math.nan
        print(f"{e2e.concurrency:>5} {e2e.rate:>10.1f} {fmt(e2e.percentile(0.5)):>8} "
              f"{fmt(e2e.percentile(0.99)):>8} {e2e.ok:>7} {e2e.errors:>6}         "
              f"{e2e.cpu['intake']:>6.0f} {e2e.cpu['nats']:>5.0f} {e2e.cpu['client']:>6.0f} "
              f"{e2e.cpu['other']:>5.0f}   {fmt(per_report, 2):>20}")
    print()
    print(f"raw JetStream: nats-py js.publish, awaited acks, stream {RAW_STREAM} (file, "
          "sync_interval: always)")
    print(f"{'conc':>5} {'msgs/s':>10} {'p50 ms':>8} {'p99 ms':>8} {'ok':>7} {'errors':>6}"
          f"   cpu%: {'nats':>5} {'client':>6} {'other':>5}")
    for _, raw in rows:
        print(f"{raw.concurrency:>5} {raw.rate:>10.1f} {fmt(raw.percentile(0.5), 2):>8} "
              f"{fmt(raw.percentile(0.99), 2):>8} {raw.ok:>7} {raw.errors:>6}         "
              f"{raw.cpu['nats']:>5.0f} {raw.cpu['client']:>6.0f} {raw.cpu['other']:>5.0f}")
    print()
    print(f"{'conc':>5} {'e2e/s':>10} {'raw/s':>10} {'ratio':>7}")
    for e2e, raw in rows:
        ratio = e2e.rate / raw.rate if raw.rate else math.nan
        print(f"{e2e.concurrency:>5} {e2e.rate:>10.1f} {raw.rate:>10.1f} {fmt(ratio, 3):>7}")
    print("cpu% is percent of one core over the measured seconds; 'other' is every other "
          "process on the machine (figures taken while it is high are disturbed).")
    for phase in [p for pair in rows for p in pair if p.samples]:
        print(f"  errors at concurrency {phase.concurrency}, e.g.: {phase.samples}")


def print_goals(rows: list[tuple[Phase, Phase]]) -> None:
    best = max(rows, key=lambda r: r[0].rate)[0]
    print()
    busiest = max(p.cpu["other"] for pair in rows for p in pair)
    if busiest > 25:
        print(f"WARNING: other processes used up to {busiest:.0f}% of a core during the "
              "measured phases; these figures are disturbed — run again on a quiet machine.")
    print(f"goal: ≥ {GOAL_RATE:.0f} reports/s end to end (2-core machine): best "
          f"{best.rate:.1f}/s at concurrency {best.concurrency} — "
          f"{'met' if best.rate >= GOAL_RATE else 'NOT met'}")
    ratios = [(e.concurrency, e.rate / r.rate if r.rate else math.nan) for e, r in rows]
    shown = ", ".join(f"c={c}: {fmt(x, 3)}" for c, x in ratios)
    met = [c for c, x in ratios if x >= GOAL_RATIO]
    print(f"goal: ratio end to end / raw ≥ {GOAL_RATIO}: {shown} — "
          f"{'met at c=' + ','.join(map(str, met)) if met else 'NOT met'}")


# --------------------------------------------------------------------------- the run
async def measure(args: argparse.Namespace, base_url: str, nats_url: str, people: list[Cadre],
                  procs: Procs, raw_url: str, raw_procs: Procs) -> int:
    totals = Totals()
    nc = await nats.connect(nats_url, name="tinhhinh-bench", **bench_auth())
    js = nc.jetstream()
    # The raw baseline needs a stream of its own, which no user of the system's server may
    # create (the bus's permissions): it runs on a twin server, same binary and config but
    # no users, on this machine.
    raw_nc = await nats.connect(raw_url, name="tinhhinh-bench-raw")
    raw_js = raw_nc.jetstream()
    try:
        await raw_js.add_stream(StreamConfig(
            name=RAW_STREAM, subjects=[RAW_SUBJECTS], storage=StorageType.FILE,
            duplicate_window=DUPLICATE_WINDOW_SECONDS,
        ))
        async with httpx.AsyncClient(base_url=base_url, timeout=30.0) as client:
            started = time.perf_counter()
            tokens = await sign_in(client, people)
            print(f"signed in {len(tokens)} cadres in {time.perf_counter() - started:.1f} s")

        # Warm-up at the highest level; its first report gives the envelope to size raw with.
        warm = await run_e2e(base_url, people, tokens, max(args.levels), args.warmup, "warm",
                             totals, procs)
        sample = await js.get_last_msg(
            EVENTS_STREAM, f"{wire.SUBJECT_PREFIX}.bench-tinh.p1.{people[0].area_id}"
            ".ReportSubmitted")
        payload = bytes(sample.data or b"")
        print(f"warm-up: {warm.ok} reports at concurrency {warm.concurrency} "
              f"({warm.rate:.0f}/s, {warm.errors} errors); ReportSubmitted envelope "
              f"{len(payload)} bytes on {sample.subject}")
        raw_payload = b"x" * len(payload)  # same size; the content does not matter to NATS
        await run_raw(raw_js, raw_payload, max(args.levels), args.warmup / 2, "rawwarm",
                      totals, raw_procs)

        rows: list[tuple[Phase, Phase]] = []
        for level in args.levels:
            raw = await run_raw(raw_js, raw_payload, level, args.raw_seconds, f"raw{level}",
                                totals, raw_procs)
            e2e = await run_e2e(base_url, people, tokens, level, args.seconds, f"c{level}",
                                totals, procs)
            rows.append((e2e, raw))
            print(f"  c={level:<3} e2e {e2e.rate:7.1f} reports/s (p50 "
                  f"{fmt(e2e.percentile(0.5))} ms, p99 {fmt(e2e.percentile(0.99))} ms, "
                  f"{e2e.errors} errors)   raw {raw.rate:8.1f} msgs/s", flush=True)
        print_tables(rows)
        print_goals(rows)

        in_stream = await report_submitted_count(js)
        raw_info = await raw_js.stream_info(RAW_STREAM)
        print()
        print(f"check: {totals.created} answers 201 (published) in this run, "
              f"{in_stream} ReportSubmitted messages in {EVENTS_STREAM} — "
              f"{'equal' if in_stream == totals.created else 'DIFFERENT'}")
        print(f"check: {totals.raw_acked} raw acks, {raw_info.state.messages} messages in "
              f"{RAW_STREAM} — "
              f"{'equal' if raw_info.state.messages == totals.raw_acked else 'DIFFERENT'}")
        errors = sum(e.errors + r.errors for e, r in rows)
        return 0 if errors == 0 and in_stream == totals.created else 1
    finally:
        await raw_nc.close()
        await nc.close()


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="bench/intake.py",
        description="Reports per second end to end (HTTP → SQLite → JetStream ack) at several "
        "concurrencies, against nats-py's raw acknowledged-publish rate on a twin server.",
    )
    parser.add_argument("--quick", action="store_true",
                        help="smoke run: short phases (about 20 s in all)")
    parser.add_argument("--levels", default="1,16,64",
                        help="comma-separated concurrency levels (default 1,16,64)")
    parser.add_argument("--seconds", type=float, default=10.0,
                        help="measured seconds per end-to-end level (default 10)")
    parser.add_argument("--raw-seconds", type=float, default=5.0,
                        help="measured seconds per raw level (default 5)")
    parser.add_argument("--warmup", type=float, default=3.0,
                        help="seconds of end-to-end warm-up (default 3)")
    parser.add_argument("--keep", action="store_true",
                        help="keep the temporary home (its path is printed) for inspection")
    args = parser.parse_args(argv)
    try:
        args.levels = [int(x) for x in args.levels.split(",") if x.strip()]
    except ValueError:
        parser.error("--levels takes integers, e.g. 1,16,64")
    if not args.levels or min(args.levels) < 1:
        parser.error("--levels must be positive")
    if args.quick:
        args.seconds, args.raw_seconds, args.warmup = 1.5, 1.0, 1.0
    return args


def start_raw_server(tmp: Path) -> tuple[subprocess.Popen[bytes], str]:
    """The same nats-server and config as the system's (render_config), with no users."""
    port = free_port()
    conf = tmp / "raw-nats.conf"
    conf.write_text(render_config(port=port, store_dir=tmp / "raw-js", server_name="raw"),
                    encoding="utf-8")
    proc = subprocess.Popen([str(nats_server_binary()), "-c", str(conf)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 20
    while True:
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 1):
            break
        if proc.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError("the raw baseline's nats-server did not start")
        time.sleep(0.05)
    return proc, f"nats://127.0.0.1:{port}"


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    people = cadres(max(args.levels))
    tmp = Path(tempfile.mkdtemp(prefix="tinhhinh-bench-"))
    home = tmp / "home"
    home.mkdir()
    # SQLITE_DBNAME would point the store outside the temporary home.
    os.environ.pop("SQLITE_DBNAME", None)
    nats_server: EmbeddedNats | None = None
    intake: subprocess.Popen[bytes] | None = None
    raw_server: subprocess.Popen[bytes] | None = None
    try:
        version = subprocess.run([str(nats_server_binary()), "--version"], capture_output=True,
                                 text=True, check=False).stdout.strip()
        print(f"tinhhinh intake benchmark — {os.cpu_count()} CPUs, Python "
              f"{platform.python_version()}, {version}, temp home {home}")
        nats_server = EmbeddedNats(home, free_port())
        nats_server.start()
        # The services it spawns and its own clients find the users' credentials there.
        os.environ[nats_auth.CREDS_DIR_ENV] = str(nats_server.creds_dir)
        plan_path = tmp / "bench-plan.toml"
        plan_path.write_text(plan_toml(people), encoding="utf-8")
        started = time.perf_counter()
        changes = load_network(home, plan_path)
        print(f"nats-server {nats_server.url} (sync_interval: always); plan: {len(people)} "
              f"cadres/villages in {WARDS} wards, {changes} changes loaded in "
              f"{time.perf_counter() - started:.1f} s")
        http_port = free_port()
        log_path = tmp / "intake.log"
        intake = start_intake(home, http_port, nats_server.url, log_path)
        base_url = f"http://127.0.0.1:{http_port}"
        wait_healthy(base_url, intake, log_path)
        print(f"intake {base_url} (pid {intake.pid}) healthy")
        procs = Procs(intake.pid, nats_server.pid)
        raw_server, raw_url = start_raw_server(tmp)
        print(f"raw baseline: a twin nats-server without users at {raw_url} (pid "
              f"{raw_server.pid})")
        code = asyncio.run(measure(args, base_url, nats_server.url, people, procs, raw_url,
                                   Procs(intake.pid, raw_server.pid)))
        if intake.poll() is not None:
            print(f"the intake died (code {intake.returncode}):\n{tail(log_path)}")
            code = 1
        return code
    finally:
        stop_process(intake)
        stop_process(raw_server)
        if nats_server is not None:
            nats_server.stop()
        if args.keep:
            print(f"kept {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
