"""The event store on PostgreSQL: intake, relay, case history and audit, end to end.

Needs a PostgreSQL server that lets the test create databases: `TINHHINH_TEST_POSTGRES`
(a libpq URL or conninfo, e.g. ``postgresql://me:secret@db.test:5432/postgres``), by default
127.0.0.1:5432 as user postgres without a password. Skipped when it is not reachable.
"""

from __future__ import annotations

import asyncio
import os
import sys
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any
from uuid import UUID, uuid4

import nats
import pytest

from services.common import wire
from services.common.natsd import EmbeddedNats
from services.common.store import open_store
from tests.integration.conftest import System, load_two_level, running_system
from tests.integration.test_cases import LAND, auth, urgent
from tests.integration.test_intake import CADRE, stream_messages, weekly

pytestmark = pytest.mark.integration

SERVER_ENV = "TINHHINH_TEST_POSTGRES"
DEFAULT_SERVER = "host=127.0.0.1 port=5432 user=postgres dbname=postgres"
LEADER = "ld.ccb.thuanthanh"
TINHHINH = str(Path(sys.executable).parent / "tinhhinh")


def server_params() -> dict[str, str]:
    """Where the test server is, as psycopg.connect keywords (libpq defaults filled in)."""
    from psycopg.conninfo import conninfo_to_dict

    given = conninfo_to_dict(os.environ.get(SERVER_ENV) or DEFAULT_SERVER)
    params = {key: str(value) for key, value in given.items() if value is not None}
    for key, default in (("host", "127.0.0.1"), ("port", "5432"), ("user", "postgres"),
                         ("dbname", "postgres")):
        params.setdefault(key, default)
    return params


@pytest.fixture(scope="session")
def postgres_server() -> dict[str, str]:
    """A reachable server's connection keywords; skips the test when there is none."""
    psycopg = pytest.importorskip("psycopg", reason="psycopg is not installed: pip install "
                                  "-e '.[postgres]'")
    params = server_params()
    where = f"{params['host']}:{params['port']} as {params['user']}"
    try:
        psycopg.connect(**params, connect_timeout=3).close()
    except psycopg.OperationalError as err:
        reason = " ".join(str(err).split())  # libpq's message spans lines
        pytest.skip(f"PostgreSQL is not reachable at {where} ({reason}); "
                    f"set {SERVER_ENV} to a libpq URL of a server where the user may "
                    f"CREATE DATABASE")
    return params


def admin(params: dict[str, str], dbname: str | None = None) -> Any:
    import psycopg

    return psycopg.connect(**{**params, "dbname": dbname or params["dbname"]}, autocommit=True)


@pytest.fixture
def postgres_database(postgres_server: dict[str, str],
                      monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A fresh database, selected for services.common.store through eventsourcing's variables;
    dropped afterwards."""
    from psycopg.sql import SQL, Identifier

    name = f"tinhhinh_test_{uuid4().hex[:12]}"
    with admin(postgres_server) as conn:
        conn.execute(SQL("CREATE DATABASE {}").format(Identifier(name)))
    monkeypatch.setenv("PERSISTENCE_MODULE", "eventsourcing.postgres")
    monkeypatch.setenv("POSTGRES_DBNAME", name)
    monkeypatch.setenv("POSTGRES_HOST", postgres_server["host"])
    monkeypatch.setenv("POSTGRES_PORT", postgres_server["port"])
    monkeypatch.setenv("POSTGRES_USER", postgres_server["user"])
    # eventsourcing requires the variable even where the server asks for no password.
    monkeypatch.setenv("POSTGRES_PASSWORD", postgres_server.get("password", ""))
    monkeypatch.delenv("SQLITE_DBNAME", raising=False)
    try:
        yield name
    finally:
        with admin(postgres_server) as conn:
            # FORCE (PostgreSQL 13+): a pool connection left open must not keep it alive.
            conn.execute(SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(Identifier(name)))


@pytest.fixture
def pg_home(tmp_path: Path, postgres_database: str) -> Path:
    """A home whose event store is the fresh database, with the two-level plan loaded."""
    home = tmp_path / "home"  # the nats_server fixture's home too, as for `system`
    store = open_store(home)
    assert type(store.recorder).__module__ == "eventsourcing.postgres"
    load_two_level(store)
    store.close()
    return home


@pytest.fixture
async def pg_system(pg_home: Path, nats_server: EmbeddedNats) -> AsyncIterator[System]:
    async with running_system(pg_home, nats_server.url) as running:
        yield running


def stored(system: System) -> list[Any]:
    """Every stored event's notification, in the global order."""
    return system.runtime.store.notifications_after(0, 100_000)


def msg_id(notification: Any) -> str:
    return f"{UUID(str(notification.originator_id)).hex}-{notification.originator_version}"


async def assert_stream_is_the_store(system: System) -> None:
    """The stream holds every stored event once, in store order, under its own Nats-Msg-Id."""
    notifications = stored(system)
    msgs = await stream_messages(system)
    assert [int(m["headers"][wire.POSITION_HEADER]) for m in msgs] == [
        n.id for n in notifications]
    assert [m["headers"][wire.MSG_ID_HEADER] for m in msgs] == list(map(msg_id, notifications))


async def test_reports_on_postgresql_reach_jetstream_once_in_store_order(pg_system: System):
    # Given the intake on PostgreSQL (no SQLite file anywhere) and a signed-in cadre
    assert not (pg_system.runtime.settings.home / "events.sqlite").exists()
    token = await pg_system.token(CADRE)
    # When they submit a weekly report and an urgent one with a hot spot
    weekly_resp = await pg_system.submit(token, "w48-pg", **weekly())
    urgent_resp = await pg_system.submit(token, "u-pg", **urgent())
    assert (weekly_resp.status_code, urgent_resp.status_code) == (201, 201), urgent_resp.text
    assert weekly_resp.json()["published"] is True and urgent_resp.json()["published"] is True
    assert urgent_resp.json()["case_ids"] == ["VV-2026-000001"]
    # And retry the weekly one with the same Idempotency-Key
    count, position = len(stored(pg_system)), pg_system.position()
    again = await pg_system.submit(token, "w48-pg", **weekly())
    # Then the retry answers 200 with the same report and records nothing
    assert again.status_code == 200
    assert again.json()["report_id"] == weekly_resp.json()["report_id"]
    assert (len(stored(pg_system)), pg_system.position()) == (count, position)
    # And a later report is published too, past the gap the retry leaves in the positions
    # (its insert was rolled back after taking a value from PostgreSQL's sequence)
    later = await pg_system.submit(token, "w48-pg-2", **weekly(summary="Bổ sung"))
    assert later.status_code == 201 and later.json()["published"] is True
    # And JetStream holds every stored event once, in order
    await assert_stream_is_the_store(pg_system)
    types = [m["envelope"]["type"] for m in await stream_messages(pg_system)]
    assert (types.count("ReportSubmitted"), types.count("CaseOpened")) == (3, 1)


async def test_a_restarted_intake_on_the_same_database_resumes_and_republishes_nothing(
    pg_home: Path, nats_server: EmbeddedNats,
):
    async with running_system(pg_home, nats_server.url) as first:
        token = await first.token(CADRE)
        assert (await first.submit(token, "w48-pg", **weekly())).status_code == 201
        # A crash between a commit and its publication: the relay stops, a report is stored.
        relay = first.runtime.relay
        assert relay is not None
        relay.stop()
        await asyncio.sleep(0.3)
        published = await relay.stream_position()
        outcome = first.runtime.service.submit(first.runtime.service.authenticate(token),
                                               "u-pg", urgent())
        assert outcome.position is not None and outcome.position > published
        assert await relay.stream_position() == published
    # Watch the subjects themselves: JetStream's de-duplication would hide a second publish.
    watcher = await nats.connect(nats_server.url, **nats_server.auth("reader"))
    seen: list[str] = []

    async def note(msg: Any) -> None:
        seen.append(msg.headers[wire.MSG_ID_HEADER])

    await watcher.subscribe("tinhhinh.events.>", cb=note)
    await watcher.flush()
    try:
        async with running_system(pg_home, nats_server.url) as second:
            relay = second.runtime.relay
            assert relay is not None
            assert await relay.wait_published(outcome.position, 5)
            token = await second.token(CADRE)
            later = await second.submit(token, "w48-pg-2", **weekly(summary="Tuần sau"))
            assert later.status_code == 201 and later.json()["published"] is True
            await watcher.flush()
            await asyncio.sleep(0.2)
            after_crash = [n for n in stored(second) if n.id > published]
            assert seen == list(map(msg_id, after_crash))
            await assert_stream_is_the_store(second)
            health = (await second.client.get("/healthz")).json()
            assert health["relay"] is True
            assert health["relay_position"] == health["store_position"] == second.position()
    finally:
        await watcher.close()


async def test_case_history_positions_are_postgresql_notification_ids(
    pg_system: System, postgres_server: dict[str, str], postgres_database: str,
):
    # Given a case opened by a hot spot and moved on by a leader
    cadre = await pg_system.token(CADRE)
    await pg_system.submit(cadre, "w48-pg", **weekly())
    opened = await pg_system.submit(cadre, "u-pg", **urgent(hot_spots=[LAND]))
    (number,) = opened.json()["case_ids"]
    leader = await pg_system.token(LEADER)
    moved = await pg_system.client.post(
        f"/api/v1/cases/{number}/status", headers=auth(leader, "s1"),
        json={"status": "verifying", "reason": "Giao tổ hoà giải xác minh"})
    assert moved.status_code == 200, moved.text
    # When the leader reads its history
    resp = await pg_system.client.get(f"/api/v1/cases/{number}/history", headers=auth(leader))
    assert resp.status_code == 200, resp.text
    events = resp.json()["events"]
    # Then each event carries its notification_id from PostgreSQL
    from domain.case import case_id

    with admin(postgres_server, postgres_database) as conn:
        rows = conn.execute("SELECT originator_version, notification_id FROM tinhhinh_events "
                            "WHERE originator_id = %s ORDER BY originator_version",
                            (case_id(number),)).fetchall()
    assert len(rows) == 2
    assert [(e["version"], e["position"]) for e in events] == [tuple(r) for r in rows]
    assert [e["type"] for e in events] == ["Opened", "StatusChanged"]


async def test_audit_is_unavailable_on_postgresql_and_verify_refuses(
    pg_system: System, pg_home: Path,
):
    # The intake runs and says why nothing is sealed
    resp = await pg_system.client.get("/healthz")
    health = resp.json()
    assert resp.status_code == 200 and health["status"] == "ok"
    assert health["audit_sealer"] == "unavailable"
    assert "SQLite persistence only" in health["audit_sealer_reason"]
    # And `tinhhinh audit verify` refuses, naming the reason, instead of verifying nothing
    proc = await asyncio.create_subprocess_exec(
        TINHHINH, "audit", "verify", "--home", str(pg_home),
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    out, err = await proc.communicate()
    assert proc.returncode == 1, (out, err)
    said = err.decode()
    assert "supports SQLite persistence only" in said
    assert "'eventsourcing.postgres'" in said and "Verification failed" in said
