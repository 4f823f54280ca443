"""Steady load: the demo cadres report over HTTP, each report retried with its own key.

Every report gets a fresh `Idempotency-Key` once, and keeps it through every retry: a
connection error, a timeout, a 5xx, a `409 busy` (the case number loop ran out) or a 401
(signed in again) is retried with the same key and body until the intake answers 200 or
201, or the campaign gives up on it. Its id is known before any answer:
`uuid5(account, key)`, as the intake computes it (`domain/ids.py`), so a report stored
whose answer was lost is still found. Any other 4xx is a refusal and is not retried.
"""

from __future__ import annotations

import asyncio
import random
import time
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

import httpx

from domain.ids import account_id, report_id
from services.cli import demo_logins

PASSWORD_FIELD = "password"
SUMMARY = "Tình hình địa bàn ổn định; nhân dân phấn khởi. Không phát sinh đơn thư mới."
CATEGORIES = ("land", "complaint", "environment", "security", "social")
RETRIED = frozenset({408, 425, 429, 500, 502, 503, 504, 507})


@dataclass
class Sent:
    """One report as the client saw it: what it sent, what it was answered, how often."""

    key: str
    username: str
    report_id: UUID
    urgent: bool
    trial: int
    body: dict[str, Any]
    status: int | None = None  # 200/201 once acknowledged
    published: bool | None = None
    attempts: int = 0
    busy: int = 0  # 409 busy answers retried
    unavailable: int = 0  # connection errors, timeouts and 5xx retried
    refused: str | None = None  # a 4xx that is not retried
    published_while_nats_down: bool = False

    @property
    def acknowledged(self) -> bool:
        return self.status in (200, 201)


@dataclass
class Cadre:
    username: str
    password: str
    area_id: str
    token: str = ""


@dataclass
class Load:
    url: str
    rng: random.Random
    week: str
    urgent_share: float
    nats_down: Any  # () -> bool: is the nats-server down by a fault right now
    in_flight: int = 48
    cadres: list[Cadre] = field(default_factory=list)
    sent: list[Sent] = field(default_factory=list)
    give_up_at: float = float("inf")
    _tasks: set[asyncio.Task[None]] = field(default_factory=set)
    _client: httpx.AsyncClient | None = None

    async def __aenter__(self) -> Load:
        self._client = httpx.AsyncClient(
            base_url=self.url, timeout=12.0,
            limits=httpx.Limits(max_connections=self.in_flight))
        self._gate = asyncio.Semaphore(self.in_flight)
        self.cadres = [Cadre(row["username"], row[PASSWORD_FIELD], row["area_ids"][0])
                       for row in demo_logins() if row["role"] == "cadre" and row["area_ids"]]
        for cadre in self.cadres:
            cadre.token = await sign_in(self.client, cadre.username, cadre.password)
        return self

    async def __aexit__(self, *_exc: object) -> None:
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        await self.client.aclose()

    @property
    def client(self) -> httpx.AsyncClient:
        assert self._client is not None
        return self._client

    async def run(self, trial: int, seconds: float, rate: float) -> None:
        """Start `rate` reports a second for `seconds`; each goes on retrying by itself."""
        self.give_up_at = float("inf")
        started = time.monotonic()
        n = 0
        while time.monotonic() - started < seconds:
            await self._gate.acquire()  # back-pressure while the intake is down
            report = self._next(trial, n)
            n += 1
            task = asyncio.create_task(self._deliver(report))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
            await asyncio.sleep(max(0.0, started + n / rate - time.monotonic()))

    async def drain(self, within: float) -> int:
        """Wait for the reports still being retried; give up on them after `within` s."""
        self.give_up_at = time.monotonic() + within
        if self._tasks:
            await asyncio.wait(set(self._tasks), timeout=within + 15)
        return sum(1 for s in self.sent if s.status is None and s.refused is None)

    def _next(self, trial: int, n: int) -> Sent:
        cadre = self.rng.choice(self.cadres)
        urgent = self.rng.random() < self.urgent_share
        key = f"fault-t{trial}-{n}-{self.rng.getrandbits(32):08x}"
        if urgent:
            body: dict[str, Any] = {
                "kind": "urgent", "area_id": cadre.area_id, "assessment": "complex",
                "summary": "Phát sinh vụ việc cần báo cáo ngay.",
                "hot_spots": [{"category": self.rng.choice(CATEGORIES), "severity": "urgent",
                               "title": f"Điểm nóng {trial}-{n}",
                               "description": "Nhiều hộ dân tập trung kiến nghị."}]}
        else:
            body = {"kind": "weekly", "area_id": cadre.area_id, "period": self.week,
                    "assessment": self.rng.choice(("stable", "attention")),
                    "summary": SUMMARY, "counts": {"complaints_received": n % 5}}
        sent = Sent(key, cadre.username, report_id(account_id(cadre.username), key), urgent,
                    trial, body)
        self.sent.append(sent)
        return sent

    async def _deliver(self, sent: Sent) -> None:
        cadre = next(c for c in self.cadres if c.username == sent.username)
        backoff = 0.1
        try:
            while time.monotonic() < self.give_up_at:
                sent.attempts += 1
                nats_down_before = self.nats_down()
                try:
                    resp = await self.client.post(
                        "/api/v1/reports", json=sent.body,
                        headers={"Authorization": f"Bearer {cadre.token}",
                                 "Idempotency-Key": sent.key})
                except httpx.HTTPError:
                    resp = None
                if resp is not None and resp.status_code in (200, 201):
                    answer = resp.json()
                    sent.status, sent.published = resp.status_code, answer.get("published")
                    sent.published_while_nats_down = (answer.get("published") is True
                                                      and nats_down_before and self.nats_down())
                    if answer.get("report_id") != str(sent.report_id):
                        sent.refused = f"answered report_id {answer.get('report_id')}"
                    return
                if resp is not None and resp.status_code == 401:
                    cadre.token = await sign_in(self.client, cadre.username, cadre.password)
                elif resp is not None and resp.status_code == 409 and _code(resp) == "busy":
                    sent.busy += 1
                elif resp is None or resp.status_code in RETRIED:
                    sent.unavailable += 1
                else:
                    sent.refused = f"{resp.status_code} {resp.text[:200]}"
                    return
                await asyncio.sleep(backoff * (0.5 + self.rng.random()))
                backoff = min(1.0, backoff * 2)
        finally:
            self._gate.release()


def _code(resp: httpx.Response) -> str | None:
    try:
        return str(resp.json()["error"]["code"])
    except (ValueError, KeyError, TypeError):
        return None


async def sign_in(client: httpx.AsyncClient, username: str, password: str,
                  within: float = 120) -> str:
    """A bearer token, asked again through outages until `within` seconds have passed."""
    deadline = time.monotonic() + within
    while True:
        try:
            resp = await client.post("/api/v1/auth/token",
                                     json={"username": username, "password": password})
            if resp.status_code == 200:
                return str(resp.json()["access_token"])
            if resp.status_code not in RETRIED:
                raise RuntimeError(f"sign-in of {username}: {resp.status_code} {resp.text}")
        except httpx.HTTPError:
            pass
        if time.monotonic() > deadline:
            raise TimeoutError(f"sign-in of {username} failed for {within:.0f} s")
        await asyncio.sleep(0.5)
