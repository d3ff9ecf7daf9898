"""Every journey works with JavaScript switched off: GOV.UK Frontend's scripts only enhance."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import select

from forms_engine.extensions import db
from forms_engine.journey import journey_for
from forms_engine.submissions.models import Submission

from .conftest import LiveServer, example_definition, fill_page, path_of, submit_form

#: The shortest example form.
SLUG = "register-poultry-fewer-than-50-birds"

pytestmark = pytest.mark.browser


@pytest.fixture
def page(new_context: Callable[..., Any]) -> Any:
    return new_context(java_script_enabled=False).new_page()


def test_a_whole_form_can_be_completed_and_sent_without_javascript(
    page: Any, live_server: LiveServer
) -> None:
    definition = example_definition(live_server, SLUG)
    journey = journey_for(definition)
    page.goto(f"/{SLUG}/")
    assert "js-enabled" not in (page.locator("body").get_attribute("class") or "")
    submit_form(page)

    for expected in journey.pages:
        assert path_of(page) == f"/{SLUG}/{expected.page.slug}"
        fill_page(page, expected.example())
        submit_form(page)
    assert path_of(page) == f"/{SLUG}/check-answers"
    assert page.locator(".govuk-summary-list__row").count() == len(
        [q for p in journey.pages for q in p.questions]
    )

    submit_form(page)
    assert path_of(page) == f"/{SLUG}/confirmation"
    panel = page.locator(".govuk-panel")
    assert panel.locator("h1").inner_text().strip() == "Form sent"
    reference = panel.locator("strong").inner_text().strip()
    assert re.fullmatch(r"[A-Z0-9]{4}(-[A-Z0-9]{4})+", reference), reference
    with live_server.app.app_context():
        submission = db.session.scalar(select(Submission).where(Submission.reference == reference))
        assert submission is not None
        assert submission.form_slug == SLUG
        db.session.remove()


def test_the_error_summary_appears_without_javascript(page: Any, live_server: LiveServer) -> None:
    first = journey_for(example_definition(live_server, SLUG)).first_page
    page.goto(f"/{SLUG}/")
    submit_form(page)
    url = path_of(page)
    assert url == f"/{SLUG}/{first.page.slug}"

    submit_form(page)
    assert path_of(page) == url
    assert page.title().startswith("Error: ")
    summary = page.locator(".govuk-error-summary")
    assert summary.is_visible()
    assert summary.locator("h2").inner_text().strip() == "There is a problem"
    links = summary.locator(".govuk-error-summary__list a")
    assert links.count() == len(first.questions)
    for link in links.all():
        target = page.locator(link.get_attribute("href"))
        assert target.count() == 1 and target.is_visible()
    assert page.locator(".govuk-error-message").first.is_visible()
