"""The checkpoint signing key: Ed25519 in HOME/audit/signing.key, readable by its owner only."""

from __future__ import annotations

import os
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    NoEncryption,
    PrivateFormat,
    PublicFormat,
    load_pem_private_key,
)


def key_path(home: Path) -> Path:
    return home / "audit" / "signing.key"


def load_signing_key(home: Path) -> Ed25519PrivateKey | None:
    """The home's signing key, or None when it has none yet."""
    try:
        pem = key_path(home).read_bytes()
    except FileNotFoundError:
        return None
    key = load_pem_private_key(pem, password=None)
    if not isinstance(key, Ed25519PrivateKey):
        raise ValueError(f"{key_path(home)} is not an Ed25519 key")
    return key


def signing_key(home: Path) -> Ed25519PrivateKey:
    """The home's signing key, created on first use with mode 0600."""
    key = load_signing_key(home)
    if key is not None:
        return key
    path = key_path(home)
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    key = Ed25519PrivateKey.generate()
    pem = key.private_bytes(Encoding.PEM, PrivateFormat.PKCS8, NoEncryption())
    temp = path.with_name(f".signing.key.{os.getpid()}")
    fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as out:
        out.write(pem)
        os.fsync(out.fileno())
    try:
        # A hard link appears whole and fails if the name exists: two first uses at once
        # keep one key, and nobody ever reads a half-written one.
        os.link(temp, path)
    except FileExistsError:
        return signing_key(home)
    finally:
        temp.unlink()
    return key


def public_bytes(key: Ed25519PrivateKey) -> bytes:
    return key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
