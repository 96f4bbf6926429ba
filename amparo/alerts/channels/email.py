"""Email over SMTP, one message per recipient (recipients never see each other)."""

from __future__ import annotations

import smtplib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

from amparo.alerts.channels import DeliveryResult


@dataclass(frozen=True)
class SmtpSettings:
    host: str = "127.0.0.1"
    port: int = 25
    username: str = ""
    password: str = ""
    use_tls: bool = False
    timeout: float = 20.0
    from_address: str = "amparo@localhost"


def build_message(
    *, to: str, subject: str, body: str, from_address: str, unsubscribe_url: str = ""
) -> EmailMessage:
    message = EmailMessage()
    message["From"] = from_address
    message["To"] = to
    message["Subject"] = subject
    message["Date"] = formatdate(localtime=False)
    message["Message-ID"] = make_msgid(domain=from_address.rpartition("@")[2] or "localhost")
    if unsubscribe_url:
        # RFC 8058 one-click unsubscribe: mail clients show an "unsubscribe" button.
        message["List-Unsubscribe"] = f"<{unsubscribe_url}>"
        message["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    message.set_content(body)
    return message


def send(
    *,
    to: str,
    subject: str,
    body: str,
    settings: SmtpSettings,
    unsubscribe_url: str = "",
    connection: smtplib.SMTP | None = None,
) -> DeliveryResult:
    """Send one message. Pass an open ``connection`` to reuse it across a batch."""
    if "\n" in to or "\r" in to or "@" not in to:
        return DeliveryResult.failed("invalid address", permanent=True)
    message = build_message(
        to=to,
        subject=subject,
        body=body,
        from_address=settings.from_address,
        unsubscribe_url=unsubscribe_url,
    )
    try:
        if connection is not None:
            connection.send_message(message)
            return DeliveryResult.sent()
        with open_connection(settings) as smtp:
            smtp.send_message(message)
        return DeliveryResult.sent()
    except smtplib.SMTPRecipientsRefused:
        return DeliveryResult.failed("recipient refused", permanent=True)
    except smtplib.SMTPResponseException as exc:
        return DeliveryResult.failed(f"smtp {exc.smtp_code}", permanent=500 <= exc.smtp_code < 600)
    except (smtplib.SMTPException, OSError) as exc:
        return DeliveryResult.failed(f"smtp error: {type(exc).__name__}")


def open_connection(settings: SmtpSettings) -> smtplib.SMTP:
    smtp = smtplib.SMTP(settings.host, settings.port, timeout=settings.timeout)
    if settings.use_tls:
        smtp.starttls(context=ssl.create_default_context())
    if settings.username:
        smtp.login(settings.username, settings.password)
    return smtp
