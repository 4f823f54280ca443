"""The notifier's settings: `[notifier]` in HOME/notifier.toml, then the environment.

Every key and its variable are listed in docs/notifier.md. Passwords and the
webhook secret are read from the environment only, never from the file.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from services.common.settings import DEFAULT_NATS_PORT, running_nats_url
from services.notifier.deadlines import KINDS

CONFIG_FILE = "notifier.toml"


@dataclass(frozen=True)
class Channels:
    """Where human-readable messages go; a channel left unconfigured is simply not used."""

    smtp_host: str | None = None
    smtp_port: int = 25
    smtp_from: str = "tinhhinh@localhost"
    smtp_starttls: bool = False
    smtp_username: str | None = None
    smtp_password: str | None = field(default=None, repr=False)
    email_pattern: str | None = None
    emails: Mapping[str, str] = field(default_factory=dict)
    webhook_url: str | None = None
    webhook_secret: str | None = field(default=None, repr=False)
    nats: bool = True
    base_url: str | None = None

    def email_for(self, username: str) -> str | None:
        """An explicit address first, else the pattern with {username} filled in."""
        if self.smtp_host is None:
            return None
        if username in self.emails:
            return self.emails[username]
        return self.email_pattern.format(username=username) if self.email_pattern else None

    @property
    def webhook(self) -> bool:
        return self.webhook_url is not None and bool(self.webhook_secret)


@dataclass(frozen=True)
class NotifierSettings:
    home: Path
    nats_url: str
    channels: Channels = field(default_factory=Channels)
    kinds: tuple[str, ...] = KINDS
    tick_seconds: float = 5.0
    retry_base_seconds: float = 1.0
    retry_max_seconds: float = 60.0
    # How long JetStream waits for an ack before redelivering (a crash costs this much).
    ack_wait_seconds: float = 30.0

    @classmethod
    def load(cls, home: Path, *, nats_url: str | None = None,
             environ: Mapping[str, str] | None = None) -> NotifierSettings:
        env = os.environ if environ is None else environ
        table = read_config(home)
        kinds = _kinds(env.get("TINHHINH_NOTIFIER_KINDS"), table.get("expected_kinds"))
        channels = Channels(
            smtp_host=env.get("TINHHINH_SMTP_HOST") or _str(table, "smtp_host"),
            smtp_port=int(env.get("TINHHINH_SMTP_PORT") or table.get("smtp_port", 25)),
            smtp_from=env.get("TINHHINH_SMTP_FROM") or _str(table, "smtp_from")
            or "tinhhinh@localhost",
            smtp_starttls=_flag(env.get("TINHHINH_SMTP_STARTTLS"), table.get("smtp_starttls")),
            smtp_username=env.get("TINHHINH_SMTP_USERNAME") or _str(table, "smtp_username"),
            smtp_password=env.get("TINHHINH_SMTP_PASSWORD"),
            email_pattern=env.get("TINHHINH_EMAIL_PATTERN") or _str(table, "email_pattern"),
            emails={str(k): str(v) for k, v in dict(table.get("emails", {})).items()},
            webhook_url=env.get("TINHHINH_WEBHOOK_URL") or _str(table, "webhook_url"),
            webhook_secret=env.get("TINHHINH_WEBHOOK_SECRET"),
            nats=_flag(env.get("TINHHINH_NOTIFIER_NATS"), table.get("nats", True)),
            base_url=env.get("TINHHINH_BASE_URL") or _str(table, "base_url"),
        )
        return cls(
            home=home,
            nats_url=nats_url or env.get("NATS_URL") or running_nats_url(home)
            or f"nats://127.0.0.1:{DEFAULT_NATS_PORT}",
            channels=channels,
            kinds=kinds,
            tick_seconds=float(env.get("TINHHINH_NOTIFIER_TICK") or table.get("tick_seconds", 5)),
        )


def read_config(home: Path) -> dict[str, Any]:
    """The `[notifier]` table of HOME/notifier.toml; empty when there is no file."""
    try:
        data = tomllib.loads((home / CONFIG_FILE).read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    table = data.get("notifier", {})
    if not isinstance(table, dict):
        raise ValueError(f"{home / CONFIG_FILE}: [notifier] must be a table")
    return table


def _str(table: Mapping[str, Any], key: str) -> str | None:
    value = table.get(key)
    return None if value is None else str(value)


def _flag(text: str | None, default: object) -> bool:
    if text is None:
        return bool(default)
    return text.strip().lower() in ("1", "true", "yes", "on")


def _kinds(text: str | None, listed: object) -> tuple[str, ...]:
    if text is not None:
        wanted = [k.strip() for k in text.split(",") if k.strip()]
    elif isinstance(listed, list):
        wanted = [str(k) for k in listed]
    else:
        return KINDS
    unknown = [k for k in wanted if k not in KINDS]
    if unknown:
        raise ValueError(f"unknown report kinds in expected_kinds: {', '.join(unknown)}")
    return tuple(k for k in KINDS if k in wanted)
