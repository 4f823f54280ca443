"""Signed checkpoints: the sealed size, root and anchors, for an auditor to keep elsewhere."""

from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from services.intake.audit.blocks import chain_value, stored_blocks
from services.intake.audit.canonical import BLOCK, ZERO
from services.intake.audit.database import connect_read
from services.intake.audit.keys import public_bytes

FORMAT = "tinhhinh-audit-checkpoint/2"  # /1 anchored per-event chain hashes; /2 block seals
ANCHOR_EVERY = BLOCK  # an anchor per full block: its seal


class CheckpointError(ValueError):
    """A checkpoint that cannot be trusted: unreadable, malformed or badly signed."""


@dataclass(frozen=True)
class Checkpoint:
    size: int
    root: bytes
    time: datetime
    anchors: tuple[bytes, ...]
    public_key: bytes
    signature: bytes = field(default=b"", repr=False)
    anchor_every: int = ANCHOR_EVERY

    def expected(self) -> list[tuple[int, bytes]]:
        """(position, chain hash) pairs the history must reproduce, in order; the root last."""
        pairs = [((i + 1) * self.anchor_every, h) for i, h in enumerate(self.anchors)]
        if self.size and (not pairs or pairs[-1][0] != self.size):
            pairs.append((self.size, self.root))
        return pairs

    def body(self) -> dict[str, Any]:
        return {
            "format": FORMAT, "size": self.size, "root": self.root.hex(),
            "time": self.time.isoformat(), "anchor_every": self.anchor_every,
            "anchors": [a.hex() for a in self.anchors], "public_key": self.public_key.hex(),
        }

    def message(self) -> bytes:
        """The signed bytes: the body as sorted, compact JSON."""
        return json.dumps(self.body(), sort_keys=True, separators=(",", ":")).encode()

    def check_signature(self) -> None:
        try:
            key = Ed25519PublicKey.from_public_bytes(self.public_key)
            key.verify(self.signature, self.message())
        except (InvalidSignature, ValueError) as err:
            raise CheckpointError("bad checkpoint signature") from err

    def to_json(self) -> str:
        return json.dumps({**self.body(), "signature": self.signature.hex()}, indent=2) + "\n"

    @classmethod
    def from_json(cls, text: str) -> Checkpoint:
        try:
            data = json.loads(text)
            if data.get("format") != FORMAT:
                raise CheckpointError(f"not a {FORMAT} checkpoint")
            cp = cls(
                size=_int(data["size"]), root=bytes.fromhex(data["root"]),
                time=datetime.fromisoformat(data["time"]),
                anchors=tuple(bytes.fromhex(a) for a in data["anchors"]),
                public_key=bytes.fromhex(data["public_key"]),
                signature=bytes.fromhex(data["signature"]),
                anchor_every=_int(data["anchor_every"]),
            )
        except CheckpointError:
            raise
        except (ValueError, KeyError, TypeError, AttributeError) as err:
            raise CheckpointError(f"malformed checkpoint: {err!r}") from err
        if cp.anchor_every != ANCHOR_EVERY or len(cp.anchors) != cp.size // cp.anchor_every:
            raise CheckpointError("malformed checkpoint: anchors do not match its size")
        return cp


def _int(value: object) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise CheckpointError(f"malformed checkpoint: {value!r} is not a size")
    return value


def load_checkpoint(path: Path) -> Checkpoint:
    """A checkpoint read from a file, refused unless its signature holds."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as err:
        raise CheckpointError(f"cannot read checkpoint {path}: {err}") from err
    cp = Checkpoint.from_json(text)
    cp.check_signature()
    return cp


def make_checkpoint(db: Path, key: Ed25519PrivateKey, now: datetime,
                    size: int | None = None) -> Checkpoint:
    """Sign the sealed history up to `size` (all of it by default): the seal of every full
    block up to it as anchors, and the seal up to `size` as root."""
    conn = connect_read(db)
    try:
        conn.execute("BEGIN")  # one snapshot: the anchors and the root agree
        blocks = stored_blocks(conn)
        top = size if size is not None else (blocks[-1][1] if blocks else 0)
        root = chain_value(conn, top) if top else ZERO
    finally:
        conn.close()
    anchors = tuple(h for b, last, h in blocks if last == b * BLOCK and last <= top)
    if top and (root is None or len(anchors) != top // BLOCK
                or [b for b, _, _ in blocks[:len(anchors)]] != list(range(1, len(anchors) + 1))):
        raise ValueError("the block seals do not reach that size; run `tinhhinh audit verify`")
    assert root is not None
    unsigned = Checkpoint(size=top, root=root, time=now, anchors=anchors,
                          public_key=public_bytes(key))
    return replace(unsigned, signature=key.sign(unsigned.message()))
