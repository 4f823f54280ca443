"""E-mail over SMTP: one message per delivery, its Message-ID made of the delivery id."""

from __future__ import annotations

import asyncio
import smtplib
from email.message import EmailMessage
from email.utils import format_datetime

from domain.delivery import Delivery
from services.notifier.channel import Rejected
from services.notifier.render import render
from services.notifier.settings import Channels

DELIVERY_HEADER = "X-Tinhhinh-Delivery"


def compose(delivery: Delivery, sender: str) -> EmailMessage:
    """The same delivery always makes the same message, so a receiver can drop a resend."""
    rendered = render(delivery.payload)
    msg = EmailMessage()
    msg["Subject"] = rendered.subject
    msg["From"] = sender
    msg["To"] = str(delivery.payload["to"])
    msg["Date"] = format_datetime(delivery.queued_at)
    msg["Message-ID"] = f"<{delivery.id}@tinhhinh>"
    msg[DELIVERY_HEADER] = str(delivery.id)
    msg.set_content(rendered.text)
    msg.add_alternative(rendered.html, subtype="html")
    return msg


class SmtpSender:
    def __init__(self, channels: Channels, timeout: float = 10.0) -> None:
        if channels.smtp_host is None:
            raise ValueError("SmtpSender needs an SMTP host")
        self.channels = channels
        self.timeout = timeout

    async def send(self, delivery: Delivery) -> None:
        msg = compose(delivery, self.channels.smtp_from)
        await asyncio.to_thread(self._send, msg)

    def _send(self, msg: EmailMessage) -> None:
        c = self.channels
        assert c.smtp_host is not None
        try:
            with smtplib.SMTP(c.smtp_host, c.smtp_port, timeout=self.timeout) as smtp:
                if c.smtp_starttls:
                    smtp.starttls()
                if c.smtp_username and c.smtp_password:
                    smtp.login(c.smtp_username, c.smtp_password)
                smtp.send_message(msg)
        except smtplib.SMTPRecipientsRefused as exc:
            raise Rejected(f"recipient refused: {exc.recipients}") from exc
        except smtplib.SMTPResponseException as exc:
            # 5xx is the server's final word; 4xx means try again later.
            if 500 <= exc.smtp_code < 600:
                raise Rejected(f"{exc.smtp_code} {exc.smtp_error!r}") from exc
            raise
