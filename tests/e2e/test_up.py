"""`tinhhinh up` end to end: submit, retry, refuse, kill -9, restart — nothing lost or doubled."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import nats
import pytest

from services.common import nats_auth
from services.common.natsd import free_port
from tests.e2e.conftest import Up, nats_server_pid, wait_healthy

pytestmark = pytest.mark.e2e

PLANS = Path(__file__).resolve().parents[2] / "plans"


def token(url: str, username: str, password: str) -> str:
    resp = httpx.post(f"{url}/api/v1/auth/token",
                      json={"username": username, "password": password}, timeout=10)
    assert resp.status_code == 200, resp.text
    return str(resp.json()["access_token"])


def weekly(area_id: str, period: str) -> dict[str, object]:
    return {"kind": "weekly", "area_id": area_id, "period": period, "assessment": "stable",
            "summary": f"Tình hình {area_id} ổn định"}


def submit(url: str, tok: str, key: str, body: dict[str, object],
           timeout: float = 15) -> httpx.Response:
    return httpx.post(f"{url}/api/v1/reports", json=body, timeout=timeout,
                      headers={"Authorization": f"Bearer {tok}", "Idempotency-Key": key})


def stream_report_ids(nats_url: str, home: Path) -> list[str]:
    auth = nats_auth.connect_options(home, nats_auth.READER)

    async def read() -> list[str]:
        nc = await nats.connect(nats_url, max_reconnect_attempts=1, **auth)
        try:
            js = nc.jetstream()
            sub = await js.subscribe("tinhhinh.events.>", ordered_consumer=True)
            ids = []
            while True:
                try:
                    msg = await sub.next_msg(timeout=1)
                except TimeoutError:
                    break
                envelope = json.loads(msg.data)
                if envelope["type"] == "ReportSubmitted":
                    ids.append(envelope["aggregate_id"])
            await sub.unsubscribe()
            return ids
        finally:
            await nc.close()
    return asyncio.run(read())


def cadres(up: Up) -> list[dict[str, object]]:
    return [a for a in up.accounts() if a["role"] == "cadre"]


def test_submit_retry_refuse_kill_9_restart_loses_and_doubles_nothing(up: Up):
    up.start()
    people = cadres(up)
    tokens = {str(c["username"]): token(up.url, str(c["username"]), str(c["password"]))
              for c in people}
    acknowledged: dict[str, str] = {}
    for i, cadre in enumerate(people):
        for week in (47, 48):
            key = f"{cadre['username']}-w{week}"
            area = str(cadre["area_ids"][0])  # type: ignore[index]
            resp = submit(up.url, tokens[str(cadre["username"])], key,
                          weekly(area, f"2026-W{week}"))
            assert resp.status_code == 201, resp.text
            assert resp.json()["published"] is True
            acknowledged[key] = resp.json()["report_id"]
        del i
    # A retry is the same report, never a second one.
    first = people[0]
    retry = submit(up.url, tokens[str(first["username"])], f"{first['username']}-w48",
                   weekly(str(first["area_ids"][0]), "2026-W48"))  # type: ignore[index]
    assert retry.status_code == 200
    # A cadre writing for another's area is refused and nothing is recorded.
    other_area = str(people[-1]["area_ids"][0])  # type: ignore[index]
    refused = submit(up.url, tokens[str(first["username"])], "intruder",
                     weekly(other_area, "2026-W48"))
    assert refused.status_code == 403

    up.kill_9()
    up.start()

    for key, report_id in acknowledged.items():
        username = key.rsplit("-w", 1)[0]
        resp = httpx.get(f"{up.url}/api/v1/reports/{report_id}", timeout=10,
                         headers={"Authorization": f"Bearer {tokens[username]}"})
        assert resp.status_code == 200, (key, resp.text)
    in_stream = stream_report_ids(up.nats_url, up.home)
    assert sorted(in_stream) == sorted(acknowledged.values())
    assert up.stop() == 0


def test_kill_9_between_commit_and_publish_publishes_once_after_restart(up: Up):
    import sqlite3

    up.start()
    cadre = cadres(up)[0]
    tok = token(up.url, str(cadre["username"]), str(cadre["password"]))
    body = weekly(str(cadre["area_ids"][0]), "2026-W48")  # type: ignore[index]
    db = up.home / "events.sqlite"

    def stored_reports() -> int:
        with sqlite3.connect(db) as conn:
            return int(conn.execute(
                "SELECT COUNT(*) FROM stored_events WHERE topic LIKE '%Report.Submitted'"
            ).fetchone()[0])

    # Given NATS frozen, so that a report is committed but cannot be published
    nats_pid = nats_server_pid(up.home)
    os.kill(nats_pid, signal.SIGSTOP)
    answers: list[object] = []
    worker = threading.Thread(target=lambda: answers.append(
        _try(lambda: submit(up.url, tok, "crash-1", body, timeout=30))))
    worker.start()
    deadline = time.monotonic() + 20
    while stored_reports() == 0 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert stored_reports() == 1
    # When the whole tree is killed between the commit and the publish (SIGKILL also ends
    # the stopped nats-server, with the unacknowledged publish still in its socket buffer)
    up.kill_9()
    worker.join(timeout=40)
    assert not isinstance(answers[0], httpx.Response) or answers[0].status_code != 201
    up.start()
    # Then the client's retry gets the stored report, and the stream holds it once
    retry = submit(up.url, tok, "crash-1", body)
    assert retry.status_code == 200
    deadline = time.monotonic() + 10
    in_stream = stream_report_ids(up.nats_url, up.home)
    while not in_stream and time.monotonic() < deadline:
        time.sleep(0.2)
        in_stream = stream_report_ids(up.nats_url, up.home)
    assert in_stream == [retry.json()["report_id"]]
    assert stored_reports() == 1


def _try(call):  # type: ignore[no-untyped-def]
    try:
        return call()
    except httpx.HTTPError as exc:
        return exc


def test_services_run_as_separate_processes(tmp_path: Path, nats_server):  # type: ignore[no-untyped-def]
    home = tmp_path / "separate"
    tinhhinh = str(Path(sys.executable).parent / "tinhhinh")
    plan = str(PLANS / "two-level.toml")
    first = subprocess.run([tinhhinh, "network", "load", plan, "--home", str(home)],
                           capture_output=True, text=True, check=False, timeout=120)
    assert first.returncode == 0, first.stderr
    again = subprocess.run([tinhhinh, "network", "load", plan, "--home", str(home)],
                           capture_output=True, text=True, check=False, timeout=120)
    assert again.returncode == 0 and "no changes" in again.stdout
    port = free_port()
    # A server `up` does not run: its credentials are found through NATS_CREDS_DIR.
    env = {**os.environ, "NATS_URL": nats_server.url,
           nats_auth.CREDS_DIR_ENV: str(nats_server.creds_dir)}
    intake = subprocess.Popen([sys.executable, "-m", "services.intake", "--home", str(home),
                               "--port", str(port)], env=env)
    try:
        url = f"http://127.0.0.1:{port}"
        wait_healthy(url, intake)
        # Loaded as it is (not a demo), the plan's shared password must be changed first
        known = token(url, "cb.tramlo.nghian", "demo-2026")
        refused = submit(url, known, "sep-1", weekly("tram-lo-nghi-an", "2026-W48"))
        assert refused.status_code == 403, refused.text
        assert refused.json()["error"]["code"] == "password_change_required"
        changed = httpx.post(f"{url}/api/v1/auth/password", timeout=30,
                             headers={"Authorization": f"Bearer {known}"},
                             json={"current_password": "demo-2026",
                                   "new_password": "mat-khau-rieng-2026"})
        assert changed.status_code == 200, changed.text
        tok = changed.json()["access_token"]
        resp = submit(url, tok, "sep-1", weekly("tram-lo-nghi-an", "2026-W48"))
        assert resp.status_code == 201, resp.text
        assert stream_report_ids(nats_server.url, nats_server.home) == [resp.json()["report_id"]]
    finally:
        intake.terminate()
        # uvicorn shuts down gracefully, then re-raises SIGTERM so the exit status tells why.
        assert intake.wait(timeout=20) in (0, -signal.SIGTERM)


def test_nats_url_and_usage_errors(up: Up):
    assert up.cli("nats-url").returncode == 1
    up.start("--no-demo")
    result = up.cli("nats-url")
    assert result.returncode == 0 and result.stdout.strip() == up.nats_url
    bad = subprocess.run([str(Path(sys.executable).parent / "tinhhinh"), "nonsense"],
                         capture_output=True, text=True, check=False)
    assert bad.returncode == 2
    assert up.stop() == 0
    assert not (up.home / "run.json").exists()


def test_up_runs_the_notifier_and_answers_overdue_and_alerts(up: Up):
    up.start()
    health = httpx.get(f"{up.url}/healthz", timeout=10).json()
    assert health["notifier"] == "ok"
    result = up.cli("overdue", "--at", "2026-11-26T14:00:00+07:00", "--json")
    assert result.returncode == 0, result.stderr
    rows = json.loads(result.stdout)
    weekly = {(r["cadre_id"], r["area_id"]) for r in rows
              if r["kind"] == "weekly" and r["period"] == "2026-W48"}
    assert ("cb-ho-a-lu", "ho-dang-xa") in weekly and ("cb-ho-dang-xa", "ho-dang-xa") in weekly
    leader = next(a for a in up.accounts() if a["username"] == "ld.ccb.ho")
    tok = token(up.url, str(leader["username"]), str(leader["password"]))
    alerts = httpx.get(f"{up.url}/api/v1/alerts?status=open", timeout=10,
                       headers={"Authorization": f"Bearer {tok}"})
    assert alerts.status_code == 200 and isinstance(alerts.json()["alerts"], list)
    assert up.stop() == 0


def test_up_rolls_reports_up_the_line_and_scopes_the_rollup(up: Up):
    up.start()
    cadre = next(a for a in up.accounts() if a["username"] == "cb.ho.alu")
    tok = token(up.url, "cb.ho.alu", str(cadre["password"]))
    resp = submit(up.url, tok, "roll-1", weekly("ho-a-lu", "2026-W48"))
    assert resp.status_code == 201
    leader = token(up.url, "ld.ccb.ho", "demo-2026")
    sibling = token(up.url, "ld.ccb.songho", "demo-2026")
    url = f"{up.url}/api/v1/units/ccb-ho/rollups/2026-W48"
    deadline = time.monotonic() + 20
    while True:
        rollup = httpx.get(url, timeout=10, headers={"Authorization": f"Bearer {leader}"})
        assert rollup.status_code == 200, rollup.text
        if rollup.json()["received"] == 1 or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    body = rollup.json()
    assert body["unit_id"] == "ccb-ho" and body["received"] == 1
    assert body["expected"] >= 4  # three villages, one with two cadres
    missing = {(m["cadre_id"], m["area_id"]) for m in body["missing"]}
    assert ("cb-ho-dang-xa", "ho-dang-xa") in missing and ("cb-ho-a-lu", "ho-a-lu") not in missing
    refused = httpx.get(url, timeout=10, headers={"Authorization": f"Bearer {sibling}"})
    assert refused.status_code == 404
    html = httpx.get(url, timeout=10, headers={"Authorization": f"Bearer {leader}",
                                               "Accept": "text/html"})
    assert html.status_code == 200 and "BÁO CÁO" in html.text
    cli = up.cli("rollup", "ccb-ho", "2026-W48")
    assert cli.returncode == 0, cli.stderr
    assert json.loads(cli.stdout)["received"] == 1
    assert up.stop() == 0


def test_ctrl_c_stops_every_service_cleanly(up: Up):
    # Given a running system that has taken a report
    up.start()
    cadre = cadres(up)[0]
    tok = token(up.url, str(cadre["username"]), str(cadre["password"]))
    sent = submit(up.url, tok, "ctrl-c-1", weekly(str(cadre["area_ids"][0]), "2026-W48"))
    assert sent.status_code == 201, sent.text
    log = up.home.parent / "up.log"
    started_at = log.stat().st_size
    # When Ctrl-C is pressed: the terminal signals the whole foreground process group
    assert up.proc is not None
    os.killpg(up.proc.pid, signal.SIGINT)
    # Then `up` exits 0, and no service failed on its way down (the NATS server they
    # drain against must outlive them)
    assert up.proc.wait(timeout=60) == 0
    said = log.read_bytes()[started_at:].decode("utf-8", "replace")
    assert "tinhhinh đã dừng." in said
    for failure in ("Traceback", "shutdown failed", "nats_drain_failed", "service_exited"):
        assert failure not in said, said[-4000:]
    # And the report is there after a restart, once
    up.start()
    assert stream_report_ids(up.nats_url, up.home) == [sent.json()["report_id"]]


def test_status_shows_each_service_and_fails_when_one_is_gone(up: Up):
    # Given no system running in the home, status says so
    assert up.cli("status").returncode == 1
    # Given the whole system up
    up.start()
    # When the operator asks for its status
    table = up.cli("status")
    report = json.loads(up.cli("status", "--json").stdout)
    # Then every service is ok, with its progress, failures and dead letters shown
    assert table.returncode == 0, table.stdout + table.stderr
    for name in ("intake", "aggregator", "notifier"):
        assert name in table.stdout and report[name]["status"] == "ok"
    for name in ("aggregator", "notifier"):
        assert {"lag", "failures", "dead_letters", "last_error"} <= set(report[name])
    assert report["intake"]["relay_position"] == report["intake"]["store_position"]
    # When the aggregator stops answering, status exits 1 and names it unreachable
    [aggregator] = _pids(f"services.aggregator --home {up.home}")
    os.kill(aggregator, signal.SIGSTOP)
    try:
        gone = up.cli("status", "--json")
    finally:
        os.kill(aggregator, signal.SIGCONT)
    assert gone.returncode == 1
    assert json.loads(gone.stdout)["aggregator"]["status"] == "unreachable"
    assert up.stop() == 0


def _pids(command_line: str) -> list[int]:
    """The processes whose command line contains `command_line`."""
    found = []
    for proc in Path("/proc").iterdir():
        if proc.name.isdigit():
            try:
                args = (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode()
            except OSError:
                continue
            if command_line in args:
                found.append(int(proc.name))
    return found
