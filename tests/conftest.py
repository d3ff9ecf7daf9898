"""Shared fixtures: an app on a migrated database (SQLite, or a real PostgreSQL started here), and a
client that behaves like a browser (keeps cookies, sends the page's CSRF token back)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import text

from forms_engine import create_app
from forms_engine.config import ROOT, TestConfig
from forms_engine.database import upgrade_database
from forms_engine.extensions import db

from .helpers import BrowserClient
from .pg import running_postgres

FORM_DEFINITIONS = ROOT / "form_definitions"


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A throw-away PostgreSQL server on 127.0.0.1 for the whole test session."""
    with running_postgres() as url:
        yield url


def make_app(database_url: str, **overrides: object) -> Flask:
    app = create_app(
        {
            **{k: getattr(TestConfig, k) for k in dir(TestConfig) if k.isupper()},
            "SQLALCHEMY_DATABASE_URI": database_url,
            **overrides,
        }
    )
    upgrade_database(app)
    return app


def _reset_postgres(app: Flask) -> None:
    with app.app_context():
        db.session.remove()
        with db.engine.begin() as connection:
            connection.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
        db.engine.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """Run the test once on SQLite and once on a real PostgreSQL server."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'test.sqlite'}"
    url: str = request.getfixturevalue("postgres_url")
    return url


@pytest.fixture
def app(tmp_path: Path) -> Iterator[Flask]:
    """The app on a fresh migrated SQLite database file."""
    app = make_app(f"sqlite:///{tmp_path / 'test.sqlite'}")
    yield app
    with app.app_context():
        db.engine.dispose()


@pytest.fixture
def any_db_app(database_url: str) -> Iterator[Flask]:
    """The app on SQLite and on PostgreSQL in turn, each fresh and migrated."""
    app = make_app(database_url)
    yield app
    if database_url.startswith("postgresql"):
        _reset_postgres(app)
    else:
        with app.app_context():
            db.engine.dispose()


@pytest.fixture
def client(app: Flask) -> BrowserClient:
    return BrowserClient(app)
