"""The satisfaction question on the confirmation page in Chromium: axe-core on the question, its
error state and the thanks (English and Welsh), and answering it with JavaScript off."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from forms_engine import form_registry
from tests.helpers import BrowserClient, submit, walk_to_check_answers

from .conftest import LiveServer, path_of
from .test_accessibility import AxeChecker

pytestmark = pytest.mark.browser

POULTRY = "register-poultry-fewer-than-50-birds"
BADGER = "badger-sett-development-licence"


@pytest.fixture
def axe(axe_source: str) -> AxeChecker:
    return AxeChecker(axe_source)


def sent_journey_page(
    live_server: LiveServer, new_context: Callable[..., Any], slug: str, **options: Any
) -> Any:
    """A Chromium page whose browser has just sent `slug` (walked over HTTP, then the session cookie
    handed to the browser)."""
    client = BrowserClient(live_server.app)
    definition = form_registry(live_server.app).get(slug)
    assert definition is not None
    walk_to_check_answers(client, definition)
    submit(client, definition)
    cookie = client.client.get_cookie(live_server.app.config["SESSION_COOKIE_NAME"])
    context = new_context(**options)
    context.add_cookies([{"name": cookie.key, "value": cookie.value, "url": live_server.url}])
    return context.new_page()


def press(page: Any, selector: str) -> None:
    with page.expect_navigation():
        page.click(selector)


FEEDBACK_BUTTON = "#feedback form button"


@pytest.mark.parametrize(("slug", "query"), [(BADGER, ""), (POULTRY, "?lang=cy")])
def test_the_question_its_errors_and_the_thanks_have_no_accessibility_violations(
    live_server: LiveServer, new_context: Callable[..., Any], axe: AxeChecker, slug: str, query: str
) -> None:
    page = sent_journey_page(live_server, new_context, slug, bypass_csp=True)
    assert page.goto(f"/{slug}/confirmation{query}").status == 200
    assert page.locator("#feedback input[type=radio]").count() == 5
    axe.check(page, f"{slug} confirmation with the question")
    page.fill("#comment", "x" * 1201)
    press(page, FEEDBACK_BUTTON)
    assert page.locator(".govuk-error-summary a").count() == 2
    axe.check(page, f"{slug} question errors")
    page.check("#rating-2")
    page.fill("#comment", "Clear questions.")
    press(page, FEEDBACK_BUTTON)
    assert path_of(page) == f"/{slug}/confirmation"
    assert page.locator("#feedback form").count() == 0
    axe.check(page, f"{slug} thanks")
    axe.assert_clean()


def test_feedback_is_given_with_javascript_off(
    live_server: LiveServer, new_context: Callable[..., Any]
) -> None:
    page = sent_journey_page(live_server, new_context, BADGER, java_script_enabled=False)
    page.goto(f"/{BADGER}/confirmation")
    press(page, FEEDBACK_BUTTON)
    assert page.locator(".govuk-error-summary").count() == 1
    assert page.title().startswith("Error: ")
    page.check("#rating")
    press(page, FEEDBACK_BUTTON)
    assert page.locator("#feedback h2").inner_text() == "Thank you for your feedback"
