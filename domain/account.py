"""Accounts: who may sign in, in which role, for which unit or cadre."""

from __future__ import annotations

from enum import StrEnum
from typing import Any
from uuid import UUID

from eventsourcing.domain import Aggregate, event

from domain.ids import account_id


class Role(StrEnum):
    """What an account may do (domain/access.py); the values are what events carry."""

    CADRE = "cadre"
    LEADER = "leader"
    AUDITOR = "auditor"
    ADMIN = "admin"


ROLES: tuple[str, ...] = tuple(Role)


class Account(Aggregate):
    @staticmethod
    def create_id(username: str, **_: Any) -> UUID:
        return account_id(username)

    class Opened(Aggregate.Created):
        """Version 2 carries `must_change_password`; version 1 accounts were opened before
        the rule, so they read back without it."""

        username: str
        name: str
        role: str
        unit_id: str | None
        cadre_id: str | None
        password_hash: str
        must_change_password: bool
        class_version = 2

        @staticmethod
        def upcast_v1_v2(state: dict[str, Any]) -> None:
            state["must_change_password"] = False

    @event(Opened)
    def __init__(
        self,
        username: str,
        name: str,
        role: str,
        unit_id: str | None,
        cadre_id: str | None,
        password_hash: str,
        must_change_password: bool,
    ) -> None:
        """`must_change_password`: the password was set by someone other than its owner
        (an admin, a plan file), who must replace it at first sign-in."""
        if role not in ROLES:
            raise ValueError(f"unknown role {role!r}")
        self.username = username
        self.name = name
        self.role = role
        self.unit_id = unit_id
        self.cadre_id = cadre_id
        self.password_hash = password_hash
        self.must_change_password = must_change_password
        self.active = True

    @event("Updated")
    def update(self, name: str, role: str, unit_id: str | None, cadre_id: str | None) -> None:
        if role not in ROLES:
            raise ValueError(f"unknown role {role!r}")
        self.name = name
        self.role = role
        self.unit_id = unit_id
        self.cadre_id = cadre_id

    @event("PasswordChanged")
    def change_password(self, password_hash: str) -> None:
        """The owner's own change: the password is theirs alone now."""
        self.password_hash = password_hash
        self.must_change_password = False

    @event("PasswordReset")
    def reset_password(self, password_hash: str) -> None:
        """Someone else (an admin) set it: its owner must change it at next sign-in."""
        self.password_hash = password_hash
        self.must_change_password = True

    @event("Disabled")
    def disable(self) -> None:
        self.active = False

    @event("Enabled")
    def enable(self) -> None:
        self.active = True
