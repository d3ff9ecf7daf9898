"""Health checks (forms_engine/health.py): /healthz answers without the database; /readyz answers 200
only when the database answers and its schema is at the newest migration, else 503 with the reason."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic.script import ScriptDirectory
from flask import Flask
from werkzeug.test import TestResponse

from forms_engine import create_app
from forms_engine.config import TestConfig
from forms_engine.database import alembic_config, downgrade_database, upgrade_database
from forms_engine.definitions.loader import RESERVED_SLUGS
from forms_engine.extensions import db

from .pg import find_free_port
from .test_security_headers import SAME_ON_EVERY_RESPONSE, expected_csp, header_nonce


def unmigrated_app(database_url: str) -> Flask:
    """The app on a database no migration has been applied to (or that cannot be reached)."""
    return create_app(
        {
            **{k: getattr(TestConfig, k) for k in dir(TestConfig) if k.isupper()},
            "SQLALCHEMY_DATABASE_URI": database_url,
        }
    )


@pytest.fixture
def unreachable_app(tmp_path: Path) -> Iterator[Flask]:
    """The app pointed at a PostgreSQL port nothing listens on."""
    app = unmigrated_app(f"postgresql+psycopg://postgres@127.0.0.1:{find_free_port()}/nothing")
    yield app
    with app.app_context():
        db.engine.dispose()


def head_revision(app: Flask) -> str:
    (head,) = ScriptDirectory.from_config(alembic_config(app)).get_heads()
    return str(head)


def assert_plain_json_answer(response: TestResponse, status: int) -> None:
    assert response.status_code == status
    assert response.mimetype == "application/json"
    assert response.headers["Cache-Control"] == "no-store"
    assert "Set-Cookie" not in response.headers
    for name, value in SAME_ON_EVERY_RESPONSE.items():
        assert response.headers.get(name) == value, name
    assert response.headers["Content-Security-Policy"] == expected_csp(header_nonce(response))


def test_healthz_says_ok(app: Flask) -> None:
    response = app.test_client().get("/healthz")
    assert_plain_json_answer(response, 200)
    assert response.get_json() == {"status": "ok"}


def test_healthz_says_ok_even_when_the_database_cannot_be_reached(unreachable_app: Flask) -> None:
    # Liveness must not fail with the database, or every app process would be restarted for nothing.
    response = unreachable_app.test_client().get("/healthz")
    assert_plain_json_answer(response, 200)
    assert response.get_json() == {"status": "ok"}


def test_readyz_says_ok_on_a_migrated_database(any_db_app: Flask) -> None:
    response = any_db_app.test_client().get("/readyz")
    assert_plain_json_answer(response, 200)
    assert response.get_json() == {"status": "ok"}


def test_readyz_is_503_when_the_migrations_are_behind_and_200_again_once_applied(any_db_app: Flask) -> None:
    head = head_revision(any_db_app)
    downgrade_database(any_db_app, "-1")
    client = any_db_app.test_client()

    response = client.get("/readyz")
    assert_plain_json_answer(response, 503)
    body = response.get_json()
    assert body["status"] == "unavailable"
    assert body["reason"] == "database migrations not at head"
    assert body["expected_revision"] == [head]
    assert len(body["database_revision"]) == 1 and body["database_revision"] != [head]

    upgrade_database(any_db_app)
    assert client.get("/readyz").status_code == 200


def test_readyz_is_503_on_a_database_never_migrated(tmp_path: Path) -> None:
    app = unmigrated_app(f"sqlite:///{tmp_path / 'empty.sqlite'}")
    response = app.test_client().get("/readyz")
    assert_plain_json_answer(response, 503)
    assert response.get_json() == {
        "status": "unavailable",
        "reason": "database migrations not at head",
        "database_revision": [],
        "expected_revision": [head_revision(app)],
    }
    with app.app_context():
        db.engine.dispose()


def test_readyz_is_503_when_the_database_cannot_be_reached(
    unreachable_app: Flask, caplog: pytest.LogCaptureFixture
) -> None:
    response = unreachable_app.test_client().get("/readyz")
    assert_plain_json_answer(response, 503)
    assert response.get_json() == {"status": "unavailable", "reason": "database unreachable"}
    # The cause is logged for the operator, not told to whoever asked.
    assert any("the database did not answer" in r.getMessage() for r in caplog.records)


def test_readyz_is_503_when_a_sqlite_database_cannot_be_opened(tmp_path: Path) -> None:
    app = unmigrated_app(f"sqlite:///{tmp_path / 'no-such-folder' / 'db.sqlite'}")
    response = app.test_client().get("/readyz")
    assert_plain_json_answer(response, 503)
    assert response.get_json()["reason"] == "database unreachable"
    with app.app_context():
        db.engine.dispose()


def test_health_checks_answer_only_get(app: Flask) -> None:
    client = app.test_client()
    for path in ("/healthz", "/readyz"):
        assert client.post(path).status_code == 405  # not a CSRF failure: nothing to protect
        assert client.head(path).status_code == 200


def test_the_health_check_paths_are_reserved_so_no_form_can_take_them(app: Flask) -> None:
    paths = {rule.rule for rule in app.url_map.iter_rules() if rule.endpoint.startswith("health.")}
    assert paths == {"/healthz", "/readyz"}
    assert {path.strip("/") for path in paths} <= RESERVED_SLUGS
