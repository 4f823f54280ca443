"""Signed checkpoints and their signing key."""

from __future__ import annotations

import json
import stat
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from services.intake.audit.checkpoint import Checkpoint, CheckpointError, load_checkpoint
from services.intake.audit.keys import key_path, load_signing_key, public_bytes, signing_key

AT = datetime(2026, 11, 26, 3, 0, tzinfo=UTC)


def signed(size: int = 2500, every: int = 1024) -> Checkpoint:
    key = Ed25519PrivateKey.generate()
    cp = Checkpoint(size=size, root=b"\x01" * 32, time=AT, public_key=public_bytes(key),
                    anchors=tuple(bytes([i]) * 32 for i in range(size // every)),
                    anchor_every=every)
    return replace(cp, signature=key.sign(cp.message()))


def test_checkpoint_survives_its_json(tmp_path: Path) -> None:
    cp = signed()
    (tmp_path / "cp.json").write_text(cp.to_json())
    assert load_checkpoint(tmp_path / "cp.json") == cp


def test_expected_hashes_are_the_anchors_then_the_root() -> None:
    assert [p for p, _ in signed().expected()] == [1024, 2048, 2500]
    assert [p for p, _ in signed(size=2048).expected()] == [1024, 2048]
    assert signed(size=0).expected() == []


def test_flipped_signature_byte_is_refused(tmp_path: Path) -> None:
    data = json.loads(signed().to_json())
    sig = bytearray.fromhex(data["signature"])
    sig[5] ^= 0x01
    data["signature"] = sig.hex()
    (tmp_path / "cp.json").write_text(json.dumps(data))
    with pytest.raises(CheckpointError, match="signature"):
        load_checkpoint(tmp_path / "cp.json")


@pytest.mark.parametrize("field,value", [("size", 2499), ("root", "00" * 32),
                                         ("time", "2026-11-27T03:00:00+00:00")])
def test_any_edited_field_breaks_the_signature(tmp_path: Path, field: str, value: object) -> None:
    data = json.loads(signed().to_json())
    data[field] = value
    (tmp_path / "cp.json").write_text(json.dumps(data))
    with pytest.raises(CheckpointError):
        load_checkpoint(tmp_path / "cp.json")


@pytest.mark.parametrize("text", ["not json", "{}", '{"format": "tinhhinh-audit-checkpoint/1"}'])
def test_malformed_checkpoint_is_refused(tmp_path: Path, text: str) -> None:
    (tmp_path / "cp.json").write_text(text)
    with pytest.raises(CheckpointError):
        load_checkpoint(tmp_path / "cp.json")


def test_signing_key_is_created_once_and_private(tmp_path: Path) -> None:
    assert load_signing_key(tmp_path) is None
    key = signing_key(tmp_path)
    mode = stat.S_IMODE(key_path(tmp_path).stat().st_mode)
    assert mode == 0o600
    assert public_bytes(signing_key(tmp_path)) == public_bytes(key)
    assert list(key_path(tmp_path).parent.iterdir()) == [key_path(tmp_path)]
