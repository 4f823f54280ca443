"""`tinhhinh audit checkpoint` and `tinhhinh audit verify` (CONTRACT: command line)."""

from __future__ import annotations

import argparse
import os
import sqlite3
import sys
from pathlib import Path

from domain.clock import Clock, SystemClock
from services.intake.audit.chain import Sealer
from services.intake.audit.checkpoint import CheckpointError, load_checkpoint, make_checkpoint
from services.intake.audit.database import home_database
from services.intake.audit.diagnose import Damage
from services.intake.audit.keys import load_signing_key, public_bytes, signing_key
from services.intake.audit.messages import damage_en, damage_vi, intact_en, intact_vi
from services.intake.audit.verify import verify

EXIT_OK, EXIT_FAILED = 0, 1
# These commands hold no other connection to the database: verify may use threads (verify.py).
WORKERS = max(1, min(os.cpu_count() or 1, 8))


def _fail(vi: str, en: str) -> int:
    print(f"{vi}\n{en}", file=sys.stderr)
    return EXIT_FAILED


def _report_damage(damage: Damage) -> int:
    return _fail(damage_vi(damage), damage_en(damage))


def checkpoint_command(home: Path, out: Path | None, clock: Clock | None = None) -> int:
    """Seal what is pending, check the chain, then sign a checkpoint of it."""
    try:
        db = home_database(home)
        if not db.is_file():
            return _fail(f"Không có dữ liệu sự kiện tại {db}.", f"No event database at {db}.")
        Sealer(db).seal_pending()  # its connection is closed before verify's threads open theirs
        result = verify(db, workers=WORKERS)
        if result.damage is not None:
            _report_damage(result.damage)
            return _fail("Không ký điểm kiểm tra cho lịch sử đã bị thay đổi.",
                         "Refusing to sign a checkpoint of an altered history.")
        key = signing_key(home)
        cp = make_checkpoint(db, key, (clock or SystemClock()).now(), size=result.sealed)
    except (OSError, sqlite3.DatabaseError, NotImplementedError, ValueError) as err:
        return _fail(f"Không tạo được điểm kiểm tra: {err}", f"Checkpoint failed: {err}")
    if out is None:
        sys.stdout.write(cp.to_json())
    else:
        try:
            out.write_text(cp.to_json(), encoding="utf-8")
        except OSError as err:
            return _fail(f"Không ghi được điểm kiểm tra: {err}", f"Cannot write checkpoint: {err}")
    print(f"Đã ký điểm kiểm tra: {cp.size} sự kiện, gốc {cp.root.hex()[:16]}…, "
          f"khoá công khai {cp.public_key.hex()}.\n"
          f"Checkpoint signed: {cp.size} events, root {cp.root.hex()[:16]}…, "
          f"public key {cp.public_key.hex()}.", file=sys.stderr)
    return EXIT_OK


def verify_command(home: Path, checkpoint: Path | None) -> int:
    """Exit 0 when the history is intact (and matches the checkpoint), else 1 naming the damage."""
    try:
        cp = None if checkpoint is None else load_checkpoint(checkpoint)
        own = load_signing_key(home)
        if cp is not None and own is not None and public_bytes(own) != cp.public_key:
            raise CheckpointError("signed by another key than this home's")
        result = verify(home_database(home), cp, workers=WORKERS)
    except CheckpointError as err:
        return _fail(f"Từ chối điểm kiểm tra {checkpoint}: chữ ký hoặc nội dung không hợp lệ.",
                     f"Checkpoint {checkpoint} refused: {err}.")
    except (OSError, sqlite3.DatabaseError, NotImplementedError, ValueError) as err:
        return _fail(f"Không kiểm tra được: {err}", f"Verification failed: {err}")
    if result.damage is not None:
        return _report_damage(result.damage)
    matched = "" if cp is None else (
        f"\nKhớp điểm kiểm tra {cp.size} sự kiện lúc {cp.time.isoformat()}."
        f"\nMatches the checkpoint of {cp.size} events taken at {cp.time.isoformat()}.")
    print(f"{intact_vi(result.sealed, result.unsealed)}\n"
          f"{intact_en(result.sealed, result.unsealed)}{matched}")
    return EXIT_OK


def add_audit_parser(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """`audit checkpoint [--out FILE]` and `audit verify [--checkpoint FILE]`, each with --home."""
    audit = subparsers.add_parser("audit", help="tamper evidence of the event history",
                                  description="Seal, checkpoint and verify the event history.")
    sub = audit.add_subparsers(dest="audit_command", required=True, metavar="ACTION")
    cp = sub.add_parser("checkpoint", help="sign a checkpoint of the sealed history",
                        description="Seal pending events, verify the chain and print (or "
                        "write) a signed checkpoint for the auditor to keep elsewhere.")
    cp.add_argument("--out", type=Path, help="write the checkpoint here (default: stdout)")
    check = sub.add_parser("verify", help="check the history against its chain",
                           description="Exit 0 if the event history is intact, else 1 "
                           "naming the first bad position. Never writes.")
    check.add_argument("--checkpoint", type=Path, help="a checkpoint to check against")
    for parser in (cp, check):
        parser.add_argument("--home", help="state directory (default: $TINHHINH_HOME or ./var)")


def run_audit(args: argparse.Namespace) -> int:
    from services.common.settings import resolve_home

    home = resolve_home(args.home)
    if args.audit_command == "checkpoint":
        return checkpoint_command(home, args.out)
    return verify_command(home, args.checkpoint)
