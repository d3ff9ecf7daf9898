"""Save and come back later in Chromium: axe on every page of the flow (the save page, its error state,
the link-sent page, the continue page, the page the user lands on, the used, expired, does-not-work
and already-sent link pages, and the could-not-send page), and the whole flow with JavaScript off.

The live server keeps mail in memory (TestConfig's MAIL_BACKEND), so the link is read from there.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import update

from forms_engine.extensions import db
from forms_engine.journey import journey_for
from forms_engine.mail import MailError, OutgoingMail, mail_backend
from forms_engine.runner import save_return
from forms_engine.submissions.models import SaveToken

from .conftest import LiveServer, example_definition, fill_page, path_of, submit_form
from .test_accessibility import AxeChecker

pytestmark = pytest.mark.browser

SLUG = "register-poultry-fewer-than-50-birds"
SAVE_BUTTON = 'main form button[name="action"][value="save"]'
LINK = re.compile(r"https?://\S+/resume/\S+")


@pytest.fixture
def axe(axe_source: str) -> AxeChecker:
    return AxeChecker(axe_source)


def press(page: Any, selector: str) -> None:
    with page.expect_navigation():
        page.click(selector)


def last_link(live_server: LiveServer, address: str) -> str:
    """The path of the link in the last email sent to `address`."""
    sent = mail_backend(live_server.app).sent  # type: ignore[attr-defined]
    message = next(m for m in reversed(sent) if m["To"] == address)
    found = LINK.findall(message.get_body(("plain",)).get_content())
    assert len(found) == 1
    return "/" + found[0].split("/", 3)[3]


def save_after_first_page(page: Any, live_server: LiveServer, address: str) -> str:
    """Start the form, answer the first page, save on the second; the link's path."""
    journey = journey_for(example_definition(live_server, SLUG))
    page.goto(f"/{SLUG}/")
    submit_form(page)
    fill_page(page, journey.first_page.example())
    submit_form(page)
    press(page, SAVE_BUTTON)
    page.fill("#email", address)
    submit_form(page)
    assert path_of(page) == f"/{SLUG}/save/sent"
    return last_link(live_server, address)


def set_expiry(live_server: LiveServer, link: str, when: datetime) -> None:
    token = link.rsplit("/", 1)[1]
    with live_server.app.app_context():
        db.session.execute(
            update(SaveToken)
            .where(SaveToken.token_hash == save_return.hash_token(token))
            .values(expires_at=when)
        )
        db.session.commit()
        db.session.remove()


@pytest.fixture
def failing_mail(live_server: LiveServer) -> Iterator[None]:
    """Make the live server's mail backend fail for one test."""

    class Refusing:
        def send(self, message: OutgoingMail) -> None:
            raise MailError("refused for the test")

    extensions = live_server.app.extensions
    kept = extensions["forms_engine.mail"]
    extensions["forms_engine.mail"] = Refusing()
    try:
        yield
    finally:
        extensions["forms_engine.mail"] = kept


def test_every_save_and_return_page_has_no_accessibility_violations(
    live_server: LiveServer, new_context: Callable[..., Any], axe: AxeChecker
) -> None:
    page = new_context(bypass_csp=True).new_page()
    journey = journey_for(example_definition(live_server, SLUG))
    page.goto(f"/{SLUG}/")
    submit_form(page)
    fill_page(page, journey.first_page.example())
    submit_form(page)
    second = path_of(page)
    axe.check(page, f"question page with the save button {second}")

    # Wrong answers on the page: saved without them, and the save page says so.
    page.fill("main form input:not([type=hidden])", "!" * 3001)
    press(page, SAVE_BUTTON)
    assert path_of(page).startswith(f"/{SLUG}/save?")
    assert page.locator(".govuk-inset-text").count() == 1
    axe.check(page, "save page (page not saved)")
    page.goto(second)
    fill_page(page, journey.pages[1].example())
    press(page, SAVE_BUTTON)
    assert page.locator("h1").inner_text() == save_return.SAVE_TITLE
    axe.check(page, "save page")

    submit_form(page)
    assert page.title().startswith("Error: ")
    assert page.locator(".govuk-error-summary").count() == 1
    axe.check(page, "save page (no email address)")
    page.fill("#email", "not an email address")
    submit_form(page)
    axe.check(page, "save page (wrong email address)")

    page.fill("#email", "axe@example.com")
    submit_form(page)
    assert path_of(page) == f"/{SLUG}/save/sent"
    axe.check(page, "link sent")
    link = last_link(live_server, "axe@example.com")

    other = new_context(bypass_csp=True).new_page()
    assert other.goto(link).status == 200
    axe.check(other, "continue with your form")
    submit_form(other)
    assert path_of(other) == f"/{SLUG}/{journey.pages[2].page.slug}"
    axe.check(other, "page landed on after coming back")

    assert other.goto(link).status == 410
    axe.check(other, "link used")
    assert other.goto(link + "x").status == 404
    axe.check(other, "link does not work")

    expired_link = save_after_first_page(new_context().new_page(), live_server, "expired@example.com")
    set_expiry(live_server, expired_link, datetime.now(UTC) - timedelta(days=1))
    assert other.goto(expired_link).status == 410
    assert other.locator("h1").inner_text() == save_return.PROBLEM_TITLES["expired"]
    axe.check(other, "link expired")

    sender = new_context().new_page()
    sent_link = save_after_first_page(sender, live_server, "sent@example.com")
    press(sender, "main a.govuk-link >> text=carry on with your form")
    finish_form(sender, journey)
    assert path_of(sender) == f"/{SLUG}/confirmation"
    assert other.goto(sent_link).status == 410
    assert other.locator("h1").inner_text() == save_return.PROBLEM_TITLES["sent"]
    axe.check(other, "form already sent")
    axe.assert_clean()


def test_the_could_not_send_page_has_no_accessibility_violations(
    live_server: LiveServer, new_context: Callable[..., Any], axe: AxeChecker, failing_mail: None
) -> None:
    page = new_context(bypass_csp=True).new_page()
    journey = journey_for(example_definition(live_server, SLUG))
    page.goto(f"/{SLUG}/")
    submit_form(page)
    fill_page(page, journey.first_page.example())
    press(page, SAVE_BUTTON)
    page.fill("#email", "unsent@example.com")
    with page.expect_navigation() as navigation:
        page.click("main form button.govuk-button")
    assert navigation.value.status == 503
    assert page.locator("h1").inner_text() == save_return.NOT_SENT_TITLE
    axe.check(page, "could not send the email")
    axe.assert_clean()


def test_save_and_come_back_later_works_without_javascript(
    live_server: LiveServer, new_context: Callable[..., Any]
) -> None:
    journey = journey_for(example_definition(live_server, SLUG))
    page = new_context(java_script_enabled=False).new_page()
    link = save_after_first_page(page, live_server, "nojs@example.com")

    other = new_context(java_script_enabled=False).new_page()
    other.goto(link)
    assert "js-enabled" not in (other.locator("body").get_attribute("class") or "")
    submit_form(other)
    # The second page was saved blank (its question is optional): the third is the first to answer.
    assert path_of(other) == f"/{SLUG}/{journey.pages[2].page.slug}"
    finish_form(other, journey)


def finish_form(page: Any, journey: Any) -> None:
    """From a question page, answer every page left with its example answers and send the form."""
    for _ in journey.pages:
        if path_of(page).endswith("/check-answers"):
            break
        compiled = journey.page(path_of(page).rsplit("/", 1)[1])
        assert compiled is not None, page.url
        fill_page(page, compiled.example())
        submit_form(page)
    assert path_of(page) == f"/{SLUG}/check-answers"
    submit_form(page)
    assert path_of(page) == f"/{SLUG}/confirmation"
