"""The GOV.UK Notify mail backend, through the official client, against a fake Notify API on 127.0.0.1
(tests/notify.py) that checks the signed token, the request and the files as Notify does."""

from __future__ import annotations

import json
import socket
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask

from forms_engine import create_app
from forms_engine.config import ROOT, TestConfig
from forms_engine.extensions import db
from forms_engine.mail import (
    ENGINE_MESSAGES,
    NOTIFY_FILE_SIZE_LIMIT,
    Attachment,
    MailError,
    NotifyBackend,
    OutgoingMail,
    backend_from_config,
    mail_backend,
)

from .conftest import make_app
from .helpers import BrowserClient
from .notify import FakeNotify, ReceivedFile, make_api_key, running_fake_notify
from .smtp import free_port
from .test_save_return import answer_first_page, example_form, path_of, resume, save_on, send_link

CONFIRMATION_ID = str(uuid.uuid4())
TEAM_ID = str(uuid.uuid4())
SAVE_RETURN_ID = str(uuid.uuid4())
#: The templates as a service would write them in Notify, placeholders as the README documents them.
TEMPLATES = {
    CONFIRMATION_ID: (
        "We have received your form: ((form)). Your reference is ((reference)).\n"
        "((what_happens_next))\nContact: ((contact))\nYour receipt: ((link_to_file_1))"
    ),
    TEAM_ID: (
        "A form was sent: ((form)), reference ((reference)), at ((submitted_at)).\n"
        "Receipt: ((link_to_file_1))\nAnswers (CSV): ((link_to_file_2))"
    ),
    SAVE_RETURN_ID: "Continue your form ((form)): ((url))\nThe link stops working at ((expires)).",
}
NAMES = {
    "submission-confirmation": CONFIRMATION_ID,
    "submission-to-team": TEAM_ID,
    "save-return-link": SAVE_RETURN_ID,
}
PDF = b"%PDF-1.7\n" + bytes(range(256)) * 40 + b"\n%%EOF\n"
CSV = "reference,question,answer\nK7MP-3QXR-ZD4T,Name,Siân Jones\n".encode()
CONFIRMATION = OutgoingMail(
    to="applicant@example.com",
    subject="Your form was sent",
    body="The engine's own text, which Notify does not send.",
    attachments=(Attachment("receipt-K7MP-3QXR-ZD4T.pdf", PDF, "application/pdf"),),
    template="submission-confirmation",
    personalisation={
        "reference": "K7MP-3QXR-ZD4T",
        "form": "Register poultry (fewer than 50 birds)",
        "what_happens_next": "We will write to you within 10 working days.",
        "contact": "APHA, 03000 200 301",
    },
)


@pytest.fixture
def notify() -> Iterator[FakeNotify]:
    with running_fake_notify(TEMPLATES) as fake:
        yield fake


def backend_for(notify: FakeNotify, **overrides: object) -> NotifyBackend:
    settings: dict = {"api_key": notify.api_key, "templates": NAMES, "base_url": notify.url, "timeout": 5.0}
    return NotifyBackend(**{**settings, **overrides})


def config(**overrides: object) -> dict[str, object]:
    return {**{k: getattr(TestConfig, k) for k in dir(TestConfig) if k.isupper()}, **overrides}


# --- Sending -------------------------------------------------------------------------------------


def test_a_confirmation_arrives_with_its_template_personalisation_reference_and_receipt(
    notify: FakeNotify,
) -> None:
    backend_for(notify).send(CONFIRMATION)

    assert notify.refusals == []
    [email] = notify.emails
    assert email.email_address == "applicant@example.com"
    assert email.template_id == CONFIRMATION_ID
    assert email.reference == "K7MP-3QXR-ZD4T"
    assert {k: v for k, v in email.personalisation.items() if k not in email.files} == dict(
        CONFIRMATION.personalisation
    )
    assert email.files == {"link_to_file_1": ReceivedFile("receipt-K7MP-3QXR-ZD4T.pdf", PDF)}
    assert email.body.startswith(
        "We have received your form: Register poultry (fewer than 50 birds). "
        "Your reference is K7MP-3QXR-ZD4T.\nWe will write to you within 10 working days.\n"
    )
    assert "Your receipt: https://documents.example/d/" in email.body


def test_the_team_email_sends_the_receipt_and_the_answers_csv_as_two_files(notify: FakeNotify) -> None:
    backend_for(notify).send(
        OutgoingMail(
            to="poultry-team@example.gov.uk",
            subject="A form was sent",
            body="",
            attachments=(
                Attachment("receipt-K7MP-3QXR-ZD4T.pdf", PDF, "application/pdf"),
                Attachment("answers-K7MP-3QXR-ZD4T.csv", CSV, "text/csv; charset=utf-8"),
            ),
            template="submission-to-team",
            personalisation={"reference": "K7MP-3QXR-ZD4T", "form": "IRA82", "submitted_at": "5 May 2025"},
        )
    )
    [email] = notify.emails
    assert email.template_id == TEAM_ID
    assert email.files == {
        "link_to_file_1": ReceivedFile("receipt-K7MP-3QXR-ZD4T.pdf", PDF),
        "link_to_file_2": ReceivedFile("answers-K7MP-3QXR-ZD4T.csv", CSV),
    }


def test_a_message_without_a_reference_sends_none_to_notify(notify: FakeNotify) -> None:
    backend_for(notify).send(
        OutgoingMail(
            to="saver@example.com",
            subject="Continue your form",
            body="",
            template="save-return-link",
            personalisation={"form": "IRA82", "url": "https://forms.example.gov.uk/x", "expires": "noon"},
        )
    )
    [email] = notify.emails
    assert email.reference is None
    assert email.files == {}
    assert email.body.startswith("Continue your form IRA82: https://forms.example.gov.uk/x\n")


def test_a_file_named_without_an_extension_gets_the_one_of_its_type(notify: FakeNotify) -> None:
    mail = OutgoingMail(
        to="applicant@example.com",
        subject="",
        body="",
        attachments=(Attachment("receipt", PDF, "application/pdf"),),
        template="submission-confirmation",
        personalisation=CONFIRMATION.personalisation,
    )
    backend_for(notify).send(mail)
    assert notify.emails[0].files["link_to_file_1"].filename == "receipt.pdf"


def test_the_save_and_return_link_goes_through_notify_and_works(notify: FakeNotify, tmp_path: Path) -> None:
    app = make_app(
        f"sqlite:///{tmp_path / 'db.sqlite'}",
        MAIL_BACKEND="notify",
        NOTIFY_API_KEY=notify.api_key,
        NOTIFY_TEMPLATES=json.dumps(NAMES),
        NOTIFY_BASE_URL=notify.url,
        MAIL_TIMEOUT=5,
        BASE_URL="https://forms.example.gov.uk",
    )
    definition = example_form(app)
    client = BrowserClient(app)
    save_on(client, answer_first_page(client, definition), {})
    send_link(client, definition, "saver@example.com")

    [email] = notify.emails
    assert (email.email_address, email.template_id) == ("saver@example.com", SAVE_RETURN_ID)
    assert set(email.personalisation) == {"form", "url", "expires"}
    assert email.personalisation["form"] == definition.title
    url = email.personalisation["url"]
    assert url.startswith(f"https://forms.example.gov.uk/{definition.slug}/resume/")
    assert resume(BrowserClient(app), path_of(url)).status == 303
    with app.app_context():
        db.engine.dispose()


# --- Failures ------------------------------------------------------------------------------------


def test_a_message_whose_template_has_no_id_fails_naming_it_and_sends_nothing(notify: FakeNotify) -> None:
    backend = backend_for(notify, templates={"save-return-link": SAVE_RETURN_ID})
    with pytest.raises(MailError, match="no template id for the message 'submission-confirmation'"):
        backend.send(CONFIRMATION)
    assert notify.requests == 0


@pytest.mark.parametrize(
    ("status", "error", "message"),
    [
        (400, "BadRequestError", "Can't send to this recipient using a team-only API key"),
        (403, "AuthError", "Invalid token: API key revoked"),
        (429, "RateLimitError", "Exceeded rate limit for key type LIVE of 3000 requests per 60 seconds"),
        (500, "Exception", "Internal server error"),
    ],
)
def test_an_error_from_notify_raises_mail_error_with_its_status_and_message(
    notify: FakeNotify, status: int, error: str, message: str
) -> None:
    notify.fail_next(status, error, message)
    with pytest.raises(MailError) as raised:
        backend_for(notify).send(CONFIRMATION)
    assert str(raised.value) == f"GOV.UK Notify answered {status}: {error}: {message}"
    # Refusals of the request itself will not change by retrying; rate limits and outages will.
    assert raised.value.permanent is (status in (400, 403))
    assert notify.emails == []


def test_an_answer_that_is_not_notifys_json_still_gives_the_status(notify: FakeNotify) -> None:
    notify.fail_next(502, raw="<html><body><h1>502 Bad Gateway</h1></body></html>")
    with pytest.raises(MailError, match=r"answered 502: <html><body><h1>502 Bad Gateway"):
        backend_for(notify).send(CONFIRMATION)


def test_a_key_with_the_wrong_secret_is_refused_by_notifys_token_check(notify: FakeNotify) -> None:
    wrong = make_api_key(notify.service_id, str(uuid.uuid4()))
    with pytest.raises(MailError, match=r"403: AuthError: Invalid token: signature, api token not found"):
        backend_for(notify, api_key=wrong).send(CONFIRMATION)
    assert notify.emails == []


def test_a_template_placeholder_left_unfilled_is_refused(notify: FakeNotify) -> None:
    mail = OutgoingMail(
        to="applicant@example.com",
        subject="",
        body="",
        template="submission-confirmation",
        personalisation=CONFIRMATION.personalisation,
    )
    with pytest.raises(MailError, match=r"400: BadRequestError: Missing personalisation: link_to_file_1"):
        backend_for(notify).send(mail)


def test_an_unreachable_notify_raises_mail_error() -> None:
    url = f"http://127.0.0.1:{free_port()}"
    backend = NotifyBackend(make_api_key(str(uuid.uuid4()), str(uuid.uuid4())), NAMES, url, timeout=2)
    with pytest.raises(MailError, match=r"GOV\.UK Notify \(http://127\.0\.0\.1:\d+\): could not connect"):
        backend.send(CONFIRMATION)


def test_a_notify_that_never_answers_raises_mail_error_after_the_timeout() -> None:
    with socket.socket() as silent:  # accepts connections (the backlog) and never answers
        silent.bind(("127.0.0.1", 0))
        silent.listen(4)
        url = f"http://127.0.0.1:{silent.getsockname()[1]}"
        backend = NotifyBackend(make_api_key(str(uuid.uuid4()), str(uuid.uuid4())), NAMES, url, timeout=0.5)
        with pytest.raises(MailError, match=r"no answer within 0\.5 seconds"):
            backend.send(CONFIRMATION)


@pytest.mark.parametrize(
    ("attachment", "message"),
    [
        (
            Attachment("receipt.pdf", b"%PDF-" + b"0" * NOTIFY_FILE_SIZE_LIMIT, "application/pdf"),
            r"'receipt\.pdf': it is 2,097,157 bytes, and Notify sends files of at most 2MB",
        ),
        (
            Attachment("photo.png", b"\x89PNG\r\n\x1a\n", "image/png"),
            r"cannot send the attachment 'photo\.png' \(image/png\): "
            r"it sends only files of these types: CSV, DOC, DOCX, ODT, PDF, RTF, TXT, XLSX",
        ),
    ],
)
def test_an_attachment_notify_cannot_send_raises_mail_error_and_sends_nothing(
    notify: FakeNotify, attachment: Attachment, message: str
) -> None:
    mail = OutgoingMail(
        to="applicant@example.com",
        subject="",
        body="",
        attachments=(attachment,),
        template="submission-confirmation",
        personalisation=CONFIRMATION.personalisation,
    )
    with pytest.raises(MailError, match=message) as raised:
        backend_for(notify).send(mail)
    assert raised.value.permanent
    assert notify.requests == 0


def test_a_file_of_exactly_2mb_is_sent(notify: FakeNotify) -> None:
    pdf = b"%PDF-" + b"0" * (NOTIFY_FILE_SIZE_LIMIT - 5)
    mail = OutgoingMail(
        to="applicant@example.com",
        subject="",
        body="",
        attachments=(Attachment("receipt.pdf", pdf, "application/pdf"),),
        template="submission-confirmation",
        personalisation=CONFIRMATION.personalisation,
    )
    backend_for(notify).send(mail)
    assert notify.emails[0].files["link_to_file_1"].content == pdf


# --- Configuration -------------------------------------------------------------------------------

KEY = make_api_key("3d4f1c2e-8a7b-4c6d-9e0f-1a2b3c4d5e6f", "0f9e8d7c-6b5a-4c3d-8e1f-a0b1c2d3e4f5")


def test_the_notify_backend_takes_its_settings_from_the_configuration() -> None:
    backend = backend_from_config(
        config(
            MAIL_BACKEND="notify",
            NOTIFY_API_KEY=KEY,
            NOTIFY_TEMPLATES=json.dumps(NAMES),
            NOTIFY_BASE_URL="http://127.0.0.1:9",
            MAIL_TIMEOUT=3,
        )
    )
    assert backend == NotifyBackend(KEY, NAMES, "http://127.0.0.1:9", 3.0)
    assert KEY not in repr(backend)


def test_without_notify_base_url_the_client_uses_its_own_address() -> None:
    backend = backend_from_config(config(MAIL_BACKEND="notify", NOTIFY_API_KEY=KEY, NOTIFY_TEMPLATES="{}"))
    assert isinstance(backend, NotifyBackend)
    assert backend.base_url is None


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"NOTIFY_API_KEY": ""}, "MAIL_BACKEND 'notify' needs NOTIFY_API_KEY"),
        ({"NOTIFY_API_KEY": "not-a-key"}, "NOTIFY_API_KEY is not a GOV.UK Notify API key"),
        ({"NOTIFY_API_KEY": KEY[:-1]}, "NOTIFY_API_KEY is not a GOV.UK Notify API key"),
        ({"NOTIFY_API_KEY": KEY.replace("-0f9e", "_0f9e")}, "NOTIFY_API_KEY is not a GOV.UK Notify API key"),
        ({"NOTIFY_TEMPLATES": "{'save-return-link': 1"}, "NOTIFY_TEMPLATES is not valid JSON"),
        ({"NOTIFY_TEMPLATES": '["save-return-link"]'}, "NOTIFY_TEMPLATES must be a JSON object"),
        (
            {"NOTIFY_TEMPLATES": '{"save-return-link": "template-1"}'},
            "the template id for 'save-return-link' is not a UUID",
        ),
        ({"NOTIFY_BASE_URL": "127.0.0.1:9"}, "NOTIFY_BASE_URL must start with https://"),
    ],
)
def test_a_notify_configuration_that_cannot_work_fails_when_the_app_starts(
    overrides: dict[str, str], message: str
) -> None:
    settings = config(MAIL_BACKEND="notify", NOTIFY_API_KEY=KEY, NOTIFY_TEMPLATES=json.dumps(NAMES))
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(".", r"\.")) as raised:
        create_app({**settings, **overrides})
    assert KEY[-36:] not in str(raised.value)


def test_the_app_gets_a_notify_backend_when_configured_so() -> None:
    app: Flask = create_app(config(MAIL_BACKEND="notify", NOTIFY_API_KEY=KEY, NOTIFY_TEMPLATES="{}"))
    assert isinstance(mail_backend(app), NotifyBackend)


def test_the_readme_documents_every_placeholder_of_every_message() -> None:
    rows = {
        line.split("|")[1].strip(" `"): line
        for line in (ROOT / "README.md").read_text().splitlines()
        if line.startswith("| `") and line.split("|")[1].strip(" `") in ENGINE_MESSAGES
    }
    assert set(rows) == set(ENGINE_MESSAGES)
    for name, placeholders in ENGINE_MESSAGES.items():
        for placeholder in placeholders:
            assert f"(({placeholder}))" in rows[name], (name, placeholder)
