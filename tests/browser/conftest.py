"""Browser fixtures: the intake with its web pages under uvicorn in-process, and Debian's Chromium.

The server runs on a free port with a FixedClock (Thursday of 2026-W48, 10:00 Vietnam
time) over the two-level plan; Playwright drives /usr/bin/chromium and never downloads
a browser of its own.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn

from domain.clock import FixedClock
from services.common.natsd import EmbeddedNats, free_port
from services.common.settings import Settings
from services.intake.api import create_app
from services.intake.bootstrap import Runtime, bootstrap
from tests.integration.conftest import (  # noqa: F401 - fixtures, imported to be used here
    PASSWORD,
    THURSDAY_MORNING,
    home,
    loaded_store_file,
)

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                 "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]
PHONE = {"width": 360, "height": 740}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    here = Path(__file__).parent
    reason = None
    if not CHROMIUM.exists():
        reason = f"{CHROMIUM} is missing: apt-get install -y chromium"
    else:
        try:
            import playwright.sync_api  # noqa: F401
        except ImportError:
            reason = "playwright is not installed: pip install -e '.[dev]'"
    for item in items:
        if reason and here in Path(str(item.fspath)).parents:
            item.add_marker(pytest.mark.skip(reason=reason))


@dataclass
class Served:
    url: str
    clock: FixedClock
    runtime: Runtime

    def api(self, method: str, path: str, token: str | None = None,
            **kwargs: Any) -> httpx.Response:
        headers = dict(kwargs.pop("headers", {}))
        if token:
            headers["Authorization"] = f"Bearer {token}"
        return httpx.request(method, f"{self.url}{path}", headers=headers, timeout=30, **kwargs)

    def token(self, username: str, password: str = PASSWORD) -> str:
        resp = self.api("POST", "/api/v1/auth/token",
                        json={"username": username, "password": password})
        assert resp.status_code == 200, resp.text
        return str(resp.json()["access_token"])


@pytest.fixture
def served(home: Path, nats_server: EmbeddedNats) -> Iterator[Served]:  # noqa: F811
    clock = FixedClock(THURSDAY_MORNING)
    runtime = bootstrap(Settings(home=home, nats_url=nats_server.url), clock=clock)
    app = create_app(runtime)
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, lifespan="on",
                                           log_config=None, access_log=False, ws="none"))
    thread = threading.Thread(target=server.run, name="uvicorn", daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.05)
    notifier = _NotifierThread(home, nats_server.url, clock)
    try:
        yield Served(f"http://127.0.0.1:{port}", clock, runtime)
    finally:
        notifier.close()
        server.should_exit = True
        thread.join(timeout=30)


class _NotifierThread:
    """The notifier, in-process on its own event loop, on the same clock as the site."""

    def __init__(self, state: Path, nats_url: str, clock: FixedClock):
        import asyncio

        from services.notifier.bootstrap import bootstrap as notifier_bootstrap
        from services.notifier.settings import NotifierSettings

        self._runtime = notifier_bootstrap(
            NotifierSettings(home=state, nats_url=nats_url, tick_seconds=0.1), clock=clock)
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="notifier",
                                        daemon=True)
        self._thread.start()
        asyncio.run_coroutine_threadsafe(self._runtime.start(), self._loop).result(timeout=30)

    def close(self) -> None:
        import asyncio

        asyncio.run_coroutine_threadsafe(self._runtime.stop(), self._loop).result(timeout=30)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=30)
        self._loop.close()


# Per module, not per session: Playwright's sync API keeps an event loop running while it
# is open, and the async tests of other modules cannot run beside it.
@pytest.fixture(scope="module")
def chromium() -> Iterator[Any]:
    """Debian's Chromium, headless, launched through Playwright."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True,
                                             args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture
def phone(chromium: Any, served: Served) -> Iterator[Any]:
    """A new phone-sized page (360×740, Vietnamese, Vietnam time) on the served site."""
    context = chromium.new_context(viewport=PHONE, locale="vi-VN",
                                   timezone_id="Asia/Ho_Chi_Minh", base_url=served.url)
    context.set_default_timeout(15_000)
    try:
        page = context.new_page()
        # The phone's clock reads the site's (FixedClock) time: device_time is refused more
        # than 5 minutes ahead of the server's, and the site's time is in the past.
        page.clock.install(time=served.clock.now())
        yield page
    finally:
        context.close()


def shot(page: Any, name: str) -> Path:
    """A full-page screenshot kept in test-artifacts/."""
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def no_horizontal_scroll(page: Any) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"{page.url} scrolls sideways: {width}px wide"


def sign_in(page: Any, username: str, password: str = PASSWORD) -> None:
    page.goto("/")
    page.get_by_label("Tên đăng nhập").fill(username)
    page.get_by_label("Mật khẩu").fill(password)
    page.get_by_role("button", name="Đăng nhập").click()
    page.wait_for_load_state()
