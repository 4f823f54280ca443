"""Changing one's own password: any role, the current password checked and throttled.

The current password is checked through the sign-in limiter (`services/intake/ratelimit.py`),
so a signed-in browser left open cannot be used to guess it faster than the sign-in
form allows. The change records `Account.PasswordChanged`: the account's other web
sessions and its bearer tokens carry the old password stamp and stop working.
"""

from __future__ import annotations

import structlog
from eventsourcing.persistence import IntegrityError

from domain.account import Account
from domain.errors import Conflict, DomainError, InvalidInput, Unauthenticated
from services.common.store import Store
from services.intake.directory import AccountView, Directory
from services.intake.passwords import hash_password, verify_password
from services.intake.ratelimit import SignInLimiter
from services.intake.service import MAX_PASSWORD

log = structlog.get_logger(__name__)

MIN_PASSWORD = 10


def _invalid(code: str, field: str, message: str, message_vi: str) -> InvalidInput:
    return InvalidInput(code, message, message_vi, field)


def check_new_password(current: str, new: str, repeated: str) -> None:
    """The rules that need no stored password: refused before the current one is tried,
    so that a typo in the new one never counts as a failed sign-in."""
    if not current:
        raise _invalid("missing_password", "current_password", "current_password is required",
                       "Vui lòng nhập mật khẩu hiện tại.")
    if len(new) < MIN_PASSWORD:
        raise _invalid("password_too_short", "new_password",
                       f"new_password must have at least {MIN_PASSWORD} characters",
                       f"Mật khẩu mới phải có ít nhất {MIN_PASSWORD} ký tự.")
    if len(new) > MAX_PASSWORD:
        raise _invalid("password_too_long", "new_password",
                       f"new_password must have at most {MAX_PASSWORD} characters",
                       f"Mật khẩu mới không được dài quá {MAX_PASSWORD} ký tự.")
    if repeated != new:
        raise _invalid("passwords_differ", "new_password_repeat",
                       "the repeated new password differs",
                       "Hai lần nhập mật khẩu mới không giống nhau. Vui lòng nhập lại.")
    if new == current:
        raise _invalid("password_unchanged", "new_password",
                       "the new password equals the current one",
                       "Mật khẩu mới phải khác mật khẩu hiện tại.")


class PasswordChange:
    def __init__(self, store: Store, directory: Directory, limiter: SignInLimiter):
        self.store = store
        self.directory = directory
        self.limiter = limiter

    def change(self, acting: AccountView, current: str, new: str, repeated: str,
               client: str | None = None) -> AccountView:
        """Record the new password's hash; returns the account as it now is.

        Refuses with a `DomainError` naming the field, recording nothing: the rules of
        `check_new_password`, then a wrong current password (422, counted by the
        limiter for the username and `client`) or too many of them (429)."""
        check_new_password(current, new, repeated)
        try:
            attempt = self.limiter.admit(acting.username, client)
        except DomainError:
            log.warning("password_change_throttled", account_id=str(acting.id), client=client)
            raise
        account: Account = self.store.repository.get(acting.id)
        if not account.active:
            raise Unauthenticated("account_disabled", "the account is disabled",
                                  "Tài khoản đã bị khoá.")
        if len(current) > MAX_PASSWORD or not verify_password(account.password_hash, current):
            log.info("password_change_refused", account_id=str(acting.id))
            raise _invalid("wrong_password", "current_password", "wrong current password",
                           "Mật khẩu hiện tại không đúng.")
        self.limiter.succeeded(acting.username, client, attempt)
        account.change_password(password_hash=hash_password(new))
        try:
            self.store.save(account)
        except IntegrityError:  # changed meanwhile, by another browser or an admin's reset
            raise Conflict("password_changed_meanwhile", "the password changed meanwhile",
                           "Mật khẩu của tài khoản vừa được đổi ở nơi khác. Vui lòng đăng "
                           "nhập lại.") from None
        self.directory.refresh()
        log.info("password_changed", account_id=str(acting.id))
        changed = self.directory.account(acting.id)
        assert changed is not None
        return changed
