"""`tinhhinh status`: the running system's health, service by service — the intake's relay
and store, each consumer's lag, failures, last error and dead letters — for an operator."""

from __future__ import annotations

import asyncio
import json
import os
import sys
from pathlib import Path
from typing import Any

import httpx
import nats
import nats.errors

from domain.errors import DomainError
from services.common.aggregator_client import AggregatorClient
from services.common.nats_auth import CLI, connect_options
from services.common.notifier_client import NotifierClient
from services.common.settings import read_run_file

EXIT_OK, EXIT_FAILED = 0, 1
_ERROR_SHOWN = 160  # characters of a last error in the table (the JSON has it whole)


async def gather(http_url: str | None, nats_url: str | None,
                 auth: dict[str, Any] | None = None) -> dict[str, dict[str, Any]]:
    """Each service's own health answer, or why there is none."""
    report: dict[str, dict[str, Any]] = {}
    if http_url:
        try:
            async with httpx.AsyncClient(timeout=5) as http:
                report["intake"] = (await http.get(f"{http_url}/healthz")).json()
        except (httpx.HTTPError, ValueError) as err:
            report["intake"] = {"status": "unreachable", "reason": str(err) or repr(err)}
    else:
        report["intake"] = {"status": "unreachable", "reason": "no HTTP address in run.json"}
    if not nats_url:
        for name in ("aggregator", "notifier"):
            report[name] = {"status": "unreachable", "reason": "no NATS URL"}
        return report
    try:
        nc = await nats.connect(nats_url, max_reconnect_attempts=0, connect_timeout=3,
                                **(auth or {}))
    except (OSError, nats.errors.Error) as err:
        for name in ("aggregator", "notifier"):
            report[name] = {"status": "unreachable", "reason": f"NATS: {err!r}"}
        return report
    try:
        probes = {"aggregator": AggregatorClient(nc, timeout=3).health,
                  "notifier": NotifierClient(nc, timeout=3).health}
        for name, probe in probes.items():
            try:
                report[name] = await probe()
            except DomainError as err:
                report[name] = {"status": "unreachable", "reason": err.message}
    finally:
        await nc.close()
    return report


def _row(name: str, health: dict[str, Any]) -> list[str]:
    if name == "intake":
        progress = (f"relay {health.get('relay_position', '?')}"
                    f"/{health.get('store_position', '?')}")
        trouble = ", ".join(health.get("failing") or []) or health.get("reason") or ""
        return [name, str(health.get("status")), progress, "", "", trouble]
    error = str(health.get("reason") or health.get("last_error") or "")
    return [name, str(health.get("status")), f"lag {health.get('lag', '?')}",
            str(health.get("failures", "")), str(health.get("dead_letters", "")),
            error[:_ERROR_SHOWN]]


def render(report: dict[str, dict[str, Any]]) -> str:
    rows = [["service", "status", "progress", "failures", "dead letters", "last error"]]
    rows += [_row(name, health) for name, health in report.items()]
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]) - 1)]
    return "\n".join("  ".join([*(c.ljust(w) for c, w in zip(r, widths, strict=False)),
                                r[-1]]).rstrip() for r in rows)


def status_command(home: Path, as_json: bool) -> int:
    """Print the health of the system running in `home`; exit 0 if every service is ok."""
    run = read_run_file(home) or {}
    http_url, nats_url = _text(run.get("http_url")), _text(run.get("nats_url"))
    nats_url = os.environ.get("NATS_URL") or nats_url
    if http_url is None and nats_url is None:
        print("tinhhinh is not running in this home (no run.json); start it with `tinhhinh up`\n"
              "Không thấy hệ thống đang chạy ở thư mục này (thiếu run.json)",
              file=sys.stderr)
        return EXIT_FAILED
    report = asyncio.run(gather(http_url, nats_url, connect_options(home, CLI)))
    print(json.dumps(report, ensure_ascii=False, indent=2) if as_json else render(report))
    return EXIT_OK if all(h.get("status") == "ok" for h in report.values()) else EXIT_FAILED


def _text(value: object) -> str | None:
    return value if isinstance(value, str) and value else None
