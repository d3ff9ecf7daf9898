"""Sending email: one interface (`send_mail(OutgoingMail)`) with backends chosen by `MAIL_BACKEND`.

Backends are registered by name with `@register_backend`; an unknown name fails when the app starts,
never when a citizen presses a button. A message is a plain value (recipient, subject, text body,
attachments) so that a GOV.UK Notify backend, which sends a template with personalisation rather than
a MIME message, can be added beside SMTP without changing the callers.
"""

from __future__ import annotations

import logging
import os
import secrets
import smtplib
import ssl
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid, parseaddr
from pathlib import Path
from typing import Any, Protocol

from flask import Flask, current_app

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Attachment:
    """A file sent with a message, such as a PDF receipt."""

    filename: str
    content: bytes
    content_type: str = "application/octet-stream"


@dataclass(frozen=True)
class OutgoingMail:
    """One email to one person.

    `template` and `personalisation` name what the message is and the values in it: unused by the
    outbox and SMTP backends, which send `subject` and `body` as they are, but what a GOV.UK Notify
    backend needs to pick its own template.
    """

    to: str
    subject: str
    body: str
    attachments: tuple[Attachment, ...] = ()
    reply_to: str | None = None
    template: str | None = None
    personalisation: Mapping[str, str] = field(default_factory=dict)


class MailError(Exception):
    """A message could not be sent (server unreachable, refused, timed out)."""


class MailBackend(Protocol):
    def send(self, message: OutgoingMail) -> None:
        """Send `message` or raise MailError."""


BackendFactory = Callable[[Mapping[str, Any]], MailBackend]
#: Backends by the name used in MAIL_BACKEND.
BACKENDS: dict[str, BackendFactory] = {}


def register_backend(name: str) -> Callable[[BackendFactory], BackendFactory]:
    def register(factory: BackendFactory) -> BackendFactory:
        BACKENDS[name] = factory
        return factory

    return register


def build_message(message: OutgoingMail, sender: str) -> EmailMessage:
    """The RFC 5322 message for `message`: a plain-text body and any attachments."""
    email = EmailMessage()
    email["From"] = sender
    email["To"] = message.to
    if message.reply_to:
        email["Reply-To"] = message.reply_to
    # Header values come partly from form definitions: never let a line break start a new header.
    email["Subject"] = " ".join(message.subject.split())
    email["Date"] = format_datetime(datetime.now(UTC))
    email["Message-ID"] = make_msgid(domain=_domain_of(sender))
    email.set_content(message.body)
    for attachment in message.attachments:
        maintype, _, subtype = attachment.content_type.partition("/")
        email.add_attachment(
            attachment.content,
            maintype=maintype,
            subtype=subtype or "octet-stream",
            filename=attachment.filename,
        )
    return email


def _domain_of(sender: str) -> str:
    return parseaddr(sender)[1].rpartition("@")[2] or "localhost"


@dataclass
class OutboxBackend:
    """Development: each message written to a folder as an .eml file (open it in any mail program)."""

    folder: Path
    sender: str

    def send(self, message: OutgoingMail) -> None:
        email = build_message(message, self.sender)
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
            path = self.folder / f"{stamp}-{secrets.token_hex(4)}.eml"
            partial = path.with_suffix(".part")
            partial.write_bytes(email.as_bytes())
            os.replace(partial, path)  # a reader never sees half a message
        except OSError as exc:
            raise MailError(f"could not write to the outbox {self.folder}: {exc}") from exc
        log.info("mail: wrote %s to the outbox %s", message.template or "message", path)


@dataclass
class MemoryBackend:
    """Keeps messages in a list (tests, or a development server whose mail nobody reads)."""

    sender: str
    sent: list[EmailMessage] = field(default_factory=list)

    def send(self, message: OutgoingMail) -> None:
        self.sent.append(build_message(message, self.sender))


@dataclass
class SmtpBackend:
    """An SMTP server (a relay such as Postfix, or a provider's submission port)."""

    host: str
    port: int
    sender: str
    use_starttls: bool = False
    username: str | None = None
    password: str | None = None
    timeout: float = 10.0

    def send(self, message: OutgoingMail) -> None:
        email = build_message(message, self.sender)
        try:
            with smtplib.SMTP(self.host, self.port, timeout=self.timeout) as smtp:
                if self.use_starttls:
                    smtp.starttls(context=ssl.create_default_context())
                if self.username:
                    smtp.login(self.username, self.password or "")
                smtp.send_message(email)
        except (OSError, smtplib.SMTPException) as exc:  # socket errors and timeouts are OSErrors
            raise MailError(f"SMTP {self.host}:{self.port}: {exc}") from exc
        log.info("mail: sent %s through %s:%s", message.template or "message", self.host, self.port)


@register_backend("outbox")
def _outbox(config: Mapping[str, Any]) -> MailBackend:
    return OutboxBackend(Path(config["MAIL_OUTBOX_DIR"]), config["MAIL_FROM"])


@register_backend("memory")
def _memory(config: Mapping[str, Any]) -> MailBackend:
    return MemoryBackend(config["MAIL_FROM"])


@register_backend("smtp")
def _smtp(config: Mapping[str, Any]) -> MailBackend:
    return SmtpBackend(
        host=config["MAIL_HOST"],
        port=int(config["MAIL_PORT"]),
        sender=config["MAIL_FROM"],
        use_starttls=bool(config["MAIL_USE_STARTTLS"]),
        username=config.get("MAIL_USERNAME") or None,
        password=config.get("MAIL_PASSWORD") or None,
        timeout=float(config["MAIL_TIMEOUT"]),
    )


def backend_from_config(config: Mapping[str, Any]) -> MailBackend:
    """The backend MAIL_BACKEND names, configured from the other MAIL_ settings."""
    name = config["MAIL_BACKEND"]
    factory = BACKENDS.get(name)
    if factory is None:
        raise ValueError(f"MAIL_BACKEND {name!r} is not one of {', '.join(sorted(BACKENDS))}")
    return factory(config)


def mail_backend(app: Flask | None = None) -> MailBackend:
    """The app's mail backend."""
    backend: MailBackend = (app or current_app).extensions["forms_engine.mail"]
    return backend


def send_mail(message: OutgoingMail) -> None:
    """Send `message` with the current app's backend; raises MailError when it cannot."""
    mail_backend().send(message)


def init_app(app: Flask) -> None:
    app.extensions["forms_engine.mail"] = backend_from_config(app.config)
