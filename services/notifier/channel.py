"""What every channel's sender is: send one delivery, or say why not."""

from __future__ import annotations

from typing import Protocol

from domain.delivery import Delivery


class Rejected(Exception):
    """The channel refused this message for good (a bad address, a 4xx): do not retry it."""


class Sender(Protocol):
    async def send(self, delivery: Delivery) -> None:
        """Hand the delivery to the channel; raise Rejected, or any error to retry later."""
        ...
