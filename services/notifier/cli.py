"""`tinhhinh overdue --at ISO_TIME [--json]`: what is overdue at an instant, computed.

It asks the running notifier over NATS; with no notifier answering it computes the
same list from the event stream, and with no NATS from what the caller reads offline
from the home's event store (the entry layer, services/cli.py: the store is the intake's).
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

import nats
import nats.errors

from domain.errors import DomainError
from services.common import contracts, wire
from services.common.nats_auth import CLI, connect_options
from services.common.natsd import wait_ready
from services.common.network_view import NetworkView
from services.common.settings import running_nats_url
from services.common.streams import EVENTS_STREAM, EVENTS_SUBJECTS
from services.notifier.deadlines import overdue
from services.notifier.digest import REPORT_KINDS_VI, vn_time
from services.notifier.received import Received
from services.notifier.service import parse_at
from services.notifier.settings import NotifierSettings

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2
RPC_TIMEOUT = 30.0
PAGE = 500  # rows per request: the notifier's most


# The network and the reports received, read from the home's event store without NATS.
Offline = Callable[[Path], tuple[NetworkView, Received]]


class Unreachable(Exception):
    """No NATS server answers at the URL."""


def overdue_command(home: Path, at: str, as_json: bool, offline: Offline) -> int:
    """Print what is overdue at `at`; exit 0, 1 (failed) or 2 (usage) per CONTRACT."""
    try:
        instant = parse_at(at)
    except DomainError as err:
        print(f"{err.message_vi}\n{err.message}", file=sys.stderr)
        return EXIT_USAGE
    try:
        settings = NotifierSettings.load(home)
        rows = _rows(home, instant, settings, offline)
    except DomainError as err:
        print(f"{err.message_vi}\n{err.message}", file=sys.stderr)
        return EXIT_FAILED
    except (OSError, RuntimeError, ValueError, nats.errors.Error) as err:
        print(f"error: {err}", file=sys.stderr)
        return EXIT_FAILED
    if as_json:
        print(json.dumps(rows, ensure_ascii=False, indent=2))
    else:
        print(_table(rows, instant))
    return EXIT_OK


def _rows(home: Path, at: datetime, settings: NotifierSettings,
          offline: Offline) -> list[dict[str, Any]]:
    url = os.environ.get("NATS_URL") or running_nats_url(home)
    if url is not None:
        try:
            return asyncio.run(_from_nats(url, at, settings, connect_options(home, CLI)))
        except Unreachable:
            pass
    events = home / "events.sqlite"
    if not events.exists() and not os.environ.get("PERSISTENCE_MODULE"):
        raise RuntimeError(f"tinhhinh is not running and {home} holds no event store")
    view, received = offline(home)
    return overdue(view, received, at, settings.kinds)


async def _from_nats(url: str, at: datetime, settings: NotifierSettings,
                     auth: dict[str, Any]) -> list[dict[str, Any]]:
    try:
        await wait_ready(url, timeout=3.0, auth=auth)
    except (TimeoutError, OSError, nats.errors.Error) as exc:
        raise Unreachable(str(exc)) from exc
    nc = await nats.connect(url, allow_reconnect=False, name="tinhhinh-cli", **auth)
    try:
        try:
            return await _pages(nc, at)
        except nats.errors.NoRespondersError:
            return await _from_stream(nc, at, settings)
    finally:
        await nc.close()


async def _pages(nc: Any, at: datetime) -> list[dict[str, Any]]:
    """Every page of the notifier's answer, in its order (each reply stays under NATS's
    payload limit however long the list is)."""
    rows: list[dict[str, Any]] = []
    cursor: str | None = None
    while True:
        request = contracts.OVERDUE.encode(contracts.Overdue(at.isoformat(), None, PAGE, cursor))
        reply = await nc.request(contracts.OVERDUE.subject, request, timeout=RPC_TIMEOUT)
        answer = json.loads(reply.data)
        refused = contracts.refusal_of(answer)
        if refused is not None:
            raise refused
        rows += answer["body"]["overdue"]
        cursor = answer["body"]["next_cursor"]
        if cursor is None:
            return rows


async def _from_stream(nc: Any, at: datetime,
                       settings: NotifierSettings) -> list[dict[str, Any]]:
    js = nc.jetstream()
    view, received = NetworkView(), Received()
    last = (await js.stream_info(EVENTS_STREAM)).state.last_seq or 0
    if last:
        sub = await js.subscribe(EVENTS_SUBJECTS[0], ordered_consumer=True)
        try:
            seq = 0
            while seq < last:
                msg = await sub.next_msg(timeout=10)
                seq = msg.metadata.sequence.stream
                env = wire.decode(msg.data)
                if not view.apply(env["type"], env["aggregate_id"], env["data"]) and \
                        env["type"] == "ReportSubmitted":
                    received.add_report(env["data"])
        finally:
            await sub.unsubscribe()
    return overdue(view, received, at, settings.kinds)


def _table(rows: list[dict[str, Any]], at: datetime) -> str:
    tz = NetworkView().schedule().tz
    head = f"Quá hạn lúc {vn_time(at, tz)}: {len(rows)} báo cáo chưa gửi"
    lines = [head]
    for r in rows:
        deadline = vn_time(datetime.fromisoformat(r["deadline"]), tz)
        kind = REPORT_KINDS_VI.get(r["kind"], r["kind"])
        # A unit's own report has no area and no cadre.
        lines.append(f"  {kind} {r['period']:9} {r['unit_id'] or '-':28} {r['area_id'] or '-':28} "
                     f"{r['cadre_id'] or '-':28} hạn {deadline}")
    return "\n".join(lines)
