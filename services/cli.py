"""The `tinhhinh` command line (CONTRACT: command line)."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from uuid import NAMESPACE_OID, uuid5

from domain.clock import SystemClock
from domain.errors import DomainError
from services.common.demo import demo_logins, print_demo_logins
from services.common.nats_auth import USERS, creds_path
from services.common.network_view import NetworkView
from services.common.settings import (
    DEFAULT_HTTP_PORT,
    DEFAULT_NATS_PORT,
    read_run_file,
    resolve_home,
    running_nats_url,
)
from services.notifier.received import Received

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2


def _home_arg(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--home", help="state directory (default: $TINHHINH_HOME or ./var)")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="tinhhinh",
        description="tinhhinh — situation reports of the mass-mobilisation network.",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    up = sub.add_parser("up", help="run everything: embedded NATS (unless NATS_URL) and services",
                        description="Run embedded NATS (unless NATS_URL is set) and the services "
                        "as one process tree; Ctrl-C or SIGTERM stops it cleanly.")
    _home_arg(up)
    up.add_argument("--port", type=int, default=DEFAULT_HTTP_PORT, help="HTTP port (8080)")
    up.add_argument("--nats-port", type=int, default=DEFAULT_NATS_PORT,
                    help="embedded NATS port (4333)")
    up.add_argument("--no-demo", action="store_true",
                    help="do not load the demo network into an empty home")

    network = sub.add_parser("network", help="the network plan",
                             description="Manage the network plan.")
    network_sub = network.add_subparsers(dest="network_command", required=True, metavar="ACTION")
    load = network_sub.add_parser("load", help="load or update the network from a plan file",
                                  description="Record the differences between a plan file "
                                  "(docs/plan-format.md) and the network; loading the same "
                                  "file twice records nothing.")
    load.add_argument("file", type=Path)
    _home_arg(load)

    demo = sub.add_parser("demo", help="the demo network", description="The demo network.")
    demo_sub = demo.add_subparsers(dest="demo_command", required=True, metavar="ACTION")
    accounts = demo_sub.add_parser("accounts", help="list the demo logins",
                                   description="List the demo logins.")
    accounts.add_argument("--json", action="store_true", help="print JSON")
    _home_arg(accounts)

    rollup = sub.add_parser("rollup", help="a unit's rollup for a period",
                            description="A unit's rollup for a period from the aggregator's "
                            "read model: JSON, the report document (HTML) or .docx (to stdout).")
    rollup.add_argument("unit_id")
    rollup.add_argument("period", help="2026-W48, 2026-11, 2026-Q4, 2026-H2 or 2026")
    rollup.add_argument("--format", choices=("json", "html", "docx"), default="json")
    _home_arg(rollup)

    replay = sub.add_parser("replay", help="rebuild a read model from the event stream",
                            description="Rebuild a service's read model from the JetStream "
                            "event stream (NATS_URL, or the running system's).")
    replay.add_argument("service", choices=("aggregator",))
    _home_arg(replay)

    overdue = sub.add_parser("overdue", help="what is overdue at an instant",
                             description="List every expected report not received by "
                             "ISO_TIME (computed from the schedule, assignments and reports).")
    overdue.add_argument("--at", required=True, metavar="ISO_TIME",
                         help="ISO 8601 with offset, e.g. 2026-11-26T14:00:00+07:00")
    overdue.add_argument("--json", action="store_true", help="print JSON")
    _home_arg(overdue)

    case = sub.add_parser("case", help="cases (vụ việc)", description="Cases (vụ việc).")
    case_sub = case.add_subparsers(dest="case_command", required=True, metavar="ACTION")
    history = case_sub.add_parser(
        "history", help="a case's full timeline, or its state at an instant",
        description="A case's full timeline from the event store — every event with its "
        "position in the global order — or, with --as-of, its state rebuilt from the events "
        "up to that instant. The read is recorded as the local operator's.")
    history.add_argument("case_id", help="tracking number, e.g. VV-2026-000123")
    history.add_argument("--as-of", help="ISO 8601 instant with offset")
    output = history.add_mutually_exclusive_group()
    output.add_argument("--json", action="store_true", help="print JSON")
    output.add_argument("--html", action="store_true", help="print the HTML timeline")
    _home_arg(history)

    nats_url = sub.add_parser("nats-url", help="the NATS URL of the running system",
                              description="Print the URL to read the event stream of the "
                              "running system, without secrets: the server asks for a user; "
                              "`tinhhinh nats-creds reader` prints the path of the file "
                              "holding the reader's (inbox prefix _INBOX_reader).")
    _home_arg(nats_url)

    nats_creds = sub.add_parser(
        "nats-creds", help="the path of a NATS user's credentials file",
        description="Print the path of the credentials file (JSON: user, password; mode 0600) "
        "of one NATS user of this home: intake, aggregator, notifier (the services), reader "
        "(read the event stream), client (machine clients: the public RPC subjects only) or "
        "cli (the tinhhinh commands). The secret itself is never printed. Files are made on "
        "the first `tinhhinh up`; delete them and restart to rotate every password. With "
        "NATS_CREDS_DIR set, the files are looked up there.")
    nats_creds.add_argument("user", metavar="SERVICE", choices=USERS,
                            help=f"one of {', '.join(USERS)}")
    _home_arg(nats_creds)

    status = sub.add_parser("status", help="the health of the running system",
                            description="Each service of the running system: the intake's relay "
                            "and store positions, each consumer's lag, failures, last error and "
                            "dead letters. Exit 0 when all are ok, 1 otherwise.")
    status.add_argument("--json", action="store_true", help="print JSON")
    _home_arg(status)

    from services.intake.audit.cli import add_audit_parser

    add_audit_parser(sub)
    return parser


def _cmd_network_load(args: argparse.Namespace) -> int:
    from services.common.plan_file import load_plan
    from services.common.store import open_store
    from services.intake.directory import Directory
    from services.intake.network_plan import apply_plan

    plan = load_plan(args.file)
    if plan.demo:
        print("Kế hoạch thử (demo = true): mật khẩu trong tệp dùng được ngay, chỉ dùng cho "
              "bản thử (a demo plan: its passwords work as they are).", file=sys.stderr)
    store = open_store(resolve_home(args.home))
    try:
        result = apply_plan(store, Directory(store), plan, SystemClock())
    finally:
        store.close()
    if result.total == 0:
        print("Không có thay đổi (no changes).")
    else:
        for what, count in sorted(result.changes.items()):
            print(f"{what}: {count}")
    return EXIT_OK


def _cmd_case_history(args: argparse.Namespace) -> int:
    from services.common.store import open_store
    from services.intake.api import render_case_history
    from services.intake.cases import CaseService
    from services.intake.directory import AccountView, Directory

    store = open_store(resolve_home(args.home))
    try:
        directory = Directory(store)
        # The operator at the server's console reads as an auditor of the whole network.
        operator = AccountView(id=uuid5(NAMESPACE_OID, "cli-operator"), username="cli-operator",
                               name="Local operator", role="auditor", unit_id=None,
                               cadre_id=None, password_hash="", active=True)
        history = CaseService(store, directory, SystemClock()).history(
            operator, args.case_id, args.as_of)
    finally:
        store.close()
    if args.html:
        print(render_case_history(history))
    elif args.json:
        print(json.dumps(history, ensure_ascii=False, indent=2, default=str))
    else:
        state = history["state"]
        print(f"{history['case_id']}  {state['title']}  [{state['status_vi']}]")
        for event in history["events"]:
            print(f"  #{event['position']:>8}  {event['at']}  {event['by'] or '':<20} "
                  f"{event['type']}")
    return EXIT_OK


def overdue_command(home: Path, at: str, as_json: bool) -> int:
    """`tinhhinh overdue`: the notifier's answer; with no NATS, its rule over the home's store."""
    from services.notifier.cli import overdue_command as notifier_overdue

    return notifier_overdue(home, at, as_json, _network_and_reports)


def _network_and_reports(home: Path) -> tuple[NetworkView, Received]:
    """The network and the reports received, read from the event store: the intake's store,
    the notifier's rule, joined here so that neither service imports the other."""
    from services.common.store import open_store
    from services.intake.directory import Directory

    store = open_store(home)
    try:
        directory = Directory(store)
        directory.refresh()
        received = Received()
        for r in directory.reports():
            if r.period is not None:
                received.add(r.kind, r.period, r.cadre_id, r.area_id, r.submitted_at)
        return directory.view, received
    finally:
        store.close()


def _cmd_replay(args: argparse.Namespace) -> int:
    import os

    from services.aggregator.cli import replay_command

    home = resolve_home(args.home)
    url = os.environ.get("NATS_URL") or running_nats_url(home)
    if not url:
        print("Không tìm thấy NATS: hãy chạy `tinhhinh up` hoặc đặt NATS_URL\n"
              "No NATS found: start `tinhhinh up` or set NATS_URL", file=sys.stderr)
        return EXIT_FAILED
    return replay_command(home, url)


def _cmd_nats_url(args: argparse.Namespace) -> int:
    import os

    url = os.environ.get("NATS_URL")
    if not url:
        run = read_run_file(resolve_home(args.home)) or {}
        found = run.get("nats_url")
        url = found if isinstance(found, str) else None
    if not url:
        print("tinhhinh is not running in this home (no run.json); start it with `tinhhinh up`",
              file=sys.stderr)
        return EXIT_FAILED
    print(url)
    return EXIT_OK


def _cmd_nats_creds(args: argparse.Namespace) -> int:
    path = creds_path(resolve_home(args.home), args.user)
    if not path.is_file():
        print(f"no credentials file at {path}: start the system once with `tinhhinh up`\n"
              f"Chưa có tệp thông tin đăng nhập NATS tại {path}: hãy chạy `tinhhinh up` trước",
              file=sys.stderr)
        return EXIT_FAILED
    print(path)
    return EXIT_OK


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    from services.common.logconfig import configure_logging

    configure_logging()
    try:
        if args.command == "up":
            from services.up import run_up

            return run_up(resolve_home(args.home), args.port, args.nats_port, not args.no_demo)
        if args.command == "network":
            return _cmd_network_load(args)
        if args.command == "demo":
            rows = demo_logins()
            if args.json:
                print(json.dumps(rows, ensure_ascii=False, indent=2))
            else:
                print_demo_logins()
            return EXIT_OK
        if args.command == "rollup":
            from services.aggregator.cli import rollup_command

            return rollup_command(resolve_home(args.home), args.unit_id, args.period,
                                  args.format)
        if args.command == "replay":
            return _cmd_replay(args)
        if args.command == "overdue":
            return overdue_command(resolve_home(args.home), args.at, args.json)
        if args.command == "case":
            return _cmd_case_history(args)
        if args.command == "audit":
            from services.intake.audit.cli import run_audit

            return run_audit(args)
        if args.command == "nats-url":
            return _cmd_nats_url(args)
        if args.command == "nats-creds":
            return _cmd_nats_creds(args)
        if args.command == "status":
            from services.status import status_command

            return status_command(resolve_home(args.home), args.json)
    except DomainError as err:
        print(f"{err.message_vi}\n{err.message}", file=sys.stderr)
        return EXIT_FAILED
    except (OSError, RuntimeError) as err:
        print(f"error: {err}", file=sys.stderr)
        return EXIT_FAILED
    parser.error("unknown command")
    return EXIT_USAGE


if __name__ == "__main__":
    sys.exit(main())
