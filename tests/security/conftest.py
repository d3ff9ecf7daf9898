"""The security tests' world: one app per module with a sent form (with an uploaded file), a journey
in progress, and a signed-in admin; and sample values for every URL rule's arguments, so that tests
can enumerate the URL map."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select
from werkzeug.routing import Rule

from forms_engine.extensions import db
from forms_engine.submissions.models import Submission, UploadedFile

from ..caseworker.conftest import create_user, sign_in
from ..conftest import make_app
from ..helpers import BrowserClient, definitions, submit, walk_to_check_answers

#: The form the world sends: it has file uploads and a repeat, so every kind of route has a real value.
FORM = "badger-sett-development-licence"
ADMIN = "security-admin@example.gov.uk"
#: Methods that change something: every rule allowing one must be protected against CSRF.
UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


@dataclass
class World:
    app: Flask
    #: The browser that sent the form (its journey is submitted).
    sender: BrowserClient
    #: A browser with a journey of the same form in progress, at check answers.
    citizen: BrowserClient
    #: A browser signed in as an admin (sees every form).
    caseworker: BrowserClient
    reference: str
    file_id: str
    admin_id: int

    def samples(self, rule: Rule) -> dict[str, Any]:
        """A real value for each of the rule's arguments (a test fails on a rule it cannot fill)."""
        definition = next(d for d in definitions(self.app) if d.slug == FORM)
        by_name: dict[str, Any] = {
            "slug": FORM,
            "page_slug": definition.pages[0].slug,
            "item": 1,
            "repeat_id": "setts",
            "token": "no-such-save-and-return-token-0000000000000",
            "user_id": self.admin_id,
            "reference": self.reference,
            "file_id": self.file_id,
            "format": "csv",
            "version": definition.version,
            "entry_id": 1,
            "table": "measures",
            "extension": "csv",
            "fmt": "csv",
        }
        by_endpoint: dict[tuple[str, str], Any] = {
            ("static", "filename"): "forms-engine.css",
            ("assets", "filename"): "govuk-frontend.min.css",
            ("schemas.submission_payload_schema", "version"): 1,
        }
        values = {}
        for argument in sorted(rule.arguments):
            key = (rule.endpoint, argument)
            if key in by_endpoint:
                values[argument] = by_endpoint[key]
            elif argument in by_name:
                values[argument] = by_name[argument]
            else:
                raise AssertionError(f"no sample value for <{argument}> in {rule.rule}: add one here")
        return values

    def url(self, rule: Rule) -> str:
        """The rule's path with sample values."""
        with self.app.test_request_context():
            adapter = self.app.url_map.bind("localhost")
            return adapter.build(rule.endpoint, self.samples(rule), method=_a_method(rule))


def _a_method(rule: Rule) -> str:
    methods = rule.methods or set()
    return "GET" if "GET" in methods else sorted(methods - {"HEAD", "OPTIONS"})[0]


def rules_allowing(app: Flask, methods: frozenset[str]) -> list[Rule]:
    """Every rule of the URL map that allows one of `methods`, in a stable order."""
    return sorted(
        (rule for rule in app.url_map.iter_rules() if (rule.methods or set()) & methods),
        key=lambda rule: (rule.rule, rule.endpoint),
    )


def build_world(app: Flask) -> World:
    """Send the form once (with its files), start a second journey, sign an admin in."""
    definition = next(d for d in definitions(app) if d.slug == FORM)
    sender = BrowserClient(app)
    walk_to_check_answers(sender, definition)
    confirmation = submit(sender, definition)
    assert confirmation.status == 200, confirmation.status
    with app.app_context():
        submission = db.session.scalars(select(Submission)).one()
        upload = db.session.scalars(
            select(UploadedFile).where(UploadedFile.submission_id == submission.id)
        ).first()
        assert upload is not None, "the form's walk sent no file"
        reference, file_id = submission.reference, upload.id
        db.session.remove()
    citizen = BrowserClient(app)
    assert walk_to_check_answers(citizen, definition).status == 200

    admin_id = create_user(app, email=ADMIN, role="admin", organisation=None)
    caseworker = BrowserClient(app)
    signed_in = sign_in(caseworker, email=ADMIN)
    assert signed_in.status == 302 and signed_in.response.headers["Location"].endswith("/caseworker/")
    return World(app, sender, citizen, caseworker, reference, file_id, admin_id)


def make_world_app(tmp_path_factory: pytest.TempPathFactory, **overrides: Any) -> Flask:
    folder = tmp_path_factory.mktemp("security")
    return make_app(
        f"sqlite:///{folder / 'security.sqlite'}",
        # An admin without an authenticator app, so the tests sign in with a password only.
        CASEWORKER_TOTP_REQUIRED_ROLES="",
        **overrides,
    )


@pytest.fixture(scope="package")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    """One app for the security tests, on its own SQLite file (rate limits off: these tests send
    many requests from one address on purpose, and rate limits are tested on their own). The tests
    using it change nothing a later test relies on; test_session_fixation.py, which moves journeys
    about, has a world of its own."""
    app = make_world_app(tmp_path_factory, RATELIMIT_ENABLED=False)
    yield build_world(app)
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def database_fingerprint(app: Flask) -> str:
    """A digest of every row of every table: equal before and after means nothing was written."""
    digest = hashlib.sha256()
    with app.app_context():
        for table in db.metadata.sorted_tables:
            rows = db.session.execute(select(table)).all()
            digest.update(f"{table.name}:{sorted(map(repr, rows))}".encode())
        db.session.remove()
    return digest.hexdigest()
