"""The caseworker screens in Chromium: axe-core (WCAG 2.2 AA and best-practice tags, no rule
disabled) on the forms list, a form's submissions (with pages, filters, and their error states),
a submission (and its error state and history), and the work done with JavaScript off."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from forms_engine import form_registry
from forms_engine.extensions import limiter
from tests.caseworker.conftest import PASSWORD, create_user
from tests.caseworker.test_screens import copy_submission
from tests.helpers import BrowserClient, submit, walk_to_check_answers

from .conftest import LiveServer, path_of
from .test_accessibility import AxeChecker

pytestmark = pytest.mark.browser

POULTRY = "register-poultry-fewer-than-50-birds"
BADGER = "badger-sett-development-licence"
EMAIL = "screens-axe@example.gov.uk"


@pytest.fixture
def axe(axe_source: str) -> AxeChecker:
    return AxeChecker(axe_source)


@pytest.fixture(autouse=True)
def fresh_rate_limits() -> Iterator[None]:
    """Sign-in is rate limited per IP, and every browser test signs in from 127.0.0.1 on the one live
    server of the session: without this, a test's sign-in depends on how many came before it."""
    limiter.reset()
    yield
    limiter.reset()


def send(live_server: LiveServer, slug: str) -> str:
    client = BrowserClient(live_server.app)
    definition = form_registry(live_server.app).get(slug)
    assert definition is not None
    walk_to_check_answers(client, definition)
    confirmation = submit(client, definition)
    reference = confirmation.soup.select_one(".govuk-panel__body strong")
    assert reference is not None
    return reference.get_text(strip=True)


def press(page: Any, selector: str) -> None:
    with page.expect_navigation():
        page.click(selector)


def sign_in(page: Any) -> None:
    page.goto("/caseworker/sign-in")
    page.fill("#email", EMAIL)
    page.fill("#password", PASSWORD)
    press(page, "main form button[type=submit]")
    assert path_of(page) == "/caseworker/"


def test_every_caseworker_screen_has_no_accessibility_violations(
    live_server: LiveServer, new_context: Callable[..., Any], axe: AxeChecker
) -> None:
    badger = send(live_server, BADGER)
    poultry = send(live_server, POULTRY)
    start = datetime(2026, 2, 1, 9, 30, tzinfo=UTC)
    for n in range(26):  # more than a page of them
        copy_submission(live_server.app, POULTRY, poultry, start + timedelta(hours=n))
    create_user(live_server.app, email=EMAIL, organisation=None, forms=[BADGER, POULTRY])
    page = new_context(bypass_csp=True).new_page()
    sign_in(page)
    axe.check(page, "forms")

    page.goto(f"/caseworker/forms/{POULTRY}/")
    assert page.locator(".govuk-pagination").count() == 1
    axe.check(page, "submissions (first page)")
    page.goto(f"/caseworker/forms/{POULTRY}/?page=2")
    axe.check(page, "submissions (second page)")
    page.goto(f"/caseworker/forms/{POULTRY}/?from-day=31&from-month=2&from-year=2026&reference=nope")
    assert page.locator(".govuk-error-summary").count() == 1
    axe.check(page, "submissions (filter errors, no results)")
    page.goto(f"/caseworker/forms/{POULTRY}/")
    press(page, "main form[method=post] button[type=submit]")
    assert page.locator(".govuk-error-summary").count() == 1
    axe.check(page, "submissions (bulk change errors)")

    page.goto(f"/caseworker/submissions/{badger}")
    axe.check(page, "submission")
    page.fill("#note", "x" * 2001)
    press(page, "main form button[type=submit]")
    assert page.title().startswith("Error: ")
    axe.check(page, "submission (note too long)")
    page.check("#status-2")
    page.fill("#note", "Site visit booked.")
    press(page, "main form button[type=submit]")
    assert page.locator(".govuk-notification-banner--success").count() == 1
    axe.check(page, "submission (status changed, history)")


def test_a_caseworker_can_do_their_work_without_javascript(
    live_server: LiveServer, new_context: Callable[..., Any]
) -> None:
    reference = send(live_server, POULTRY)
    create_user(live_server.app, email="screens-nojs@example.gov.uk", organisation=None, forms=[POULTRY])
    page = new_context(java_script_enabled=False).new_page()
    page.goto("/caseworker/sign-in")
    page.fill("#email", "screens-nojs@example.gov.uk")
    page.fill("#password", PASSWORD)
    press(page, "main form button[type=submit]")

    page.goto(f"/caseworker/forms/{POULTRY}/?reference={reference}")
    page.check(f"#select-{reference}")
    page.check("#bulk-status-3")  # Done
    press(page, "main form[method=post] button[type=submit]")
    assert "1 submission marked as Done" in str(page.locator(".govuk-notification-banner").text_content())

    page.goto(f"/caseworker/submissions/{reference}")
    page.fill("#note", "Checked without JavaScript.")
    press(page, "main form button[type=submit]")
    assert "Checked without JavaScript." in str(page.locator("#history").text_content())
    with page.expect_download() as download:
        page.click("#receipt")
    assert download.value.suggested_filename.endswith(f"{reference}.pdf")
