"""Who may do what on the bus: the NATS users, their credentials and their permissions.

nats-server's own model (docs.nats.io, "Authorization"): users with bcrypt'd passwords in
the server configuration, each with publish and subscribe allow and deny lists, and
``allow_responses`` for a responder, which may then answer the requests it received and
publish nothing else to reply subjects. No ``no_auth_user``: a connection without a user is
refused.

On first start (`tinhhinh up`, or EmbeddedNats in the tests) each user gets a random
password, kept in clear text only in ``<home>/nats/creds/<user>.json`` (mode 0600, the
directory 0700); the server config holds its bcrypt hash. Delete the files and restart to
rotate them. A service finds its file in ``$NATS_CREDS_DIR`` when that is set (a server
that `tinhhinh up` does not run), else in its home; without a file it connects without
credentials, which only a server that asks for none accepts.

Each user has its own inbox prefix (``_INBOX_<user>``) and may subscribe only to it, so
no user reads the replies meant for another: the intake's tokens, the services' answers.
Machine clients keep nats-py's default ``_INBOX``.
"""

from __future__ import annotations

import json
import os
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

import bcrypt
from faststream.security import SASLPlaintext

from services.common.contracts import INTERNAL_PREFIX, PUBLIC
from services.common.contracts import PREFIX as PUBLIC_PREFIX
from services.common.streams import ALERTS_STREAM, EVENTS_STREAM

# The users. The services are the processes of `tinhhinh up`; `reader` is for an operator
# reading the event stream (the nats CLI); `client` for machine clients, who may call only
# the public RPC subjects; `cli` for the tinhhinh commands that ask the running services
# (`overdue`, `status`, `replay aggregator`).
INTAKE: Final = "intake"
AGGREGATOR: Final = "aggregator"
NOTIFIER: Final = "notifier"
READER: Final = "reader"
CLIENT: Final = "client"
CLI: Final = "cli"
USERS: Final = (INTAKE, AGGREGATOR, NOTIFIER, READER, CLIENT, CLI)

# Public RPC (contracts.PREFIX): answered by the intake, each request carries the caller's
# token (or, for auth.token, a username and password). Internal RPC (INTERNAL_PREFIX):
# answered by the aggregator and the notifier, each request names the account on whose
# behalf the intake asks; only the intake (and `cli`, for the operator's network-wide views
# and the health probes) may publish there.
EVENTS: Final = "tinhhinh.events.>"
ALERTS: Final = "tinhhinh.alerts.>"
CREDS_DIR_ENV: Final = "NATS_CREDS_DIR"

_JS = "$JS.API"
# What no user may do to a stream, whatever its allow list says (deny wins in nats-server).
NEVER: Final = (
    f"{_JS}.STREAM.DELETE.>", f"{_JS}.STREAM.PURGE.>", f"{_JS}.STREAM.MSG.DELETE.>",
    f"{_JS}.STREAM.RESTORE.>", f"{_JS}.STREAM.SNAPSHOT.>", f"{_JS}.ACCOUNT.PURGE.>",
    f"{_JS}.META.>", f"{_JS}.SERVER.>", f"{_JS}.STREAM.PEER.>", f"{_JS}.STREAM.LEADER.>",
    "$SYS.>",
)


def inbox_prefix(user: str) -> str:
    """The inbox prefix of a user: its replies arrive under it and nobody else's do."""
    return "_INBOX" if user == CLIENT else f"_INBOX_{user}"


def _reading(stream: str, consumers: str = ">") -> list[str]:
    """Requests that read `stream` through consumers named by `consumers` (never write it)."""
    return [f"{_JS}.INFO", f"{_JS}.STREAM.NAMES", f"{_JS}.STREAM.LIST",
            f"{_JS}.STREAM.INFO.{stream}", f"{_JS}.STREAM.MSG.GET.{stream}",
            f"{_JS}.DIRECT.GET.{stream}", f"{_JS}.DIRECT.GET.{stream}.>",
            f"{_JS}.CONSUMER.CREATE.{stream}", f"{_JS}.CONSUMER.CREATE.{stream}.{consumers}",
            f"{_JS}.CONSUMER.DURABLE.CREATE.{stream}.{consumers}",
            f"{_JS}.CONSUMER.INFO.{stream}.{consumers}",
            f"{_JS}.CONSUMER.DELETE.{stream}.{consumers}",
            f"{_JS}.CONSUMER.MSG.NEXT.{stream}.{consumers}",
            f"$JS.ACK.{stream}.{consumers}", "$JS.FC.>"]


def _creating() -> list[str]:
    """Creating a missing stream (never changing one): a service started before the intake."""
    return [f"{_JS}.STREAM.{op}.{s}" for s in (EVENTS_STREAM, ALERTS_STREAM)
            for op in ("INFO", "CREATE")]


@dataclass(frozen=True)
class Permissions:
    """One user's rights: what it may publish and subscribe to, and whether it answers."""

    publish: tuple[str, ...]
    subscribe: tuple[str, ...]
    responds: bool = False
    deny_publish: tuple[str, ...] = field(default=NEVER)

    def render(self) -> dict[str, Any]:
        rendered: dict[str, Any] = {
            "publish": {"allow": list(self.publish), "deny": list(self.deny_publish)},
            "subscribe": {"allow": list(self.subscribe)},
        }
        if self.responds:
            rendered["allow_responses"] = True
        return rendered


def permissions() -> dict[str, Permissions]:
    """Every user's permissions: the table in docs/architecture.md."""
    not_events = (*NEVER, EVENTS)
    return {
        INTAKE: Permissions(
            # The relay (events), the requests on behalf of an account (internal subjects),
            # the streams' declaration, and reading its own stream (the relay's resume point).
            publish=(EVENTS, f"{INTERNAL_PREFIX}.>", *_reading(EVENTS_STREAM),
                     *(f"{_JS}.STREAM.{op}.{s}" for s in (EVENTS_STREAM, ALERTS_STREAM)
                       for op in ("INFO", "CREATE", "UPDATE"))),
            subscribe=(f"{PUBLIC_PREFIX}.>", f"{inbox_prefix(INTAKE)}.>"),
            responds=True),
        AGGREGATOR: Permissions(
            # Its own health subject: it asks it once started, to know it is answering.
            publish=(*_reading(EVENTS_STREAM, "aggregator"), *_creating(),
                     f"{INTERNAL_PREFIX}.aggregator.health"),
            subscribe=(f"{INTERNAL_PREFIX}.rollups.>", f"{INTERNAL_PREFIX}.aggregator.>",
                       f"{inbox_prefix(AGGREGATOR)}.>"),
            responds=True, deny_publish=not_events),
        NOTIFIER: Permissions(
            publish=(ALERTS, *_reading(EVENTS_STREAM), *_creating(),
                     f"{INTERNAL_PREFIX}.notifier.health"),
            subscribe=(f"{INTERNAL_PREFIX}.alerts.>", f"{INTERNAL_PREFIX}.overdue",
                       f"{INTERNAL_PREFIX}.notifier.>", f"{inbox_prefix(NOTIFIER)}.>"),
            responds=True, deny_publish=not_events),
        READER: Permissions(
            publish=(*_reading(EVENTS_STREAM), *_reading(ALERTS_STREAM)),
            subscribe=(EVENTS, ALERTS, f"{inbox_prefix(READER)}.>"), deny_publish=not_events),
        CLI: Permissions(
            publish=(*_reading(EVENTS_STREAM), f"{INTERNAL_PREFIX}.overdue",
                     f"{INTERNAL_PREFIX}.aggregator.health", f"{INTERNAL_PREFIX}.notifier.health"),
            subscribe=(f"{inbox_prefix(CLI)}.>",), deny_publish=not_events),
        CLIENT: Permissions(
            publish=tuple(rpc.subject for rpc in PUBLIC),
            subscribe=(f"{inbox_prefix(CLIENT)}.>",), deny_publish=not_events),
    }


@dataclass(frozen=True)
class Credentials:
    """One user's name and password, and how a nats-py or faststream client uses them."""

    user: str
    password: str
    hashed: str = ""  # its bcrypt hash, for the server config (kept beside it, so reused)

    def connect_options(self) -> dict[str, Any]:
        """Keyword arguments for `nats.connect`."""
        return {"user": self.user, "password": self.password,
                "inbox_prefix": inbox_prefix(self.user)}

    def broker_options(self) -> dict[str, Any]:
        """Keyword arguments for faststream's NatsBroker."""
        return {"security": SASLPlaintext(username=self.user, password=self.password),
                "inbox_prefix": inbox_prefix(self.user)}


def creds_dir(home: Path) -> Path:
    """Where the credentials files are: ``$NATS_CREDS_DIR``, else ``<home>/nats/creds``."""
    configured = os.environ.get(CREDS_DIR_ENV)
    return Path(configured) if configured else home / "nats" / "creds"


def creds_path(home: Path, user: str) -> Path:
    if user not in USERS:
        raise ValueError(f"unknown NATS user {user!r} (one of {', '.join(USERS)})")
    return creds_dir(home) / f"{user}.json"


def _write_private(path: Path, text: str) -> None:
    """Write `text` to `path`, readable and writable by the owner only, from its creation."""
    tmp = path.with_name(path.name + ".tmp")
    tmp.unlink(missing_ok=True)
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        out.write(text)
    os.replace(tmp, path)


def ensure_credentials(directory: Path) -> dict[str, Credentials]:
    """Each user's credentials from `directory`, a new random password for any missing."""
    directory.mkdir(parents=True, exist_ok=True)
    directory.chmod(0o700)
    found: dict[str, Credentials] = {}
    for user in USERS:
        path = directory / f"{user}.json"
        try:
            creds = _read(path)
        except FileNotFoundError:
            pass
        else:
            if not creds.hashed:  # a file written by hand: hash it for the config
                creds = Credentials(creds.user, creds.password, _hash(creds.password))
            found[user] = creds
            continue
        password = secrets.token_urlsafe(32)
        creds = Credentials(user, password, _hash(password))
        _write_private(path, json.dumps({"user": creds.user, "password": creds.password,
                                         "bcrypt": creds.hashed}))
        found[user] = creds
    return found


def _read(path: Path) -> Credentials:
    data = json.loads(path.read_text(encoding="utf-8"))
    if not isinstance(data, dict) or not isinstance(data.get("user"), str) \
            or not isinstance(data.get("password"), str):
        raise ValueError(f"{path}: not a credentials file ({{'user', 'password'}})")
    hashed = data.get("bcrypt")
    return Credentials(data["user"], data["password"], hashed if isinstance(hashed, str) else "")


def load_credentials(home: Path, user: str) -> Credentials | None:
    """`user`'s credentials for a connection from this home; None when there is no file."""
    try:
        return _read(creds_path(home, user))
    except FileNotFoundError:
        return None


def connect_options(home: Path, user: str) -> dict[str, Any]:
    """`nats.connect` keyword arguments for `user` (none without a credentials file)."""
    creds = load_credentials(home, user)
    return {} if creds is None else creds.connect_options()


def broker_options(home: Path, user: str) -> dict[str, Any]:
    """faststream NatsBroker keyword arguments for `user` (none without a credentials file)."""
    creds = load_credentials(home, user)
    return {} if creds is None else creds.broker_options()


def _hash(password: str) -> str:
    # The passwords are 256 random bits, not a person's: no dictionary reaches them, so the
    # work factor guards nothing and only slows every connection (nats-server checks the hash
    # on each). Cost 8, not the 11 that `nats server passwd` uses for people's passwords.
    return bcrypt.hashpw(password.encode(), bcrypt.gensalt(rounds=8)).decode()


def authorization_block(creds: Mapping[str, Credentials]) -> str:
    """The server config's ``authorization`` block: every user, its hash and permissions.
    JSON is valid nats-server config syntax, so values are rendered as JSON."""
    table = permissions()
    users = [{"user": creds[u].user, "password": creds[u].hashed,
              "permissions": table[u].render()} for u in USERS]
    return "authorization " + json.dumps({"users": users}, indent=2) + "\n"
