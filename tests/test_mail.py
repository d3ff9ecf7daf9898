"""The mail interface: each backend, against a real SMTP server on 127.0.0.1 where it sends."""

from __future__ import annotations

import email
from collections.abc import Iterator
from email.message import EmailMessage
from email.policy import default as default_policy
from pathlib import Path

import pytest
from flask import Flask

from forms_engine import create_app
from forms_engine.config import TestConfig
from forms_engine.mail import (
    Attachment,
    MailError,
    MemoryBackend,
    OutboxBackend,
    OutgoingMail,
    SmtpBackend,
    backend_from_config,
    mail_backend,
)

from .smtp import SmtpServer, free_port, running_smtp_server

SENDER = "Defra forms <no-reply@forms.example.gov.uk>"
RECEIPT = OutgoingMail(
    to="someone@example.com",
    subject="Your receipt",
    body="Your form was sent.\nKeep this email.",
    attachments=(Attachment("receipt.pdf", b"%PDF-1.7 test", "application/pdf"),),
)


@pytest.fixture
def smtp_server() -> Iterator[SmtpServer]:
    with running_smtp_server() as server:
        yield server


def config(**overrides: object) -> dict[str, object]:
    return {**{k: getattr(TestConfig, k) for k in dir(TestConfig) if k.isupper()}, **overrides}


def test_smtp_sends_the_text_and_attachments_to_the_server(smtp_server: SmtpServer) -> None:
    SmtpBackend("127.0.0.1", smtp_server.port, SENDER, timeout=5).send(RECEIPT)
    assert smtp_server.recipients == [["someone@example.com"]]
    [message] = smtp_server.messages
    assert message["From"] == SENDER
    assert message["To"] == "someone@example.com"
    assert message["Subject"] == "Your receipt"
    assert message["Date"]
    assert message["Message-ID"].endswith("@forms.example.gov.uk>")
    body = message.get_body(("plain",))
    assert body is not None
    assert body.get_content().splitlines() == ["Your form was sent.", "Keep this email."]
    assert [
        (p.get_filename(), p.get_content_type(), p.get_content()) for p in message.iter_attachments()
    ] == [("receipt.pdf", "application/pdf", b"%PDF-1.7 test")]


def test_a_line_break_in_a_subject_cannot_add_a_header(smtp_server: SmtpServer) -> None:
    mail = OutgoingMail(to="someone@example.com", subject="Hello\r\nBcc: victim@example.com", body="Hi")
    SmtpBackend("127.0.0.1", smtp_server.port, SENDER, timeout=5).send(mail)
    [message] = smtp_server.messages
    assert message["Subject"] == "Hello Bcc: victim@example.com"
    assert message["Bcc"] is None
    assert smtp_server.recipients == [["someone@example.com"]]


def test_an_unreachable_smtp_server_raises_mail_error() -> None:
    backend = SmtpBackend("127.0.0.1", free_port(), SENDER, timeout=2)
    with pytest.raises(MailError, match=r"SMTP 127\.0\.0\.1"):
        backend.send(RECEIPT)


def test_starttls_asked_of_a_server_without_it_raises_mail_error_and_sends_nothing(
    smtp_server: SmtpServer,
) -> None:
    backend = SmtpBackend("127.0.0.1", smtp_server.port, SENDER, use_starttls=True, timeout=5)
    with pytest.raises(MailError):
        backend.send(RECEIPT)
    assert smtp_server.messages == []


def test_the_outbox_writes_one_eml_file_per_message(tmp_path: Path) -> None:
    outbox = OutboxBackend(tmp_path / "outbox", SENDER)
    outbox.send(RECEIPT)
    outbox.send(RECEIPT)
    files = sorted((tmp_path / "outbox").iterdir())
    assert [f.suffix for f in files] == [".eml", ".eml"]
    message = email.message_from_bytes(files[0].read_bytes(), policy=default_policy)
    assert isinstance(message, EmailMessage)
    assert message["To"] == "someone@example.com"
    assert [p.get_filename() for p in message.iter_attachments()] == ["receipt.pdf"]


def test_an_outbox_that_cannot_be_written_raises_mail_error(tmp_path: Path) -> None:
    (tmp_path / "a-file").write_text("not a folder")
    with pytest.raises(MailError, match="outbox"):
        OutboxBackend(tmp_path / "a-file" / "outbox", SENDER).send(RECEIPT)


@pytest.mark.parametrize(
    ("name", "kind"), [("outbox", OutboxBackend), ("smtp", SmtpBackend), ("memory", MemoryBackend)]
)
def test_mail_backend_picks_the_backend_from_the_configuration(name: str, kind: type) -> None:
    assert isinstance(backend_from_config(config(MAIL_BACKEND=name)), kind)


def test_the_smtp_backend_takes_every_setting_from_the_configuration() -> None:
    backend = backend_from_config(
        config(
            MAIL_BACKEND="smtp",
            MAIL_HOST="smtp.example.gov.uk",
            MAIL_PORT="587",
            MAIL_USE_STARTTLS=True,
            MAIL_USERNAME="forms",
            MAIL_PASSWORD="secret",
            MAIL_FROM=SENDER,
            MAIL_TIMEOUT=3,
        )
    )
    assert backend == SmtpBackend("smtp.example.gov.uk", 587, SENDER, True, "forms", "secret", 3.0)


def test_an_unknown_mail_backend_fails_when_the_app_starts() -> None:
    with pytest.raises(ValueError, match="MAIL_BACKEND 'pigeon'"):
        create_app(config(MAIL_BACKEND="pigeon"))


def test_the_test_configuration_keeps_mail_in_memory(app: Flask) -> None:
    assert isinstance(mail_backend(app), MemoryBackend)


@pytest.mark.parametrize(
    ("reply", "permanent"), [("550 5.1.1 No such mailbox", True), ("451 4.3.0 Try later", False)]
)
def test_a_refused_recipient_says_whether_trying_again_could_help(reply: str, permanent: bool) -> None:
    with running_smtp_server() as server:
        server.refuse[RECEIPT.to] = reply
        backend = SmtpBackend("127.0.0.1", server.port, SENDER, timeout=5)
        with pytest.raises(MailError, match="recipient refused") as raised:
            backend.send(RECEIPT)
    assert raised.value.permanent is permanent
    assert server.messages == []
