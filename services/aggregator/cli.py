"""Entry points for `tinhhinh rollup` and `tinhhinh replay aggregator`."""

from __future__ import annotations

import asyncio
import json
import sys
import time
from pathlib import Path
from typing import TextIO

import nats.errors

from domain.clock import Clock, SystemClock
from domain.errors import DomainError
from services.aggregator.projection import load_network
from services.aggregator.replay import replay
from services.aggregator.schema import connect, path_in
from services.aggregator.service import FORMATS, RollupService

EXIT_OK, EXIT_FAILED = 0, 1


def _fail(message_vi: str, message: str) -> int:
    print(f"{message_vi}\n{message}", file=sys.stderr)
    return EXIT_FAILED


async def _rollup(home: Path, unit_id: str, period: str, fmt: str, clock: Clock) -> None:
    db = await connect(path_in(home), readonly=True)
    try:
        network = await load_network(db)
        service = RollupService(db, lambda: network, clock)
        if fmt == "docx":
            sys.stdout.buffer.write(await service.docx(unit_id, period))
            sys.stdout.buffer.flush()
        elif fmt == "html":
            sys.stdout.write(await service.html(unit_id, period))
        else:
            rollup = await service.rollup(unit_id, period)
            print(json.dumps(rollup, ensure_ascii=False, indent=2))
    finally:
        await db.close()


def rollup_command(home: Path, unit_id: str, period: str, fmt: str,
                   clock: Clock | None = None) -> int:
    """Print a unit's rollup (JSON), its report document (HTML) or write the .docx to stdout."""
    if fmt not in FORMATS:
        return _fail(f"Định dạng {fmt!r} không hợp lệ (json, html, docx)",
                     f"Unknown format {fmt!r} (json, html, docx)")
    if not path_in(home).exists():
        return _fail("Chưa có dữ liệu tổng hợp: hãy chạy `tinhhinh up` hoặc "
                     "`tinhhinh replay aggregator`",
                     f"No aggregator read model at {path_in(home)}")
    try:
        asyncio.run(_rollup(home, unit_id, period, fmt, clock or SystemClock()))
    except DomainError as err:
        return _fail(err.message_vi, err.message)
    return EXIT_OK


class ProgressBar:
    """A progress bar on stderr; plain lines every tenth when stderr is not a terminal."""

    def __init__(self, out: TextIO | None = None, width: int = 30):
        self.out = out or sys.stderr
        self.width = width
        self.tty = self.out.isatty()
        self._shown = -1.0
        self._tenth = -1

    def __call__(self, done: int, total: int) -> None:
        fraction = 1.0 if total <= 0 else min(1.0, done / total)
        now = time.monotonic()
        if self.tty:
            if now - self._shown < 0.1 and done < total:
                return
            self._shown = now
            filled = int(fraction * self.width)
            bar = "#" * filled + "-" * (self.width - filled)
            end = "\n" if done >= total else ""
            self.out.write(f"\rDựng lại [{bar}] {fraction:4.0%} {done}/{total} sự kiện{end}")
        elif int(fraction * 10) > self._tenth:
            self._tenth = int(fraction * 10)
            self.out.write(f"Dựng lại: {fraction:.0%} ({done}/{total} sự kiện)\n")
        self.out.flush()


def replay_command(home: Path, nats_url: str) -> int:
    """Rebuild the aggregator's read model from the event stream, with a progress bar."""
    try:
        position = asyncio.run(replay(home, nats_url, ProgressBar()))
    except (OSError, TimeoutError, nats.errors.Error) as err:
        return _fail("Không dựng lại được dữ liệu tổng hợp", f"replay failed: {err!r}")
    print(f"Đã dựng lại dữ liệu tổng hợp đến sự kiện số {position} ({path_in(home)}).")
    return EXIT_OK
