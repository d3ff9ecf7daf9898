"""Caseworker fixtures: accounts made straight in the database, a clock the tests move, and
signing in through the real pages."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from forms_engine.caseworker import SERVICE_NAME, clock, passwords, totp
from forms_engine.caseworker.models import AuditEvent, User
from forms_engine.extensions import db

from ..conftest import make_app
from ..helpers import BrowserClient, Page

PASSWORD = "correct walrus staple 42"
SESSION_COOKIE = "forms_engine_session"


def title(page: str) -> str:
    """A caseworker page's expected <title>."""
    return f"{page} \N{EN DASH} {SERVICE_NAME} \N{EN DASH} GOV.UK"


@dataclass
class FrozenClock:
    """Stands in for `forms_engine.caseworker.clock.now`: time moves only when a test moves it."""

    moment: datetime

    def __call__(self) -> datetime:
        return self.moment

    def advance(self, **delta: float) -> None:
        self.moment += timedelta(**delta)


@pytest.fixture
def frozen_clock(monkeypatch: pytest.MonkeyPatch) -> FrozenClock:
    # Start at the beginning of a TOTP step, so codes computed for "now" stay valid while a test runs.
    now = datetime.now(UTC).replace(microsecond=0)
    frozen = FrozenClock(now - timedelta(seconds=now.second % 30))
    monkeypatch.setattr(clock, "now", frozen)
    return frozen


def create_user(
    app: Flask,
    email: str = "casey@example.gov.uk",
    role: str = "caseworker",
    password: str = PASSWORD,
    organisation: str | None = "APHA",
    forms: list[str] | None = None,
    totp_secret: str | None = None,
    disabled: bool = False,
) -> int:
    """Make an account straight in the database; its id."""
    with app.app_context():
        user = User(
            email=email,
            password_hash=passwords.hash_password(password),
            role=role,
            organisation=organisation,
            forms=forms or [],
            totp_secret=totp_secret,
            disabled=disabled,
        )
        db.session.add(user)
        db.session.commit()
        user_id: int = user.id
        db.session.remove()
        return user_id


def load_user(app: Flask, user_id: int) -> User:
    with app.app_context():
        user = db.session.get(User, user_id)
        assert user is not None
        db.session.expunge(user)
        return user


def audit_events(app: Flask, action: str | None = None) -> list[dict[str, Any]]:
    with app.app_context():
        query = select(AuditEvent).order_by(AuditEvent.id)
        if action is not None:
            query = query.where(AuditEvent.action == action)
        rows = [event.as_json() for event in db.session.scalars(query)]
        db.session.remove()
        return rows


def sign_in(
    client: BrowserClient, email: str = "casey@example.gov.uk", password: str = PASSWORD, **kwargs: Any
) -> Page:
    """Fetch the sign-in page (for its CSRF token) and send it; the response to the POST."""
    client.get("/caseworker/sign-in")
    return client.post("/caseworker/sign-in", {"email": email, "password": password}, **kwargs)


def sign_out(client: BrowserClient) -> Page:
    """Press Sign out on the landing page; the response to the POST."""
    client.get("/caseworker/")
    response = client.post("/caseworker/sign-out")
    assert response.status == 302, response.status
    return response


def enter_code(
    client: BrowserClient, secret: str, moment: datetime, path: str = "/caseworker/sign-in/security-code"
) -> Page:
    client.get(path)
    return client.post(path, {"code": totp.code_at(secret, moment)})


def session_cookie(client: BrowserClient) -> str | None:
    cookie = client.client.get_cookie(SESSION_COOKIE)
    return cookie.value if cookie is not None else None


@pytest.fixture
def cw_app(tmp_path: Path) -> Iterator[Flask]:
    """The app on a fresh SQLite file (the tests' own, so overrides are easy: see `make_cw_app`)."""
    app = make_app(f"sqlite:///{tmp_path / 'caseworker.sqlite'}")
    yield app
    with app.app_context():
        db.engine.dispose()


@pytest.fixture
def make_cw_app(tmp_path: Path) -> Iterator[Any]:
    """Call with config overrides for an app of your own."""
    apps: list[Flask] = []

    def make(**overrides: Any) -> Flask:
        app = make_app(f"sqlite:///{tmp_path / f'caseworker-{len(apps)}.sqlite'}", **overrides)
        apps.append(app)
        return app

    yield make
    for app in apps:
        with app.app_context():
            db.engine.dispose()


@pytest.fixture
def cw_client(cw_app: Flask) -> BrowserClient:
    return BrowserClient(cw_app)
