"""The canonical bytes of a stored event and the chain link over them (docs/audit.md)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from hashlib import sha256
from typing import Any

ZERO = bytes(32)

# The header of an ordinary row (id, topic, state as bytes; version an int). `%x` is used
# for the version because, unlike `%d`, it refuses a float, so an odd row always falls back
# to `canonical()` instead of being hashed as a different value.
FAST_HEADER = b"%d|b%d|i%x|b%d|b%d\n"

Row = Sequence[Any]


def _token(value: object) -> tuple[bytes, bytes]:
    """The header token and body of one column value, typed so no two values collide."""
    if value is None:
        return b"n", b""
    if isinstance(value, int):
        return b"i%x" % value, b""
    if isinstance(value, float):
        return b"r" + value.hex().encode(), b""
    if isinstance(value, str):  # only when a connection decodes text; ours does not
        value = value.encode("utf-8", "surrogatepass")
    if isinstance(value, bytes | bytearray | memoryview):
        data = bytes(value)
        return b"b%d" % len(data), data
    raise TypeError(f"unexpected column type {type(value).__name__}")


def canonical(position: int, originator_id: object, originator_version: object,
              topic: object, state: object) -> bytes:
    """`position|tok|tok|tok|tok\\n` followed by the bodies of the byte-valued columns."""
    tokens, bodies = [b"%d" % position], []
    for value in (originator_id, originator_version, topic, state):
        token, body = _token(value)
        tokens.append(token)
        bodies.append(body)
    return b"|".join(tokens) + b"\n" + b"".join(bodies)


def link(prev: bytes, row: Row) -> bytes:
    """chain_i = SHA-256(chain_{i-1} || canonical bytes of event i)."""
    pos, oid, ver, topic, state = row
    try:
        data = b"".join((prev, FAST_HEADER % (pos, len(oid), ver, len(topic), len(state)),
                         oid, topic, state))
    except TypeError:
        data = prev + canonical(pos, oid, ver, topic, state)
    return sha256(data).digest()


def chain(prev: bytes, rows: Iterable[Row]) -> list[tuple[int, bytes]]:
    """(position, chain hash) for each row in order, starting from `prev`."""
    out = []
    for row in rows:
        prev = link(prev, row)
        out.append((row[0], prev))
    return out


# Blocks (docs/audit.md, "Block seals"): positions 1..1024 form block 1, and so on.
BLOCK = 1024


def block_of(position: int) -> int:
    return (position - 1) // BLOCK + 1


def block_first(block: int) -> int:
    return (block - 1) * BLOCK + 1


def block_end(block: int) -> int:
    return block * BLOCK


def block_seal(prev_seal: bytes, events: bytes, hashes: bytes) -> bytes:
    """seal = SHA-256(previous block's seal || SHA-256(events' canonical bytes) || SHA-256(their
    chain hashes)), over the block's positions from its first up to its last sealed one."""
    return sha256(prev_seal + sha256(events).digest() + sha256(hashes).digest()).digest()


class OpenBlock:
    """A block being sealed, hashed as it grows: it never re-reads what it already hashed."""

    def __init__(self, block: int, prev_seal: bytes) -> None:
        self.block = block
        self.prev_seal = prev_seal
        self.last = block_first(block) - 1
        self._events = sha256()
        self._hashes = sha256()

    def add(self, position: int, canonical_bytes: bytes, chain_hash: bytes) -> None:
        if position != self.last + 1 or position > block_end(self.block):
            raise ValueError(f"position {position} does not extend block {self.block}")
        self._events.update(canonical_bytes)
        self._hashes.update(chain_hash)
        self.last = position

    def extended(self, position: int, canonical_bytes: bytes, chain_hash: bytes) -> OpenBlock:
        """This block with the event added, or, for a position past its end, the block
        that holds it, sealed on this one."""
        block = block_of(position)
        state = self if block == self.block else OpenBlock(block, self.seal())
        state.add(position, canonical_bytes, chain_hash)
        return state

    @property
    def full(self) -> bool:
        return self.last == block_end(self.block)

    def seal(self) -> bytes:
        return sha256(self.prev_seal + self._events.digest() + self._hashes.digest()).digest()

    def next(self) -> OpenBlock:
        """The block after this full one."""
        return OpenBlock(self.block + 1, self.seal())

    def copy(self) -> OpenBlock:
        other = OpenBlock(self.block, self.prev_seal)
        other.last = self.last
        other._events, other._hashes = self._events.copy(), self._hashes.copy()
        return other
