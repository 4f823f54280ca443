"""The intake's door: bodies bounded before they are read, slow bodies cut off, no caching.

An ASGI middleware around the whole app (API and web pages alike), so that every route,
today's and tomorrow's, gets it without asking: a body is refused by its declared
`Content-Length` before a byte of it is read, and while it streams (chunked, or lying
about its length) as soon as it passes the path's limit; a body that does not arrive
within `body_timeout` is answered 408 and the connection closed. Multipart bodies are
accepted only where a file is uploaded (`MULTIPART_PATHS`), and there within the same
bound, so nothing large is ever spooled to disk. Every answer says `Cache-Control:
no-store` unless it says otherwise (the API's answers are personal data).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

import structlog
from prometheus_client import Counter

log = structlog.get_logger(__name__)

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

API_BODY = 64 * 1024  # CONTRACT: request bodies of the API are at most 64 KB
SIGN_IN_BODY = 8 * 1024
FORM_BODY = 512 * 1024  # the report form at its fullest is ~300 KB of UTF-8
PLAN_BODY = 2 * 1024 * 1024  # a plan file uploaded by an administrator
MULTIPART_PATHS = frozenset({"/quan-tri/ke-hoach"})
BODY_TIMEOUT = 10.0  # seconds for a whole body to arrive

DOOR_REFUSALS = Counter("tinhhinh_door_refusals_total", "Bodies refused at the door",
                        ["reason"])


def body_limit(path: str) -> int:
    """The most bytes a request body to `path` may have."""
    if path.startswith("/api/"):
        return API_BODY
    if path == "/dang-nhap":
        return SIGN_IN_BODY
    if path in MULTIPART_PATHS:
        return PLAN_BODY
    return FORM_BODY


class _Refused(Exception):
    """Raised into the app from `receive` once the answer was sent here: it stops reading."""


_ANSWERS: dict[int, tuple[str, str, str]] = {
    413: ("payload_too_large", "The body is larger than {limit} bytes",
          "Nội dung gửi lên quá lớn (tối đa {kb} KB)"),
    408: ("request_timeout", "The body did not arrive within {timeout:.0f} s",
          "Nội dung gửi lên không đến kịp trong {timeout:.0f} giây"),
    415: ("unsupported_media_type", "multipart/form-data is not accepted here",
          "Không nhận tệp đính kèm ở địa chỉ này"),
}


class Doors:
    def __init__(self, app: ASGIApp, *, body_timeout: float = BODY_TIMEOUT):
        self.app = app
        self.body_timeout = body_timeout

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope["path"]
        limit = body_limit(path)
        headers = {k.lower(): v for k, v in scope.get("headers", [])}
        started = False

        async def send_no_store(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                names = {k.lower() for k, _ in message.get("headers", [])}
                if b"cache-control" not in names:
                    message["headers"] = [*message.get("headers", []),
                                          (b"cache-control", b"no-store")]
            await send(message)

        async def refuse(status: int) -> None:
            DOOR_REFUSALS.labels(str(status)).inc()
            log.warning("body_refused", path=path, status=status, limit=limit)
            if not started:
                await send_no_store(_answer(path, status, limit, self.body_timeout))
                await send({"type": "http.response.body", "body": _body(path, status, limit,
                                                                        self.body_timeout)})

        declared = headers.get(b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > limit):
            await refuse(413 if declared.isdigit() else 400)
            return
        content_type = headers.get(b"content-type", b"").lower()
        if content_type.startswith(b"multipart/") and path not in MULTIPART_PATHS:
            await refuse(415)
            return

        received = 0
        done = scope["method"] in ("GET", "HEAD")  # no body is read for these
        deadline = time.monotonic() + self.body_timeout

        async def bounded_receive() -> Message:
            nonlocal received, done
            if done:
                return await receive()
            try:
                message = await asyncio.wait_for(receive(),
                                                 max(0.0, deadline - time.monotonic()))
            except TimeoutError:
                await refuse(408)
                raise _Refused from None
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    await refuse(413)
                    raise _Refused
                done = not message.get("more_body", False)
            return message

        with contextlib.suppress(_Refused):
            await self.app(scope, bounded_receive, send_no_store)


def _answer(path: str, status: int, limit: int, timeout: float) -> Message:
    api = path.startswith("/api/")
    kind = b"application/json" if api else b"text/html; charset=utf-8"
    return {"type": "http.response.start", "status": status,
            "headers": [(b"content-type", kind), (b"connection", b"close")]}


def _body(path: str, status: int, limit: int, timeout: float) -> bytes:
    code, en, vi = _ANSWERS.get(status, ("invalid_body", "The body is malformed",
                                         "Nội dung gửi lên không hợp lệ"))
    values = {"limit": limit, "kb": limit // 1024, "timeout": timeout}
    message, message_vi = en.format(**values), vi.format(**values)
    if path.startswith("/api/"):
        return json.dumps({"error": {"code": code, "message": message, "message_vi": message_vi,
                                     "field": None}}, ensure_ascii=False).encode()
    return (f'<!doctype html><html lang="vi"><meta charset="utf-8"><title>{status}</title>'
            f"<p>{message_vi}</p></html>").encode()
