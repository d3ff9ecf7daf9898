"""Sending email: one interface (`send_mail(OutgoingMail)`) with backends chosen by `MAIL_BACKEND`.

Backends are registered by name with `@register_backend`; an unknown name (or a backend's own settings
that cannot work) fails when the app starts, never when a citizen presses a button. A message is a
plain value (recipient, subject, text body, attachments, and the name of the message with the values
in it) so that the outbox and SMTP backends can send it as MIME and the GOV.UK Notify backend as one of
the service's templates with personalisation.
"""

from __future__ import annotations

import io
import json
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
from uuid import UUID

import requests
from flask import Flask, current_app
from notifications_python_client import prepare_upload
from notifications_python_client.errors import HTTPError, InvalidResponse
from notifications_python_client.notifications import NotificationsAPIClient

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
    """A message could not be sent (server unreachable, refused, timed out).

    `permanent` when sending it again cannot help (the server refused the recipient or the message
    itself): the delivery worker then dead-letters the job at once instead of retrying for a day.
    """

    def __init__(self, message: str, permanent: bool = False):
        super().__init__(message)
        self.permanent = permanent


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
        except smtplib.SMTPRecipientsRefused as exc:
            codes = [code for code, _ in exc.recipients.values()]
            raise MailError(
                f"SMTP {self.host}:{self.port}: recipient refused: {exc}", permanent=min(codes) >= 500
            ) from exc
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


#: The engine's messages (`OutgoingMail.template`) and the personalisation each one carries: what a
#: GOV.UK Notify template for it may use as ((placeholders)), besides its files (see NotifyBackend).
ENGINE_MESSAGES: dict[str, tuple[str, ...]] = {
    "save-return-link": ("form", "url", "expires"),
    "submission-confirmation": ("reference", "form", "what_happens_next", "contact"),
    "submission-to-team": ("reference", "form", "submitted_at"),
}

#: Notify sends a file as a link to download it, and only files of these types (content type to the
#: extension its name must end with) of at most NOTIFY_FILE_SIZE_LIMIT bytes.
NOTIFY_FILE_TYPES: dict[str, str] = {
    "application/pdf": "pdf",
    "text/csv": "csv",
    "text/plain": "txt",
    "application/msword": "doc",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": "docx",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": "xlsx",
    "application/vnd.oasis.opendocument.text": "odt",
    "application/rtf": "rtf",
    "text/rtf": "rtf",
}
NOTIFY_FILE_SIZE_LIMIT = 2 * 1024 * 1024


def notify_file_key(number: int) -> str:
    """The personalisation key of a message's `number`th attachment (from 1) for Notify."""
    return f"link_to_file_{number}"


@dataclass
class NotifyBackend:
    """GOV.UK Notify, through its official client: each message is sent as the Notify template that
    NOTIFY_TEMPLATES names for `message.template`, with `message.personalisation`.

    Notify writes its own subject and text, so `subject`, `body` and `reply_to` are not sent. The
    attachments go in as files to download, under the keys `link_to_file_1`, `link_to_file_2`, … in
    their order; a personalisation "reference" is also Notify's reference for the message.
    """

    api_key: str = field(repr=False)
    templates: Mapping[str, str]
    base_url: str | None = None
    timeout: float = 10.0

    def send(self, message: OutgoingMail) -> None:
        if not message.template:
            raise MailError("GOV.UK Notify: the message has no name (template) to pick a Notify template by")
        template_id = self.templates.get(message.template)
        if template_id is None:
            raise MailError(
                f"GOV.UK Notify: no template id for the message {message.template!r}: "
                "add it to NOTIFY_TEMPLATES"
            )
        personalisation: dict[str, Any] = dict(message.personalisation)
        for number, attachment in enumerate(message.attachments, start=1):
            key = notify_file_key(number)
            if key in personalisation:
                raise MailError(f"GOV.UK Notify: personalisation {key!r} is reserved for attachment {number}")
            personalisation[key] = notify_upload(attachment)
        # A new client (and so a new HTTP session) per message: the client is not thread-safe, and a
        # closed session leaves no socket behind.
        client = NotificationsAPIClient(self.api_key, **self._client_options())
        try:
            response = client.send_email_notification(
                email_address=message.to,
                template_id=template_id,
                personalisation=personalisation or None,
                reference=message.personalisation.get("reference") or None,
            )
        except InvalidResponse as exc:
            raise MailError(f"GOV.UK Notify: {exc.status_code} without the JSON answer expected") from exc
        except HTTPError as exc:
            status = exc.response.status_code if exc.response is not None else None
            # Notify refusing the request itself (bad address, template, key) will refuse it again.
            permanent = status is not None and 400 <= status < 500 and status != 429
            raise MailError(self._describe(exc), permanent=permanent) from exc
        finally:
            client.request_session.close()
        log.info(
            "mail: sent %s through GOV.UK Notify as notification %s",
            message.template,
            response.get("id") if isinstance(response, dict) else None,
        )

    def _client_options(self) -> dict[str, Any]:
        options: dict[str, Any] = {"timeout": self.timeout}
        if self.base_url:
            options["base_url"] = self.base_url
        return options

    def _describe(self, error: HTTPError) -> str:
        """What went wrong, from Notify's answer, or from the connection when there was none."""
        cause = error.__cause__
        if error.response is None:
            where = f"GOV.UK Notify ({self.base_url})" if self.base_url else "GOV.UK Notify"
            if isinstance(cause, requests.Timeout):
                return f"{where}: no answer within {self.timeout:g} seconds"
            return f"{where}: could not connect: {cause}"
        try:
            body = error.response.json()
        except ValueError:
            body = None
        if isinstance(body, dict) and isinstance(body.get("errors"), list):
            detail = "; ".join(
                f"{e.get('error')}: {e.get('message')}" if isinstance(e, dict) else str(e)
                for e in body["errors"]
            )
        elif isinstance(body, dict) and body.get("message"):
            detail = str(body["message"])
        else:
            detail = " ".join(error.response.text.split())[:200] or str(error.response.reason)
        return f"GOV.UK Notify answered {error.response.status_code}: {detail}"


def notify_upload(attachment: Attachment) -> dict[str, Any]:
    """`attachment` as Notify takes a file to send by email, or MailError when Notify would refuse it."""
    filename = attachment.filename
    extension = filename.rpartition(".")[2].lower() if "." in filename else ""
    if extension not in NOTIFY_FILE_TYPES.values():
        content_type = attachment.content_type.partition(";")[0].strip().lower()
        if content_type not in NOTIFY_FILE_TYPES:
            allowed = ", ".join(sorted({e.upper() for e in NOTIFY_FILE_TYPES.values()}))
            raise MailError(
                f"GOV.UK Notify cannot send the attachment {filename!r} ({attachment.content_type}): "
                f"it sends only files of these types: {allowed}",
                permanent=True,
            )
        # Notify shows the name to the recipient and needs the extension to serve the file.
        filename = f"{filename}.{NOTIFY_FILE_TYPES[content_type]}"
    if len(attachment.content) > NOTIFY_FILE_SIZE_LIMIT:
        raise MailError(
            f"GOV.UK Notify cannot send the attachment {filename!r}: it is {len(attachment.content):,} "
            f"bytes, and Notify sends files of at most 2MB ({NOTIFY_FILE_SIZE_LIMIT:,} bytes)",
            permanent=True,
        )
    try:
        upload: dict[str, Any] = prepare_upload(io.BytesIO(attachment.content), filename=filename)
    except ValueError as exc:  # the client's own size check
        raise MailError(f"GOV.UK Notify cannot send the attachment {filename!r}: {exc}") from exc
    return upload


@register_backend("notify")
def _notify(config: Mapping[str, Any]) -> MailBackend:
    return NotifyBackend(
        api_key=_notify_api_key(config.get("NOTIFY_API_KEY")),
        templates=_notify_templates(config.get("NOTIFY_TEMPLATES")),
        base_url=_notify_base_url(config.get("NOTIFY_BASE_URL")),
        timeout=float(config["MAIL_TIMEOUT"]),
    )


def _notify_base_url(url: object) -> str | None:
    """NOTIFY_BASE_URL when set (else the client's own default, GOV.UK Notify)."""
    if not url:
        return None
    if not isinstance(url, str) or not url.startswith(("https://", "http://")):
        raise ValueError(f"NOTIFY_BASE_URL must start with https:// (or http://): {url!r}")
    return url


def _notify_api_key(key: object) -> str:
    """The key, checked for the form Notify gives it: `{key name}-{service id}-{secret}` (two UUIDs)."""
    if not key or not isinstance(key, str):
        raise ValueError("MAIL_BACKEND 'notify' needs NOTIFY_API_KEY")
    key = key.strip()
    # The client takes the service id and the secret from fixed places at the end.
    service_id, secret = key[-73:-37], key[-36:]
    named = len(key) > 74 and key[-74] == "-"
    if not ((named or len(key) == 73) and key[-37] == "-" and _is_uuid(service_id) and _is_uuid(secret)):
        raise ValueError(
            "NOTIFY_API_KEY is not a GOV.UK Notify API key (`{key name}-{service id}-{secret}`, "
            "the last two UUIDs): copy the whole key from Notify's API integration page"
        )
    return key


def _notify_templates(setting: object) -> dict[str, str]:
    """NOTIFY_TEMPLATES, a JSON object (or a mapping, from code) of message names to template ids."""
    if isinstance(setting, Mapping):
        templates: object = dict(setting)
    else:
        try:
            templates = json.loads(str(setting or "{}"))
        except json.JSONDecodeError as exc:
            raise ValueError(f"NOTIFY_TEMPLATES is not valid JSON: {exc}") from exc
    if not isinstance(templates, dict):
        raise ValueError(
            'NOTIFY_TEMPLATES must be a JSON object such as {"save-return-link": "<template id>"}'
        )
    for name, template_id in templates.items():
        if not isinstance(template_id, str) or not _is_uuid(template_id):
            raise ValueError(f"NOTIFY_TEMPLATES: the template id for {name!r} is not a UUID: {template_id!r}")
    unknown = sorted(set(templates) - set(ENGINE_MESSAGES))
    if unknown:
        log.warning(
            "mail: NOTIFY_TEMPLATES names messages the engine does not send: %s (it sends %s)",
            ", ".join(unknown),
            ", ".join(ENGINE_MESSAGES),
        )
    return templates


def _is_uuid(value: str) -> bool:
    try:
        return str(UUID(value)) == value.lower()
    except ValueError:
        return False


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
