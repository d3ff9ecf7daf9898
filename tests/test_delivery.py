"""Delivery of submissions through the transactional outbox, against real peers on 127.0.0.1: an SMTP
server (aiosmtpd) for the confirmation and team emails, and an HTTP webhook receiver."""

from __future__ import annotations

import csv
import hashlib
import hmac
import io
import json
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from bs4 import BeautifulSoup
from flask import Flask
from pypdf import PdfReader
from sqlalchemy import func, select

from forms_engine import form_registry
from forms_engine.cli import main
from forms_engine.extensions import db
from forms_engine.journey import journey_for
from forms_engine.submissions import outbox
from forms_engine.submissions.delivery import SIGNATURE_HEADER, sign
from forms_engine.submissions.models import DeliveryAttempt, DeliveryJob, Submission
from forms_engine.submissions.payload import validate_payload
from forms_engine.submissions.worker import Worker

from .conftest import FORM_DEFINITIONS, make_app
from .helpers import BrowserClient, submit, walk_to_check_answers
from .smtp import SmtpServer, free_port, running_smtp_server
from .webhook import WebhookReceiver, running_webhook_receiver

POULTRY = "register-poultry-fewer-than-50-birds"
SECRET_ENV = "FORMS_ENGINE_TEST_WEBHOOK_SECRET"
SECRET = "s3cret-for-tests-only"
TEAM = ["poultry-team@apha.example.gov.uk", "backup-team@apha.example.gov.uk"]


def definitions_folder(tmp_path: Path, deliveries: dict[str, Any], applicant_email: bool = True) -> Path:
    """A definitions folder holding the poultry form with the given deliveries (and without the
    applicant's confirmation email unless `applicant_email`)."""
    folder = tmp_path / "definitions"
    folder.mkdir(exist_ok=True)
    data = json.loads((FORM_DEFINITIONS / f"{POULTRY}.json").read_text(encoding="utf-8"))
    data.pop("deliveries", None)
    if deliveries:
        data["deliveries"] = deliveries
    if not applicant_email:
        del data["confirmationEmailComponent"]
    (folder / f"{POULTRY}.json").write_text(json.dumps(data), encoding="utf-8")
    return folder


def delivery_app(database_url: str, folder: Path, smtp_port: int | None = None, **overrides: Any) -> Flask:
    mail: dict[str, Any] = {"MAIL_BACKEND": "memory"}
    if smtp_port is not None:
        mail = {"MAIL_BACKEND": "smtp", "MAIL_HOST": "127.0.0.1", "MAIL_PORT": smtp_port, "MAIL_TIMEOUT": 5}
    settings = {
        "FORM_DEFINITIONS_DIR": folder,
        "DELIVERY_BACKOFF_SECONDS": 0,
        "WEBHOOK_TIMEOUT": 5,
        **mail,
        **overrides,
    }
    return make_app(database_url, **settings)


def send_poultry_form(app: Flask, language: str = "en") -> str:
    """Complete and send the poultry form as a citizen (in `language`); its reference."""
    client = BrowserClient(app)
    if language != "en":
        client.get(f"/{POULTRY}/?lang={language}")
    definition = form_registry(app).get(POULTRY)
    assert definition is not None
    walk_to_check_answers(client, definition)
    confirmation = submit(client, definition)
    assert confirmation.status == 200
    with app.app_context():
        reference = db.session.scalars(select(Submission.reference).order_by(Submission.id.desc())).first()
    assert reference is not None
    return reference


def jobs_of(app: Flask, reference: str) -> list[dict[str, Any]]:
    with app.app_context():
        return [
            {
                "kind": j.kind,
                "target": j.target,
                "status": j.status,
                "attempts": j.attempts,
                "key": j.idempotency_key,
                "error": j.last_error,
            }
            for j in outbox.jobs_for_reference(reference)
        ]


def run_worker(app: Flask) -> None:
    Worker(app, poll_seconds=0).run(once=True)


@pytest.fixture
def secret(monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv(SECRET_ENV, SECRET)
    return SECRET


@pytest.fixture
def smtp() -> Iterator[SmtpServer]:
    with running_smtp_server() as server:
        yield server


@pytest.fixture
def receiver() -> Iterator[WebhookReceiver]:
    with running_webhook_receiver() as running:
        yield running


def test_the_default_backoff_keeps_trying_for_at_least_a_day() -> None:
    from forms_engine.config import Config

    backoff = outbox.Backoff.from_config({k: getattr(Config, k) for k in dir(Config) if k.isupper()})
    assert backoff.window() >= timedelta(hours=24)
    assert [backoff.delay(n).total_seconds() for n in range(1, 5)] == [30, 60, 120, 240]
    assert backoff.delay(30) == timedelta(hours=1)  # capped


def test_a_backoff_window_is_the_sum_of_the_waits_between_attempts() -> None:
    backoff = outbox.Backoff(base=10, cap=25, max_attempts=4)
    assert [backoff.delay(n).total_seconds() for n in (1, 2, 3)] == [10, 20, 25]
    assert backoff.window() == timedelta(seconds=55)


def test_the_submission_and_its_delivery_jobs_are_stored_in_one_go_without_touching_the_network(
    database_url: str, tmp_path: Path
) -> None:
    # Nothing listens on these: had the request tried to deliver, it would have failed or waited.
    dead_port = free_port()
    folder = definitions_folder(
        tmp_path,
        {
            "email": {"to": TEAM},
            "webhook": {"url": f"http://127.0.0.1:{dead_port}/x", "secretEnv": SECRET_ENV},
        },
    )
    app = delivery_app(database_url, folder, smtp_port=dead_port)
    try:
        reference = send_poultry_form(app)
        jobs = jobs_of(app, reference)
        assert [(j["kind"], j["target"], j["status"], j["attempts"]) for j in jobs] == [
            ("confirmation-email", "applicant@example.com", "pending", 0),
            ("team-email", TEAM[0], "pending", 0),
            ("team-email", TEAM[1], "pending", 0),
            ("webhook", f"http://127.0.0.1:{dead_port}/x", "pending", 0),
        ]
        assert len({j["key"] for j in jobs}) == 4
    finally:
        reset(app, database_url)


def reset(app: Flask, database_url: str) -> None:
    from .conftest import _reset_postgres

    if database_url.startswith("postgresql"):
        _reset_postgres(app)
    else:
        with app.app_context():
            db.engine.dispose()


def test_twenty_parallel_final_sends_make_one_submission_and_one_set_of_jobs(
    database_url: str, tmp_path: Path
) -> None:
    folder = definitions_folder(tmp_path, {"email": {"to": TEAM[:1]}})
    app = delivery_app(database_url, folder)
    try:
        client = BrowserClient(app)
        definition = form_registry(app).get(POULTRY)
        assert definition is not None
        walk_to_check_answers(client, definition)
        cookie = client.client.get_cookie(app.config["SESSION_COOKIE_NAME"])
        assert cookie is not None
        barrier = threading.Barrier(20)
        statuses: list[int] = []

        def send() -> None:
            # A test client of its own with the journey's cookie: one client's cookie jar is
            # not for threads (a response's Set-Cookie would change it under another request).
            own = app.test_client()
            own.set_cookie(cookie.key, cookie.value)
            barrier.wait()
            response = own.post(f"/{POULTRY}/check-answers", data={"csrf_token": client.csrf_token})
            statuses.append(response.status_code)

        threads = [threading.Thread(target=send) for _ in range(20)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert statuses == [303] * 20
        with app.app_context():
            assert db.session.scalar(select(func.count()).select_from(Submission)) == 1
            kinds = sorted(db.session.scalars(select(DeliveryJob.kind)))
        assert kinds == ["confirmation-email", "team-email"]
    finally:
        reset(app, database_url)


def pdf_text(content: bytes) -> str:
    return " ".join(" ".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages).split())


def test_the_worker_emails_the_applicant_and_the_team_with_the_receipt_and_the_answers(
    tmp_path: Path, smtp: SmtpServer
) -> None:
    folder = definitions_folder(tmp_path, {"email": {"to": TEAM[:1]}})
    app = delivery_app(f"sqlite:///{tmp_path / 'db.sqlite'}", folder, smtp_port=smtp.port)
    reference = send_poultry_form(app)
    assert smtp.messages == []  # nothing is sent before a worker runs
    run_worker(app)

    assert [j["status"] for j in jobs_of(app, reference)] == ["delivered", "delivered"]
    by_recipient = {tuple(r): m for r, m in zip(smtp.recipients, smtp.messages, strict=True)}
    applicant = by_recipient[("applicant@example.com",)]
    team = by_recipient[(TEAM[0],)]

    assert reference in applicant["Subject"] or reference in applicant.get_body(("plain",)).get_content()
    body = applicant.get_body(("plain",)).get_content()
    assert reference in body
    assert "What happens next" in body
    receipts = [p for p in applicant.iter_attachments() if p.get_content_type() == "application/pdf"]
    assert len(receipts) == 1
    text = pdf_text(receipts[0].get_content())
    assert reference in text
    # Every answer, as check your answers showed it, is in the receipt the applicant was sent.
    definition = form_registry(app).get(POULTRY)
    assert definition is not None
    with app.app_context():
        submission = db.session.scalars(select(Submission).where(Submission.reference == reference)).one()
        sections = journey_for(definition).check_answer_sections(submission.answers)
    shown = [BeautifulSoup(str(row.value), "html.parser").get_text(" ") for s in sections for row in s.rows]
    assert len(shown) > 10
    for value in shown:
        assert " ".join(value.split()) in text, value

    assert reference in team["Subject"]
    attachments = {p.get_filename(): p for p in team.iter_attachments()}
    assert set(attachments) == {f"{POULTRY}-{reference}.pdf", f"{POULTRY}-{reference}.csv"}
    csv_bytes = attachments[f"{POULTRY}-{reference}.csv"].get_content()
    if isinstance(csv_bytes, str):
        csv_bytes = csv_bytes.encode("utf-8")
    rows = list(csv.reader(io.StringIO(csv_bytes.decode("utf-8-sig"))))
    assert len(rows) == 2 and rows[1][0] == reference
    assert "applicant@example.com" in rows[1]


def test_a_webhook_that_fails_three_times_gets_the_signed_payload_on_the_fourth_attempt(
    tmp_path: Path, receiver: WebhookReceiver, secret: str
) -> None:
    receiver.fail_first = 3
    folder = definitions_folder(
        tmp_path, {"webhook": {"url": receiver.url, "secretEnv": SECRET_ENV}}, applicant_email=False
    )
    app = delivery_app(f"sqlite:///{tmp_path / 'db.sqlite'}", folder)
    reference = send_poultry_form(app)
    run_worker(app)  # backoff of 0 seconds: every retry is due at once

    [job] = [j for j in jobs_of(app, reference) if j["kind"] == "webhook"]
    assert (job["status"], job["attempts"]) == ("delivered", 4)
    assert [r.status for r in receiver.received] == [503, 503, 503, 200]
    assert {r.headers["idempotency-key"] for r in receiver.received} == {job["key"]}
    for request in receiver.received:
        assert request.path == "/hooks/submissions"
        assert request.headers["content-type"] == "application/json"
        timestamp = request.headers["x-forms-engine-timestamp"]
        expected = (
            "sha256="
            + hmac.new(secret.encode(), timestamp.encode() + b"." + request.body, hashlib.sha256).hexdigest()
        )
        assert hmac.compare_digest(request.headers[SIGNATURE_HEADER.lower()], expected)
        assert request.headers[SIGNATURE_HEADER.lower()] == sign(secret, timestamp, request.body)
    payload = json.loads(receiver.received[-1].body)
    validate_payload(payload)
    assert payload["reference"] == reference
    assert payload["answers"]["emailAddress"] == "applicant@example.com"
    with app.app_context():
        [stored] = db.session.scalars(select(DeliveryJob).where(DeliveryJob.kind == "webhook")).all()
        log = outbox.attempts_for(stored.id)
        assert [(a.number, a.outcome) for a in log] == [
            (1, "failed"),
            (2, "failed"),
            (3, "failed"),
            (4, "delivered"),
        ]
        assert "HTTP 503" in (log[0].detail or "")


def test_a_tampered_body_does_not_match_the_signature(
    tmp_path: Path, receiver: WebhookReceiver, secret: str
) -> None:
    folder = definitions_folder(
        tmp_path, {"webhook": {"url": receiver.url, "secretEnv": SECRET_ENV}}, applicant_email=False
    )
    app = delivery_app(f"sqlite:///{tmp_path / 'db.sqlite'}", folder)
    send_poultry_form(app)
    run_worker(app)
    [request] = receiver.accepted()
    timestamp = request.headers["x-forms-engine-timestamp"]
    tampered = request.body.replace(b"applicant@example.com", b"attacker@example.com")
    assert tampered != request.body
    assert sign(secret, timestamp, tampered) != request.headers[SIGNATURE_HEADER.lower()]
    assert sign("another secret", timestamp, request.body) != request.headers[SIGNATURE_HEADER.lower()]


def test_retries_wait_longer_each_time_and_the_last_failure_dead_letters_the_job(
    tmp_path: Path, receiver: WebhookReceiver, secret: str
) -> None:
    receiver.fail_first = 1000
    folder = definitions_folder(
        tmp_path, {"webhook": {"url": receiver.url, "secretEnv": SECRET_ENV}}, applicant_email=False
    )
    app = delivery_app(
        f"sqlite:///{tmp_path / 'db.sqlite'}",
        folder,
        DELIVERY_BACKOFF_SECONDS=60,
        DELIVERY_BACKOFF_MAX_SECONDS=200,
        DELIVERY_MAX_ATTEMPTS=4,
    )
    reference = send_poultry_form(app)
    backoff = outbox.Backoff.from_config(app.config)
    moment = datetime.now(UTC) + timedelta(seconds=1)
    waits = []
    with app.app_context():
        for _ in range(4):
            claims = outbox.claim_due_jobs("test-worker", 10, timedelta(minutes=5), now=moment)
            assert len(claims) == 1
            from forms_engine.submissions.worker import WorkerStats, deliver_claim

            status = deliver_claim(claims[0], backoff, WorkerStats())
            job = db.session.get(DeliveryJob, claims[0].job_id)
            assert job is not None
            if status == outbox.PENDING:
                due = job.next_attempt_at.replace(tzinfo=UTC)
                waits.append(round((due - datetime.now(UTC)).total_seconds() / 10) * 10)
                # Not due a moment before its time; due at its time.
                assert (
                    outbox.claim_due_jobs(
                        "test-worker", 10, timedelta(minutes=5), now=due - timedelta(seconds=2)
                    )
                    == []
                )
                moment = due + timedelta(seconds=1)
        assert status == outbox.DEAD
    assert waits == [60, 120, 200]
    [job_row] = jobs_of(app, reference)
    assert (job_row["status"], job_row["attempts"]) == ("dead", 4)
    assert "HTTP 503" in job_row["error"]

    runner = app.test_cli_runner()
    listed = runner.invoke(main, ["deliveries", "list", "--status", "dead"])
    assert listed.exit_code == 0, listed.output
    assert reference in listed.output and "webhook" in listed.output and "HTTP 503" in listed.output

    receiver.fail_first = 0
    retried = runner.invoke(main, ["deliveries", "retry", reference])
    assert retried.exit_code == 0, retried.output
    assert "1 job(s) queued again" in retried.output
    run_worker(app)
    [job_row] = jobs_of(app, reference)
    assert (job_row["status"], job_row["attempts"]) == ("delivered", 1)
    keys = {r.headers["idempotency-key"] for r in receiver.received}
    assert keys == {job_row["key"]}  # the replay keeps the key: the receiver can tell

    detail = runner.invoke(main, ["deliveries", "list", reference, "--json"])
    assert detail.exit_code == 0, detail.output
    [described] = json.loads(detail.output)
    assert [a["outcome"] for a in described["attempt_log"]] == [
        "failed",
        "failed",
        "failed",
        "dead",
        "delivered",
    ]


def test_a_receiver_that_refuses_the_request_dead_letters_the_job_at_once(
    tmp_path: Path, receiver: WebhookReceiver, secret: str
) -> None:
    receiver.fail_first = 1
    receiver.failure_status = 401
    folder = definitions_folder(
        tmp_path, {"webhook": {"url": receiver.url, "secretEnv": SECRET_ENV}}, applicant_email=False
    )
    app = delivery_app(f"sqlite:///{tmp_path / 'db.sqlite'}", folder)
    reference = send_poultry_form(app)
    run_worker(app)
    [job] = jobs_of(app, reference)
    assert (job["status"], job["attempts"]) == ("dead", 1)
    assert "HTTP 401" in job["error"]


def test_a_missing_webhook_secret_is_retried_and_names_the_variable_to_set(
    tmp_path: Path, receiver: WebhookReceiver, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(SECRET_ENV, raising=False)
    folder = definitions_folder(
        tmp_path, {"webhook": {"url": receiver.url, "secretEnv": SECRET_ENV}}, applicant_email=False
    )
    app = delivery_app(f"sqlite:///{tmp_path / 'db.sqlite'}", folder, DELIVERY_BACKOFF_SECONDS=60)
    reference = send_poultry_form(app)
    run_worker(app)
    [job] = jobs_of(app, reference)
    assert (job["status"], job["attempts"]) == ("pending", 1)
    assert SECRET_ENV in job["error"]
    assert receiver.received == []


def test_an_unreachable_mail_server_is_retried_not_lost(tmp_path: Path) -> None:
    folder = definitions_folder(tmp_path, {})
    app = delivery_app(
        f"sqlite:///{tmp_path / 'db.sqlite'}", folder, smtp_port=free_port(), DELIVERY_BACKOFF_SECONDS=60
    )
    reference = send_poultry_form(app)
    run_worker(app)
    [job] = jobs_of(app, reference)
    assert (job["kind"], job["status"], job["attempts"]) == ("confirmation-email", "pending", 1)
    assert "SMTP 127.0.0.1" in job["error"]


def test_a_form_without_an_email_answer_or_deliveries_queues_nothing(tmp_path: Path) -> None:
    folder = tmp_path / "definitions"
    folder.mkdir()
    data = json.loads((FORM_DEFINITIONS / f"{POULTRY}.json").read_text(encoding="utf-8"))
    del data["confirmationEmailComponent"]
    del data["deliveries"]
    (folder / f"{POULTRY}.json").write_text(json.dumps(data), encoding="utf-8")
    app = delivery_app(f"sqlite:///{tmp_path / 'db.sqlite'}", folder)
    reference = send_poultry_form(app)
    assert jobs_of(app, reference) == []


@pytest.mark.parametrize(
    ("url", "allowed"),
    [
        ("https://caseworking.example.gov.uk/hooks", True),
        ("http://127.0.0.1:8080/hooks", True),
        ("http://localhost/hooks", True),
        ("http://caseworking.example.gov.uk/hooks", False),
        ("ftp://caseworking.example.gov.uk/hooks", False),
    ],
)
def test_webhook_urls_must_use_https_except_to_this_machine(url: str, allowed: bool) -> None:
    from forms_engine.definitions.loader import validate_definition_data

    data = json.loads((FORM_DEFINITIONS / f"{POULTRY}.json").read_text(encoding="utf-8"))
    data["deliveries"] = {"webhook": {"url": url, "secretEnv": SECRET_ENV}}
    paths = [p.path for p in validate_definition_data(data)]
    assert ("$.deliveries.webhook.url" not in paths) is allowed, paths


def test_a_secret_itself_cannot_be_put_in_the_definition() -> None:
    from forms_engine.definitions.loader import validate_definition_data

    data = json.loads((FORM_DEFINITIONS / f"{POULTRY}.json").read_text(encoding="utf-8"))
    data["deliveries"] = {
        "webhook": {"url": "https://x.example.gov.uk/", "secretEnv": SECRET_ENV, "secret": "x"}
    }
    assert any(p.path.startswith("$.deliveries.webhook") for p in validate_definition_data(data))


def test_delivery_attempts_are_logged_with_the_worker_that_made_them(
    tmp_path: Path, receiver: WebhookReceiver, secret: str
) -> None:
    folder = definitions_folder(
        tmp_path, {"webhook": {"url": receiver.url, "secretEnv": SECRET_ENV}}, applicant_email=False
    )
    app = delivery_app(f"sqlite:///{tmp_path / 'db.sqlite'}", folder)
    send_poultry_form(app)
    worker = Worker(app, poll_seconds=0)
    worker.run(once=True)
    with app.app_context():
        [attempt] = db.session.scalars(select(DeliveryAttempt)).all()
        assert attempt.worker == worker.name
        assert attempt.outcome == "delivered" and attempt.detail == "HTTP 200"
        assert attempt.finished_at is not None


@pytest.mark.parametrize("slug", ["schemas", "caseworker", "assets", "healthz"])
def test_a_form_cannot_take_a_slug_the_service_uses_itself(slug: str) -> None:
    from forms_engine.definitions.loader import validate_definition_data

    data = json.loads((FORM_DEFINITIONS / f"{POULTRY}.json").read_text(encoding="utf-8"))
    data["slug"] = slug
    assert "$.slug" in [p.path for p in validate_definition_data(data)]


def test_a_form_sent_in_welsh_gets_its_confirmation_email_and_receipt_in_welsh(
    tmp_path: Path, smtp: SmtpServer
) -> None:
    folder = definitions_folder(tmp_path, {})
    app = delivery_app(f"sqlite:///{tmp_path / 'db.sqlite'}", folder, smtp_port=smtp.port)
    reference = send_poultry_form(app, language="cy")
    with app.app_context():
        assert db.session.scalars(select(Submission.language)).one() == "cy"
    run_worker(app)
    [message] = smtp.messages
    assert message["Subject"].startswith("Mae eich ffurflen wedi\N{RIGHT SINGLE QUOTATION MARK}i hanfon: ")
    body = message.get_body(("plain",)).get_content()
    assert f"Eich cyfeirnod yw {reference}" in body
    assert "Beth sy\N{RIGHT SINGLE QUOTATION MARK}n digwydd nesaf" in body
    [receipt] = [p for p in message.iter_attachments() if p.get_content_type() == "application/pdf"]
    text = pdf_text(receipt.get_content())
    assert reference in text and "Eich cyfeirnod" in text
