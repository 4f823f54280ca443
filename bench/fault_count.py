"""Where each report got to: the event store, the stream, the rollup and the alerts.

- **stored**: `Report.Submitted` events in the home's `events.sqlite`, read read-only;
- **in the stream**: `ReportSubmitted` messages of TINHHINH_EVENTS by report id, read
  message by message from where the last count stopped, so a message there twice shows;
- **rolled up**: `reports` of the top unit's rollup for each year the load reported in,
  through the API as that unit's leader (urgent reports included);
- **alerted**: the `hot_spot` alerts in that leader's open list, by report id; each is
  acknowledged once counted, so the open list stays short (a list over 1 MB cannot be
  answered: issue 17, defect 2) and a second alert for one report still shows.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import sqlite3
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from uuid import UUID

import httpx
import nats
import nats.errors
from nats.aio.client import Client as NatsClient
from nats.js.errors import NotFoundError

from services.common.streams import EVENTS_STREAM

TOP_UNIT = "bdv-thi-uy"  # the demo's escalation.top: every urgent hot spot reaches it
TOP_LEADER = "ld.bdv.thiuy"


def stored_reports(database: Path) -> set[UUID]:
    """Ids of every report in the event store (read-only; the intake may be writing)."""
    db = sqlite3.connect(f"file:{database}?mode=ro", uri=True, timeout=30)
    try:
        tables = [r[0] for r in db.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name LIKE '%events'")]
        found: set[UUID] = set()
        for table in tables:
            rows = db.execute(
                f"SELECT originator_id FROM {table} "  # noqa: S608 - a name sqlite_master gave
                "WHERE topic LIKE '%:Report.Submitted'")
            found.update(UUID(str(r[0])) for r in rows)
        return found
    finally:
        db.close()


@dataclass
class Counts:
    """Everything seen so far; the stream and the alerts are read incrementally."""

    stored: set[UUID] = field(default_factory=set)
    streamed: Counter[UUID] = field(default_factory=Counter)
    event_ids: Counter[str] = field(default_factory=Counter)
    alerts: dict[UUID, set[str]] = field(default_factory=lambda: defaultdict(set))
    rolled_up: int | None = None
    last_seq: int = 0

    @property
    def doubled_events(self) -> int:
        """Messages of any kind in the stream beyond the first of their event id."""
        return sum(n - 1 for n in self.event_ids.values() if n > 1)


async def _quiet(_exc: Exception) -> None:
    # nats-py's default prints a traceback for each refused reconnect while a fault lasts.
    return None


class Census:
    """Reads the four places; every method may fail while a fault lasts and is retried."""

    def __init__(self, database: Path, nats_url: str, http: httpx.AsyncClient,
                 auth: dict[str, Any] | None = None) -> None:
        self.auth = auth or {}  # the `reader` user: it only reads the stream
        self.database = database
        self.nats_url = nats_url
        self.http = http
        self.token = ""
        self.counts = Counts()
        self._nc: NatsClient | None = None

    async def close(self) -> None:
        if self._nc is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._nc.close(), 5)

    async def _js(self) -> nats.js.JetStreamContext:
        if self._nc is None or self._nc.is_closed:
            self._nc = await nats.connect(self.nats_url, name="fault-campaign-counter",
                                          max_reconnect_attempts=-1, reconnect_time_wait=0.5,
                                          connect_timeout=2, error_cb=_quiet, **self.auth)
        return self._nc.jetstream(timeout=5)

    async def refresh(self, years: set[int], leader_password: str) -> None:
        """Count again; raises while a part is unreachable (the caller retries)."""
        self.counts.stored = await asyncio.to_thread(stored_reports, self.database)
        await self._read_stream()
        if not self.token:
            self.token = await self._sign_in(leader_password)
        await self._read_alerts()
        total = 0
        for year in sorted(years):
            resp = await self.http.get(f"/api/v1/units/{TOP_UNIT}/rollups/{year}",
                                       headers=self._auth())
            resp.raise_for_status()
            total += int(resp.json()["reports"])
        self.counts.rolled_up = total

    def _auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}

    async def _sign_in(self, password: str) -> str:
        resp = await self.http.post("/api/v1/auth/token",
                                    json={"username": TOP_LEADER, "password": password})
        resp.raise_for_status()
        return str(resp.json()["access_token"])

    async def _read_stream(self) -> None:
        js = await self._js()
        last = (await js.stream_info(EVENTS_STREAM)).state.last_seq
        counts = self.counts
        while counts.last_seq < last:
            seq = counts.last_seq + 1
            try:
                msg = await js.get_msg(EVENTS_STREAM, seq)
            except NotFoundError:  # a gap (none is expected; a deleted message would be one)
                counts.last_seq = seq
                continue
            envelope = json.loads(msg.data or b"{}")
            counts.event_ids[str(envelope.get("event_id"))] += 1
            if envelope.get("type") == "ReportSubmitted":
                counts.streamed[UUID(envelope["aggregate_id"])] += 1
            counts.last_seq = seq

    async def _read_alerts(self) -> None:
        cursor: str | None = None
        while True:
            params = {"status": "open", "limit": "100", **({"cursor": cursor} if cursor else {})}
            resp = await self.http.get("/api/v1/alerts", params=params, headers=self._auth())
            if resp.status_code == 401:
                self.token = ""
            resp.raise_for_status()
            page = resp.json()
            for alert in page["alerts"]:
                if alert.get("kind") != "hot_spot" or not alert.get("report_id"):
                    continue
                self.counts.alerts[UUID(alert["report_id"])].add(alert["alert_id"])
                ack = await self.http.post(f"/api/v1/alerts/{alert['alert_id']}/ack",
                                           headers=self._auth())
                ack.raise_for_status()
            cursor = page.get("next_cursor")
            if not cursor:
                return
