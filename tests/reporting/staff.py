"""Helpers for the staff screens' tests: an app with the shipped register imported, and browsers
signed in as accounts of each role (no security code step, so each test can sign in freely)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from flask import Flask

from forms_engine.extensions import db
from forms_engine.reporting import register

from ..caseworker.conftest import create_user, sign_in
from ..conftest import make_app
from ..helpers import BrowserClient, location

POULTRY = "register-poultry-fewer-than-50-birds"
BADGER = "badger-sett-development-licence"
LAND = "register-land-rural-payments"


def staff_app_in(tmp_path: Path) -> Iterator[Flask]:
    """(For a fixture.) The app on a fresh SQLite file, the illustrative register imported, no
    security codes."""
    app = make_app(f"sqlite:///{tmp_path / 'staff.sqlite'}", CASEWORKER_TOTP_REQUIRED_ROLES="")
    with app.app_context():
        register.import_register(register.load_register(register.DEFAULT_REGISTER), actor="test")
        db.session.remove()
    yield app
    with app.app_context():
        db.engine.dispose()


def signed_in(
    app: Flask, role: str, organisation: str | None = None, forms: list[str] | None = None
) -> BrowserClient:
    """A browser signed in as a new account of `role`."""
    email = f"{role}-{organisation or 'none'}-{len(forms or [])}@example.gov.uk"
    create_user(app, email, role=role, organisation=organisation, forms=forms)
    client = BrowserClient(app)
    assert location(sign_in(client, email)) == "/caseworker/", role
    return client


def entry_id(app: Flask, reference: str) -> int:
    from sqlalchemy import select

    from forms_engine.reporting.models import PaperForm

    with app.app_context():
        found = db.session.scalar(select(PaperForm.id).where(PaperForm.reference == reference))
        db.session.remove()
    assert found is not None, reference
    return found
