"""A signed-in browser for the web pages, over the ASGI app, with its own cookie jar."""

from __future__ import annotations

import re
from dataclasses import dataclass

import httpx
from fastapi import FastAPI

from services.intake.api import create_app
from tests.integration.conftest import OWN_PASSWORD, PASSWORD, System

_TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')
_KEY = re.compile(r'name="idempotency_key" value="([^"]+)"')


def csrf_of(html: str) -> str:
    match = _TOKEN.search(html)
    assert match, "no csrf_token in the page"
    return match[1]


def key_of(html: str) -> str:
    match = _KEY.search(html)
    assert match, "no idempotency_key in the page"
    return match[1]


@dataclass
class Browser:
    client: httpx.AsyncClient
    app: FastAPI

    async def get(self, url: str) -> httpx.Response:
        return await self.client.get(url)

    async def post_form(self, url: str, page_url: str, **fields: str) -> httpx.Response:
        """Open the page, then post its form with its CSRF token and idempotency key."""
        page = await self.client.get(page_url)
        assert page.status_code == 200, page.text
        data = {"csrf_token": csrf_of(page.text)}
        if 'name="idempotency_key"' in page.text:
            data["idempotency_key"] = key_of(page.text)
        data.update(fields)
        return await self.client.post(url, data=data)

    async def login(self, username: str, password: str = PASSWORD) -> httpx.Response:
        page = await self.client.get("/dang-nhap")
        return await self.client.post("/dang-nhap", data={
            "csrf_token": csrf_of(page.text), "username": username, "password": password})

    async def aclose(self) -> None:
        await self.client.aclose()


def browser(system: System, base_url: str = "http://intake") -> Browser:
    """A fresh client on its own app instance over the same runtime (shared sessions file)."""
    app = create_app(system.runtime)
    return Browser(httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=base_url),
                   app)


async def signed_in(system: System, username: str, password: str = PASSWORD) -> Browser:
    """A browser signed in as `username`."""
    b = browser(system)
    resp = await b.login(username, password)
    assert resp.status_code == 303, resp.text
    return b


async def signed_in_own(system: System, username: str, issued: str,
                        new: str = OWN_PASSWORD) -> Browser:
    """A browser signed in as `username`, whose password someone else set (`issued`), once it
    was made to change it at first sign-in."""
    b = browser(system)
    resp = await b.login(username, issued)
    assert resp.status_code == 303 and resp.headers["location"] == "/doi-mat-khau", resp.text
    changed = await b.post_form("/doi-mat-khau", "/doi-mat-khau", current_password=issued,
                                new_password=new, new_password_repeat=new)
    assert changed.status_code == 303, changed.text
    return b
