"""The webhook: a JSON POST signed with HMAC-SHA256, the bridge to Zalo OA or an SMS gateway.

Headers: ``X-Tinhhinh-Delivery`` (the delivery id: the same on every retry, so the
receiver drops repeats) and ``X-Tinhhinh-Signature: sha256=<hex>``, the HMAC of the
raw body under the shared secret (docs/notifier.md shows how to check it).
"""

from __future__ import annotations

import hashlib
import hmac
import json

import httpx

from domain.delivery import Delivery
from services.notifier.channel import Rejected
from services.notifier.render import render

DELIVERY_HEADER = "X-Tinhhinh-Delivery"
SIGNATURE_HEADER = "X-Tinhhinh-Signature"


def sign(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def body(delivery: Delivery) -> bytes:
    rendered = render(delivery.payload)
    return json.dumps({
        "v": 1,
        "delivery_id": str(delivery.id),
        "account_id": delivery.account_id,
        "username": delivery.payload.get("username"),
        "subject": rendered.subject,
        "text": rendered.text,
        "items": delivery.payload.get("items", []),
        "queued_at": delivery.queued_at.isoformat(),
    }, ensure_ascii=False, separators=(",", ":")).encode()


class WebhookSender:
    def __init__(self, url: str, secret: str, client: httpx.AsyncClient) -> None:
        self.url = url
        self.secret = secret
        self.client = client

    async def send(self, delivery: Delivery) -> None:
        data = body(delivery)
        response = await self.client.post(self.url, content=data, headers={
            "Content-Type": "application/json; charset=utf-8",
            DELIVERY_HEADER: str(delivery.id),
            SIGNATURE_HEADER: sign(self.secret, data),
        })
        # 408 and 429 say "later"; any other 4xx says the request itself is wrong.
        if 400 <= response.status_code < 500 and response.status_code not in (408, 429):
            raise Rejected(f"webhook answered {response.status_code}")
        response.raise_for_status()
