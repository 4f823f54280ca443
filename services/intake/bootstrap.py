"""The intake's composition root: the one place that builds its objects from settings.

`bootstrap` builds everything the API, the web pages and the NATS handlers use; the
clock, the store and the ports to the other services are parameters, so tests pass their
own. `Runtime.start` only connects what was built (NATS, the relay, the audit sealer, the
RPC handlers); nothing is wired in afterwards.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any

import anyio.to_thread
import structlog
from nats.aio.client import Client as NATS

from domain.clock import Clock, SystemClock
from services.common import nats_auth
from services.common.aggregator_client import AggregatorClient
from services.common.aio import stop_tasks
from services.common.notifier_client import NotifierClient
from services.common.runner import drain, stop_broker
from services.common.settings import Settings
from services.common.store import Store, open_store
from services.common.streams import declare_streams
from services.intake.administration import Administration
from services.intake.audit.chain import Sealer
from services.intake.audit.database import database_path
from services.intake.audit.status import AuditStatus
from services.intake.cases import CaseService
from services.intake.corrections import Corrections
from services.intake.directory import Directory
from services.intake.obligations import Obligations
from services.intake.password_change import PasswordChange
from services.intake.ports import Aggregator, AuditCheck, Notifier
from services.intake.publication import Publication
from services.intake.ratelimit import FILE as LIMITER_FILE
from services.intake.ratelimit import SignInLimiter
from services.intake.relay import Relay, RelayLock
from services.intake.rpc import Ports, start_rpc
from services.intake.service import IntakeService
from services.intake.sessions import SessionStore
from services.intake.tokens import TokenService, load_or_create_secret
from services.intake.unit_reports import UnitReports

log = structlog.get_logger(__name__)

SESSIONS_FILE = "web.sqlite"


@dataclass
class Runtime:
    """The intake's objects, built by `bootstrap`; `start` connects them, `stop` closes."""

    settings: Settings
    clock: Clock
    store: Store
    directory: Directory
    service: IntakeService
    cases: CaseService
    corrections: Corrections
    obligations: Obligations
    unit_reports: UnitReports
    administration: Administration
    password_change: PasswordChange
    sessions: SessionStore
    nc: NATS  # connected by `start`; the aggregator and notifier clients ride on it
    relay: Relay
    relay_lock: RelayLock
    publication: Publication
    aggregator: Aggregator
    notifier: Notifier
    # None when the store is not one SQLite file (docs/audit.md), with the reason why.
    sealer: Sealer | None
    audit_status: AuditCheck | None
    audit_unavailable: str | None
    broker: Any = None
    _tasks: list[asyncio.Task[None]] = field(default_factory=list)

    async def start(self) -> None:
        # First: a second intake on the same store refuses to start (RelayBusy).
        try:
            self.relay_lock.acquire()
        except Exception as err:
            log.error("intake_refused", reason=str(err))
            raise
        await self.nc.connect(
            self.settings.nats_url, name="tinhhinh-intake", max_reconnect_attempts=-1,
            # nats-py annotates an int but sleeps any number: half a second between tries.
            reconnect_time_wait=0.5,  # type: ignore[arg-type]
            **nats_auth.connect_options(self.settings.home, nats_auth.INTAKE),
        )
        await declare_streams(self.relay.js)
        await asyncio.to_thread(self.directory.refresh)
        self._tasks.append(asyncio.create_task(self.relay.run(), name="relay"))
        if self.sealer is not None:
            self._tasks.append(asyncio.create_task(self.sealer.run(), name="audit-sealer"))
        self.broker = await start_rpc(self.settings.nats_url, self.service,
                                     self.publication.published,
                                     Ports(self.directory, self.aggregator, self.notifier),
                                     nats_auth.broker_options(self.settings.home,
                                                              nats_auth.INTAKE))
        log.info("intake_started", nats_url=self.settings.nats_url, home=str(self.settings.home))

    async def stop(self) -> None:
        self.relay.stop()
        if self.sealer is not None:
            self.sealer.stop()
        await stop_tasks(self._tasks)
        self._tasks.clear()
        await self.relay.join()  # no read of the store may outlive it
        await stop_broker(self.broker)
        if self.nc.is_connected or self.nc.is_reconnecting:
            await drain(self.nc)
        await _threads_done()  # a request still running in a worker thread uses the store
        self.store.close()
        self.service.limiter.close()
        self.relay_lock.release()

    def health(self) -> dict[str, Any]:
        nats_ok = self.nc.is_connected
        relay_ok = self.relay.ready.is_set()
        store = "storage_full" if self.store.storage.is_full() else "ok"
        failing = [name for name, ok in (("nats", nats_ok), ("relay", relay_ok),
                                         ("event_store", store == "ok")) if not ok]
        return {
            "status": "ok" if not failing else "starting" if store == "ok" else "failing",
            "failing": failing,
            "nats": nats_ok,
            "event_store": store,
            "relay": relay_ok,
            "relay_position": self.relay.position,
            "store_position": self.store.last_position(),
            "audit_sealed_position": 0 if self.sealer is None else self.sealer.position,
            **self._audit_health(),
        }

    def _audit_health(self) -> dict[str, str]:
        # Reported, not fatal: the reports flow without the seal (docs/audit.md, "Limits").
        if self.audit_unavailable is not None:
            return {"audit_sealer": "unavailable", "audit_sealer_reason": self.audit_unavailable}
        running = any(task.get_name() == "audit-sealer" for task in self._tasks)
        return {"audit_sealer": "running" if running else "starting"}


async def _threads_done(within: float = 10.0) -> None:
    """Wait (bounded) until no call sent to a worker thread by `run_in_threadpool` (the API,
    the web pages and the NATS handlers) is still running."""
    limiter = anyio.to_thread.current_default_thread_limiter()
    for _ in range(int(within / 0.02)):  # the threads signal nothing: look again and again
        if not limiter.borrowed_tokens:
            return
        await asyncio.sleep(0.02)
    if limiter.borrowed_tokens:
        log.warning("worker_threads_still_busy", count=limiter.borrowed_tokens)


def bootstrap(
    settings: Settings,
    clock: Clock | None = None,
    store: Store | None = None,
    *,
    aggregator: Aggregator | None = None,
    notifier: Notifier | None = None,
    audit_status: AuditCheck | None = None,
) -> Runtime:
    """The intake, built; the ports default to the real services over the intake's NATS
    connection, and the audit status to the verification of the store's own file."""
    clock = clock or SystemClock()
    store = store or open_store(settings.home)
    directory = Directory(store)
    tokens = TokenService(load_or_create_secret(settings.home), settings.token_ttl_seconds, clock)
    limiter = SignInLimiter(clock, settings.home / LIMITER_FILE)
    cases = CaseService(store, directory, clock)
    nc = NATS()
    aggregator_port = aggregator or AggregatorClient(nc)
    relay = Relay(store, directory, nc.jetstream())
    sealer, audit_unavailable = _sealer(store)
    if audit_status is None and sealer is not None:
        audit_status = AuditStatus(sealer.db, clock)  # the same file the sealer seals
    return Runtime(
        settings=settings, clock=clock, store=store, directory=directory,
        service=IntakeService(store, directory, tokens, clock, cases, limiter),
        cases=cases,
        corrections=Corrections(store, directory, clock, cases),
        obligations=Obligations(directory, clock),
        unit_reports=UnitReports(store, directory, clock, aggregator_port),
        administration=Administration(store, directory, clock),
        password_change=PasswordChange(store, directory, limiter),
        sessions=SessionStore(settings.home / SESSIONS_FILE, clock),
        nc=nc, relay=relay, relay_lock=RelayLock.for_home(settings.home),
        publication=Publication(store, relay, settings.publish_wait_seconds),
        aggregator=aggregator_port,
        notifier=notifier or NotifierClient(nc),
        sealer=sealer, audit_status=audit_status, audit_unavailable=audit_unavailable,
    )


def _sealer(store: Store) -> tuple[Sealer | None, str | None]:
    """The audit sealer over the store's SQLite file, or why there is none."""
    try:
        db = database_path(store)
    except (NotImplementedError, ValueError) as err:  # not SQLite: docs/audit.md
        log.warning("audit_sealer_unavailable", reason=str(err))
        return None, str(err)
    return Sealer(db), None
