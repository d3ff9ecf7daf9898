"""Input no one types by hand, on SQLite and on PostgreSQL: NUL characters (PostgreSQL refuses them
in any text, so they reached the database as a 500), ids beyond the integer columns' range, and
dates at the edge of the calendar. Each gets a GOV.UK page (an error summary, the 400 page or the
404 page), never a 500; nothing is changed and nothing recorded by a refused request."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pytest
from flask import Flask
from sqlalchemy import func, select

from forms_engine.caseworker.models import AuditEvent
from forms_engine.extensions import db
from forms_engine.submissions.models import Submission

from ..helpers import BrowserClient, Page, location
from .conftest import FrozenClock, create_user, enter_code, sign_in
from .test_screens import POULTRY, send

SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
FORM = f"/caseworker/forms/{POULTRY}/"


@dataclass
class Case:
    method: str
    url: str
    status: int
    data: dict[str, str] | None = None
    check: Callable[[Page], object] | None = None


def no_errors(page: Page) -> None:
    assert page.error_summary() == [], page.error_summary()


def year_error(page: Page) -> None:
    assert page.error_summary() == [("#from-year", "Year must include 4 numbers")]


def real_date_error(page: Page) -> None:
    assert page.error_summary() == [("#from-day", "Date from must be a real date")]


def caseworker_cases(reference: str) -> list[Case]:
    return [
        Case("GET", FORM + "?reference=%00", 400),
        Case("GET", FORM + "?status=%00", 400),
        Case("GET", FORM + "?from-day=%00&from-month=1&from-year=2026", 400),
        Case("GET", FORM + "?%00=1", 400),
        Case("GET", FORM + "export.csv?reference=%00", 400),
        Case("GET", "/caseworker/submissions/%00", 404),
        Case("GET", f"/caseworker/submissions/{reference}%00", 404),
        Case("GET", f"/caseworker/submissions/{reference}/files/%00", 404),
        Case("GET", f"/caseworker/submissions/{reference}/receipt.pdf?x=%00", 400),
        # The last day there is: a real date, with no day after it to count up to.
        Case("GET", FORM + "?to-day=31&to-month=12&to-year=9999", 200, check=no_errors),
        Case("GET", FORM + "export.csv?to-day=31&to-month=12&to-year=9999", 200),
        Case("GET", FORM + "?from-day=1&from-month=1&from-year=0001", 200, check=no_errors),
        Case("GET", FORM + "?from-day=1&from-month=1&from-year=99999999999", 200, check=year_error),
        Case("GET", FORM + "?from-day=1&from-month=1&from-year=" + "9" * 400, 200, check=year_error),
        Case("GET", FORM + "?from-day=1_0&from-month=1&from-year=2026", 200, check=real_date_error),
        Case("GET", FORM + "?from-day=%D9%A3&from-month=1&from-year=2026", 200, check=real_date_error),
        Case("GET", FORM + "?from-day=-1&from-month=1&from-year=2026", 200, check=real_date_error),
        Case("GET", FORM + "?page=-1", 200),
        Case("GET", FORM + "?page=abc", 200),
        Case("GET", FORM + "?page=" + "9" * 40, 200),
        Case("GET", FORM + "?page=%C2%B2", 200),
        Case("GET", FORM + "?status=lost&status=", 200, check=no_errors),
        Case("POST", FORM + "status", 400, {"status": "done", "reference": "\x00"}),
        Case("POST", FORM + "status", 400, {"status": "do\x00ne", "reference": reference}),
        Case(
            "POST", f"/caseworker/submissions/{reference}/status", 400, {"status": "done", "note": "a\x00b"}
        ),
        Case("POST", f"/caseworker/submissions/{reference}/status", 400, {"note": "\x00"}),
    ]


ADMIN_CASES = [
    Case("GET", "/caseworker/audit?email=%00", 400),
    Case("GET", "/caseworker/audit/export.csv?email=%00", 400),
    Case("GET", "/caseworker/audit?to-day=31&to-month=12&to-year=9999", 200, check=no_errors),
    Case("GET", "/caseworker/accounts/2147483648", 404),
    Case("GET", "/caseworker/accounts/" + "9" * 30, 404),
    Case("GET", "/caseworker/accounts/" + "9" * 30 + "/edit", 404),
    Case("POST", "/caseworker/accounts/" + "9" * 30 + "/disable", 404, {}),
    Case("POST", "/caseworker/accounts/2147483648/reset-password", 404, {}),
    Case("POST", "/caseworker/accounts/new", 400, {"email": "new\x00@example.gov.uk", "role": "caseworker"}),
]


def run(client: BrowserClient, cases: list[Case]) -> list[str]:
    """Every case; a line for each that did not answer as expected."""
    wrong = []
    for case in cases:
        if case.method == "GET":
            page = client.get(case.url)
        else:
            client.get("/caseworker/")  # a fresh CSRF token
            page = client.post(case.url, case.data)
        if page.status != case.status:
            wrong.append(f"{case.method} {case.url[:80]!r} {case.data!r}: {page.status}, not {case.status}")
            continue
        if page.status in (400, 404) and "text/html" in page.response.content_type:
            assert page.soup.select_one("h1") is not None  # the GOV.UK error page
        if case.check is not None:
            case.check(page)
    return wrong


def last_event_and_statuses(app: Flask) -> tuple[int, list[str]]:
    with app.app_context():
        last = db.session.scalar(select(func.max(AuditEvent.id))) or 0
        statuses = list(db.session.scalars(select(Submission.status).order_by(Submission.id)))
        db.session.remove()
        return last, statuses


def actions_after(app: Flask, event_id: int) -> list[str]:
    with app.app_context():
        actions = list(db.session.scalars(select(AuditEvent.action).where(AuditEvent.id > event_id)))
        db.session.remove()
        return actions


def test_hostile_filters_addresses_and_forms_never_reach_the_database_as_a_500(
    any_db_app: Flask, frozen_clock: FrozenClock
) -> None:
    app = any_db_app
    reference = send(app, POULTRY)
    create_user(app, "apha@example.gov.uk", organisation="APHA")
    create_user(app, "ada@example.gov.uk", role="admin", organisation=None, totp_secret=SECRET)

    caseworker = BrowserClient(app)
    assert location(sign_in(caseworker, "apha@example.gov.uk")) == "/caseworker/"
    admin = BrowserClient(app)
    assert location(sign_in(admin, "ada@example.gov.uk")) == "/caseworker/sign-in/security-code"
    assert location(enter_code(admin, SECRET, frozen_clock.moment)) == "/caseworker/"
    last_event, statuses = last_event_and_statuses(app)

    wrong = run(caseworker, caseworker_cases(reference)) + run(admin, ADMIN_CASES)

    assert wrong == []
    assert statuses == last_event_and_statuses(app)[1] == ["new"]
    # Only the export that went ahead (the CSV up to 31 December 9999) was recorded.
    assert actions_after(app, last_event) == ["export"]


@pytest.mark.parametrize("email", ["\x00", "ada\x00@example.gov.uk"])
def test_a_nul_character_in_the_sign_in_form_gets_the_400_page(any_db_app: Flask, email: str) -> None:
    client = BrowserClient(any_db_app)
    client.get("/caseworker/sign-in")
    page = client.post("/caseworker/sign-in", {"email": email, "password": "x"})
    assert page.status == 400
    assert page.h1 == "Sorry, there is a problem with the service"
