"""Structured logs (forms_engine/logs.py): one JSON object per line, a request id on every record
made during a request and in the X-Request-Id response header, one access line per request, and
nothing a citizen typed in any of it."""

from __future__ import annotations

import io
import json
import logging
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select, text
from sqlalchemy.exc import SQLAlchemyError

from forms_engine import logs
from forms_engine.config import Config
from forms_engine.extensions import db
from forms_engine.submissions.models import DeliveryJob, Submission
from forms_engine.submissions.worker import Worker, loggable_error, loggable_target

from .conftest import make_app
from .helpers import BrowserClient, definitions, submit, walk_to_check_answers

HEX_ID = re.compile(r"[0-9a-f]{32}")
POULTRY = "register-poultry-fewer-than-50-birds"


@pytest.fixture
def log_stream() -> Iterator[io.StringIO]:
    """The engine's JSON handler on the root logger, writing into a buffer (then removed)."""
    stream = io.StringIO()
    root = logging.getLogger()
    level = root.level
    logs.configure_logging("json", "INFO", stream=stream)
    yield stream
    for handler in [h for h in root.handlers if getattr(h, "_forms_engine", False)]:
        root.removeHandler(handler)
    root.setLevel(level)


def records(stream: io.StringIO) -> list[dict[str, Any]]:
    """Every line written, each parsed as JSON (so a line that is not JSON fails the test)."""
    return [json.loads(line) for line in stream.getvalue().splitlines()]


def access_lines(stream: io.StringIO) -> list[dict[str, Any]]:
    return [r for r in records(stream) if r["logger"] == "forms_engine.access"]


@pytest.fixture
def logging_app(tmp_path: Path) -> Iterator[Flask]:
    """The app with one extra route that logs from inside a request."""
    app = make_app(f"sqlite:///{tmp_path / 'test.sqlite'}")

    def noisy() -> str:
        logging.getLogger("forms_engine.test").warning("inside the view")
        return "done"

    app.add_url_rule("/_test/noisy", "noisy", noisy)
    yield app
    with app.app_context():
        db.engine.dispose()


def test_each_record_is_one_json_object_with_time_level_logger_message_and_request_id(
    log_stream: io.StringIO,
) -> None:
    logging.getLogger("forms_engine.test").info("hello %s", "world")
    try:
        raise ValueError("broken")
    except ValueError:
        logging.getLogger("forms_engine.test").exception("it failed")

    first, second = records(log_stream)
    assert set(first) == {"timestamp", "level", "logger", "message", "request_id"}
    assert first["level"] == "INFO"
    assert first["logger"] == "forms_engine.test"
    assert first["message"] == "hello world"
    assert first["request_id"] is None  # outside a request
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+00:00", first["timestamp"])
    assert second["level"] == "ERROR"
    assert "ValueError: broken" in second["exc_info"]


def test_a_request_gets_an_id_in_the_response_header_its_access_line_and_every_record_it_makes(
    logging_app: Flask, log_stream: io.StringIO
) -> None:
    response = logging_app.test_client().get("/_test/noisy")
    assert response.status_code == 200
    request_id = response.headers["X-Request-Id"]
    assert HEX_ID.fullmatch(request_id)

    inside = [r for r in records(log_stream) if r["message"] == "inside the view"]
    assert [r["request_id"] for r in inside] == [request_id]
    (line,) = access_lines(log_stream)
    assert line["request_id"] == request_id
    assert line["method"] == "GET"
    assert line["path"] == "/_test/noisy"
    assert line["route"] == "/_test/noisy"
    assert line["status"] == 200
    assert isinstance(line["duration_ms"], float) and line["duration_ms"] >= 0

    # The next request gets an id of its own, and nothing after the request carries the old one.
    other = logging_app.test_client().get("/_test/noisy").headers["X-Request-Id"]
    assert other != request_id
    logging.getLogger("forms_engine.test").info("after")
    assert records(log_stream)[-1]["request_id"] is None


@pytest.mark.parametrize(
    ("sent", "kept"),
    [
        ("3f2b8c1e-9a47-4c55-b0f6-2d1e7a9c4b10", True),
        ("req.42:edge-1", True),
        ("x" * 128, True),
        ("x" * 129, False),
        ("", False),
        ("has space", False),
        ("line\\nbreak", False),
        ('{"forged": 1}', False),
        ("-starts-with-a-dash", False),
    ],
)
def test_an_incoming_request_id_is_kept_only_when_it_is_sane(
    logging_app: Flask, log_stream: io.StringIO, sent: str, kept: bool
) -> None:
    response = logging_app.test_client().get("/_test/noisy", headers={"X-Request-Id": sent})
    returned = response.headers["X-Request-Id"]
    if kept:
        assert returned == sent
    else:
        assert HEX_ID.fullmatch(returned)
    assert access_lines(log_stream)[-1]["request_id"] == returned


def test_the_access_line_has_no_query_string_and_no_save_and_return_token(
    logging_app: Flask, log_stream: io.StringIO
) -> None:
    slug = definitions(logging_app)[0].slug
    client = logging_app.test_client()
    client.get(f"/{slug}/?lang=cy&email=someone%40example.com")
    token = "Zq3secret-token-value-9f8e7d"
    client.get(f"/{slug}/resume/{token}")

    start, resume = access_lines(log_stream)
    assert start["path"] == f"/{slug}/"
    assert resume["path"] == f"/{slug}/resume/<token>"
    assert resume["route"] == "/<slug>/resume/<token>"
    written = log_stream.getvalue()
    assert token not in written
    assert "someone" not in written
    assert "lang=cy" not in written


def test_an_unhandled_exception_is_logged_with_its_traceback_but_without_a_token_in_its_path(
    tmp_path: Path, log_stream: io.StringIO
) -> None:
    app = make_app(f"sqlite:///{tmp_path / 'test.sqlite'}", TESTING=False)

    def broken(token: str) -> str:
        raise RuntimeError("the view broke")

    app.add_url_rule("/_test/<token>/broken", "broken", broken)
    response = app.test_client().get("/_test/Hidden-Token-123/broken")
    assert response.status_code == 500
    error = next(r for r in records(log_stream) if r["level"] == "ERROR")
    assert error["message"] == "Exception on /_test/<token>/broken [GET]"
    assert error["request_id"] == response.headers["X-Request-Id"]
    assert "RuntimeError: the view broke" in error["exc_info"]
    assert "Hidden-Token-123" not in log_stream.getvalue()
    with app.app_context():
        db.engine.dispose()


def test_a_database_error_logged_in_production_settings_has_no_statement_values(tmp_path: Path) -> None:
    app = make_app(
        f"sqlite:///{tmp_path / 'test.sqlite'}", SQLALCHEMY_ENGINE_OPTIONS=Config.SQLALCHEMY_ENGINE_OPTIONS
    )
    with app.app_context(), pytest.raises(SQLAlchemyError) as failed:
        db.session.execute(
            text("INSERT INTO no_such_table VALUES (:answer)"), {"answer": "Zebedee Quaggaworth"}
        )
    assert "no_such_table" in str(failed.value)
    assert "Zebedee" not in str(failed.value)
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def test_a_rate_limit_refusal_is_logged_without_the_email_address_it_was_for(
    tmp_path: Path, log_stream: io.StringIO
) -> None:
    app = make_app(f"sqlite:///{tmp_path / 'test.sqlite'}", SIGN_IN_RATE_LIMIT_PER_ACCOUNT="1 per minute")
    client = BrowserClient(app)
    statuses = []
    for _ in range(2):
        client.get("/caseworker/sign-in")
        form = {"email": "Private.Person@example.gov.uk", "password": "wrong password!"}
        statuses.append(client.post("/caseworker/sign-in", form).status)
    assert statuses[-1] == 429
    refusals = [r["message"] for r in records(log_stream) if r["logger"] == "flask-limiter"]
    assert refusals == [
        "ratelimit 1 per 1 minute (account) exceeded at endpoint: caseworker.sign_in_post:sign-in-account"
    ]
    assert "private.person" not in log_stream.getvalue().lower()
    with app.app_context():
        db.engine.dispose()


def test_health_probes_are_logged_only_at_debug_level_unless_they_fail(
    logging_app: Flask, log_stream: io.StringIO
) -> None:
    client = logging_app.test_client()
    assert client.get("/healthz").status_code == 200
    assert client.get("/readyz").status_code == 200
    assert access_lines(log_stream) == []
    logs.configure_logging("json", "DEBUG", stream=log_stream)
    client.get("/healthz")
    assert [(line["path"], line["level"]) for line in access_lines(log_stream)] == [("/healthz", "DEBUG")]


def test_no_answer_reaches_the_log_from_a_whole_journey_and_its_deliveries(
    logging_app: Flask, log_stream: io.StringIO
) -> None:
    definition = next(d for d in definitions(logging_app) if d.slug == POULTRY)
    client = BrowserClient(logging_app)
    walk_to_check_answers(client, definition)
    confirmation = submit(client, definition)
    assert confirmation.status == 200
    with logging_app.app_context():
        submission = db.session.scalars(select(Submission)).one()
        answers = dict(submission.answers)
        kinds = {job.kind for job in db.session.scalars(select(DeliveryJob))}
    assert "confirmation-email" in kinds
    stats = Worker(logging_app, poll_seconds=0).run(once=True)
    assert stats.delivered >= 1

    written = log_stream.getvalue()
    assert "delivered" in written  # the worker did log, through the same handler
    typed = [v for v in _strings(answers) if len(v) >= 6 and not v.isdigit()]
    assert any("@" in v for v in typed)  # the applicant's email address is among them
    for value in typed:
        assert value not in written, value


def _strings(value: object) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)


@pytest.mark.parametrize(
    ("kind", "target", "shown"),
    [
        ("confirmation-email", "someone@example.com", "the applicant"),
        ("team-email", "team@apha.example.gov.uk", "team@apha.example.gov.uk"),
        ("webhook", "https://user:pw@hooks.example.gov.uk/in?token=abc#x", "https://hooks.example.gov.uk/in"),
    ],
)
def test_a_delivery_is_logged_without_the_applicants_address_or_a_webhooks_secrets(
    kind: str, target: str, shown: str
) -> None:
    job = DeliveryJob(kind=kind, target=target)
    assert loggable_target(job) == shown
    assert loggable_error(job, RuntimeError(f"550 {target} refused")) == f"550 {shown} refused"


def test_text_format_is_one_readable_line_with_the_request_id(
    logging_app: Flask, log_stream: io.StringIO
) -> None:
    logs.configure_logging("text", "INFO", stream=log_stream)
    response = logging_app.test_client().get("/_test/noisy", headers={"X-Request-Id": "abc-123"})
    assert response.status_code == 200
    lines = log_stream.getvalue().splitlines()
    assert any(
        re.fullmatch(r"\S+ \S+ INFO forms_engine\.access \[abc-123\] GET /_test/noisy 200 [\d.]+ ms", line)
        for line in lines
    ), lines
    logging.getLogger("forms_engine.test").info("outside")
    assert log_stream.getvalue().splitlines()[-1].endswith("INFO forms_engine.test [-] outside")


def test_configuring_again_replaces_the_engines_handler_and_leaves_others_alone(
    log_stream: io.StringIO,
) -> None:
    root = logging.getLogger()
    other = logging.StreamHandler(io.StringIO())
    root.addHandler(other)
    try:
        logs.configure_logging("json", "INFO", stream=log_stream)
        logs.configure_logging("json", "INFO", stream=log_stream)
        ours = [h for h in root.handlers if getattr(h, "_forms_engine", False)]
        assert len(ours) == 1
        assert other in root.handlers
        logging.getLogger("forms_engine.test").info("once")
        assert [r["message"] for r in records(log_stream)] == ["once"]
    finally:
        root.removeHandler(other)


@pytest.mark.parametrize(
    ("config", "expected"),
    [
        ({"FORMS_ENGINE_ENV": "production", "LOG_FORMAT": ""}, "json"),
        ({"FORMS_ENGINE_ENV": "development", "LOG_FORMAT": ""}, "text"),
        ({"FORMS_ENGINE_ENV": "development", "LOG_FORMAT": "JSON"}, "json"),
        ({"FORMS_ENGINE_ENV": "production", "LOG_FORMAT": "text"}, "text"),
    ],
)
def test_log_format_is_json_in_production_and_text_otherwise_unless_chosen(
    config: dict[str, str], expected: str
) -> None:
    assert logs.resolve_format(config) == expected


def test_an_unknown_log_format_is_refused() -> None:
    with pytest.raises(ValueError, match="LOG_FORMAT must be json or text"):
        logs.resolve_format({"LOG_FORMAT": "xml"})


def test_the_worker_command_logs_json_lines_through_the_same_setup(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'worker.sqlite'}"
    app = make_app(url)
    with app.app_context():
        db.engine.dispose()
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "FORMS_ENGINE_INSTANCE": str(tmp_path / "instance"),
        "MAIL_BACKEND": "memory",
        "LOG_FORMAT": "json",
    }
    result = subprocess.run(
        [str(Path(sys.executable).parent / "forms-engine"), "worker", "--once"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    lines = [json.loads(line) for line in result.stderr.splitlines()]
    messages = [(r["logger"], r["message"]) for r in lines]
    assert any(
        logger == "forms_engine.submissions.worker" and "started" in message for logger, message in messages
    ), messages
