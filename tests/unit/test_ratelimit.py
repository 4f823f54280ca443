"""Sign-in throttling: five failures in 15 minutes cool a username down; an address has room."""

from __future__ import annotations

import contextlib
import threading
from datetime import UTC, datetime, timedelta

import pytest

from domain.clock import FixedClock
from services.intake.ratelimit import SignInLimiter, TooManyAttempts

T0 = datetime(2026, 11, 26, 3, 0, tzinfo=UTC)
ADDRESS = "203.0.113.7"


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(T0)


@pytest.fixture
def limiter(clock: FixedClock) -> SignInLimiter:
    return SignInLimiter(clock)


def fail(limiter: SignInLimiter, username: str = "cb.a", client: str | None = ADDRESS,
         times: int = 1) -> None:
    for _ in range(times):
        limiter.admit(username, client)  # counted as failed unless `succeeded` follows


def test_five_failures_refuse_the_sixth_attempt_with_the_wait_in_minutes(limiter):
    fail(limiter, times=5)
    with pytest.raises(TooManyAttempts) as refused:
        limiter.admit("cb.a", ADDRESS)
    assert refused.value.status == 429 and refused.value.code == "too_many_attempts"
    assert refused.value.retry_after == 15 * 60
    assert refused.value.message_vi == ("Đăng nhập sai quá nhiều lần. "
                                        "Vui lòng thử lại sau 15 phút.")
    assert refused.value.field is None


def test_four_failures_still_let_the_fifth_attempt_through(limiter, clock):
    fail(limiter, times=4)
    assert limiter.admit("cb.a", ADDRESS) == clock.now()  # admitted: its stamp comes back
    with pytest.raises(TooManyAttempts):  # and it counted: it was the fifth
        limiter.admit("cb.a", ADDRESS)


def test_the_cool_down_ends_after_fifteen_minutes(limiter, clock):
    fail(limiter, times=5)
    clock.advance(timedelta(minutes=14, seconds=30))
    with pytest.raises(TooManyAttempts) as refused:
        limiter.admit("cb.a", ADDRESS)
    assert refused.value.retry_after == 30 and "sau 1 phút" in refused.value.message_vi
    clock.advance(timedelta(seconds=30))
    limiter.admit("cb.a", ADDRESS)


def test_failures_older_than_the_window_no_longer_count(limiter, clock):
    fail(limiter, times=4)
    clock.advance(timedelta(minutes=15, seconds=1))
    fail(limiter, times=4)
    # The fifth within the window (the ninth in all): still admitted, and the limit.
    assert limiter.admit("cb.a", ADDRESS) == clock.now()
    with pytest.raises(TooManyAttempts) as refused:
        limiter.admit("cb.a", ADDRESS)
    assert refused.value.retry_after == 15 * 60


def test_a_success_resets_the_usernames_count(limiter, clock):
    fail(limiter, times=4)
    attempt = limiter.admit("cb.a", ADDRESS)
    limiter.succeeded("cb.a", ADDRESS, attempt)
    fail(limiter, times=4)
    # Nine failures in the window, but only the four since the success count.
    assert limiter.admit("cb.a", ADDRESS) == clock.now()
    with pytest.raises(TooManyAttempts):
        limiter.admit("cb.a", ADDRESS)


def test_failures_from_other_addresses_do_not_lock_the_user_out_of_their_usual_one(limiter):
    # Given cb.a signed in from their usual address before
    limiter.succeeded("cb.a", ADDRESS, limiter.admit("cb.a", ADDRESS))
    # When an attacker fails five times from one address and then from thirty others
    fail(limiter, client="198.51.100.1", times=5)
    with pytest.raises(TooManyAttempts):
        limiter.admit("cb.a", "198.51.100.1")  # that address is locked for cb.a
    for i in range(30):
        with contextlib.suppress(TooManyAttempts):
            limiter.admit("cb.a", f"192.0.2.{i}")
    # Then the username is locked for addresses never seen to sign in as cb.a ...
    with pytest.raises(TooManyAttempts):
        limiter.admit("cb.a", "203.0.113.99")
    # ... but the right password from the usual address still gets through
    limiter.succeeded("cb.a", ADDRESS, limiter.admit("cb.a", ADDRESS))
    limiter.admit("cb.b", "203.0.113.99")  # another username is not affected


def test_five_failures_spread_over_addresses_no_longer_lock_anyone(limiter):
    for i in range(5):
        limiter.admit("cb.a", f"198.51.100.{i}")
    limiter.admit("cb.a", "192.0.2.1")


def test_each_new_lock_lasts_twice_as_long(limiter, clock):
    fail(limiter, times=5)
    clock.advance(timedelta(minutes=15))
    fail(limiter, times=5)
    with pytest.raises(TooManyAttempts) as refused:
        limiter.admit("cb.a", ADDRESS)
    assert refused.value.retry_after == 30 * 60


def test_ten_thousand_junk_usernames_unlock_nothing(limiter):
    fail(limiter, times=5)
    for i in range(10_000):
        with contextlib.suppress(TooManyAttempts):
            limiter.admit(f"junk{i}", None if i % 2 else f"10.0.{i // 256 % 256}.{i % 256}")
    with pytest.raises(TooManyAttempts):
        limiter.admit("cb.a", ADDRESS)


def test_counts_and_locks_survive_a_restart(tmp_path, clock):
    path = tmp_path / "signin.sqlite"
    first = SignInLimiter(clock, path)
    fail(first, times=4)
    first.close()
    again = SignInLimiter(clock, path)
    again.admit("cb.a", ADDRESS)  # the fifth: counted with the four before the restart
    again.close()
    third = SignInLimiter(clock, path)
    with pytest.raises(TooManyAttempts):
        third.admit("cb.a", ADDRESS)


def test_expired_entries_are_forgotten_and_locked_ones_kept(clock):
    limiter = SignInLimiter(clock)
    fail(limiter, times=5)  # locked
    for i in range(500):
        limiter.admit(f"user{i}", None)
    clock.advance(timedelta(minutes=14))
    limiter.prune()
    with pytest.raises(TooManyAttempts):
        limiter.admit("cb.a", ADDRESS)
    clock.advance(timedelta(days=2))
    limiter.prune()
    assert len(limiter) == 0


def test_an_address_guessing_many_usernames_is_refused_after_twenty(limiter):
    for i in range(20):
        limiter.admit(f"user{i}", ADDRESS)
    with pytest.raises(TooManyAttempts):
        limiter.admit("someone.else", ADDRESS)
    limiter.admit("someone.else", "192.0.2.1")  # other addresses are not affected


def test_a_success_does_not_clear_the_address(limiter):
    for i in range(19):
        limiter.admit(f"user{i}", ADDRESS)
    attempt = limiter.admit("valid.user", ADDRESS)
    limiter.succeeded("valid.user", ADDRESS, attempt)  # takes back its own attempt only
    limiter.admit("user19", ADDRESS)
    with pytest.raises(TooManyAttempts):
        limiter.admit("user20", ADDRESS)


def test_attempts_in_flight_count_at_once(limiter):
    # Given eight guesses sent at the same moment, none answered yet (no `succeeded`)
    start = threading.Barrier(8)
    admitted: list[datetime] = []
    refused: list[TooManyAttempts] = []

    def guess() -> None:
        start.wait()
        try:
            admitted.append(limiter.admit("cb.a", None))
        except TooManyAttempts as err:
            refused.append(err)

    threads = [threading.Thread(target=guess) for _ in range(8)]
    # When they all reach the limiter
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=10)
    # Then each counted as it was admitted: five got through, the other three were refused
    assert len(admitted) == 5
    assert [err.retry_after for err in refused] == [15 * 60] * 3


def test_a_fifth_attempt_that_succeeds_unlocks_the_username(limiter, clock):
    fail(limiter, times=4)
    attempt = limiter.admit("cb.a", ADDRESS)  # the fifth locks the username …
    limiter.succeeded("cb.a", ADDRESS, attempt)  # … until it turns out right
    assert limiter.admit("cb.a", ADDRESS) == clock.now()
    fail(limiter, times=3)  # a fresh count: four failures since the success, not nine
    assert limiter.admit("cb.a", ADDRESS) == clock.now()


def test_without_an_address_only_the_username_counts(limiter):
    fail(limiter, client=None, times=5)
    with pytest.raises(TooManyAttempts):
        limiter.admit("cb.a", None)
    limiter.admit("cb.b", None)
