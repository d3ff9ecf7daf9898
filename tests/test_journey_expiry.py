"""Journey expiry: a journey idle for JOURNEY_IDLE_HOURS (24 by default) gets the "Your session has timed
out" page at its next request; its answers are deleted, unless a save-and-return link for it still
works (then the page says to use the link, and the answers wait for it). Time is frozen and moved."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select

from forms_engine.caseworker import clock
from forms_engine.definitions.model import FormDefinition
from forms_engine.extensions import db
from forms_engine.journey import journey_for
from forms_engine.mail import mail_backend
from forms_engine.runner import expiry
from forms_engine.submissions.models import JourneyState, SaveToken, UploadedFile

from .conftest import make_app
from .helpers import BrowserClient, Page, definitions, example_post, location, submit, walk_to_check_answers
from .test_save_return import answer_first_page, example_form, link_in, path_of, resume, save_on, send_link

TIMED_OUT = "Your session has timed out"


class Clock:
    def __init__(self) -> None:
        self.moment = datetime.now(UTC).replace(microsecond=0)

    def __call__(self) -> datetime:
        return self.moment

    def advance(self, **delta: float) -> None:
        self.moment += timedelta(**delta)


@pytest.fixture
def frozen(monkeypatch: pytest.MonkeyPatch) -> Clock:
    moving = Clock()
    monkeypatch.setattr(clock, "now", moving)
    return moving


@pytest.fixture
def any_db(database_url: str) -> Iterator[Flask]:
    from .test_rate_limits import _dispose

    app = make_app(database_url)
    yield app
    _dispose(app, database_url)


def journeys(app: Flask) -> list[JourneyState]:
    with app.app_context():
        found = list(db.session.scalars(select(JourneyState)))
        db.session.expunge_all()
        return found


def main_text(page: Page) -> str:
    main = page.soup.select_one("main")
    assert main is not None
    return main.get_text(" ", strip=True)


def started(app: Flask) -> tuple[FormDefinition, BrowserClient, str]:
    """A browser that answered the first page of the example form; (form, browser, second page)."""
    definition = example_form(app)
    client = BrowserClient(app)
    second = answer_first_page(client, definition)
    return definition, client, second


def test_a_journey_idle_for_23_hours_carries_on(app: Flask, frozen: Clock) -> None:
    _definition, client, second = started(app)
    frozen.advance(hours=23)
    page = client.get(second)
    assert page.status == 200
    assert page.h1 != TIMED_OUT
    frozen.advance(hours=23)  # 46 hours since the start, 23 since the last request
    page = client.get(second)
    assert page.status == 200 and page.h1 != TIMED_OUT
    assert len(journeys(app)) == 1


def test_a_journey_idle_for_24_hours_times_out_and_its_answers_are_deleted(
    any_db: Flask, frozen: Clock
) -> None:
    definition, client, second = started(any_db)
    assert journeys(any_db)[0].answers
    frozen.advance(hours=24)
    page = client.get(second)
    assert page.status == 200
    assert page.h1 == TIMED_OUT
    assert page.title.startswith(TIMED_OUT)
    assert page.response.headers["Cache-Control"] == "no-store"
    text = main_text(page)
    assert "We have deleted your answers because you did not do anything for 24 hours." in text
    start_link = page.soup.select_one("main a.govuk-link")
    assert start_link is not None and start_link["href"] == f"/{definition.slug}/"
    assert start_link.get_text(strip=True) == "Start the form again"
    assert journeys(any_db) == []
    # The page is shown once: after it, the browser has no journey for the form.
    assert location(client.get(second)) == f"/{definition.slug}/"


def test_a_post_after_the_timeout_stores_nothing(app: Flask, frozen: Clock) -> None:
    definition, client, second = started(app)
    client.get(second)
    compiled = journey_for(definition).page(second.rsplit("/", 1)[1])
    assert compiled is not None
    frozen.advance(hours=30)
    page = client.post(second, data=compiled.example())
    assert page.h1 == TIMED_OUT
    assert journeys(app) == []


def test_every_page_of_a_journey_times_out(app: Flask, frozen: Clock) -> None:
    definition = example_form(app)
    for path in ("check-answers", "save", "save/sent"):
        client = BrowserClient(app)
        answer_first_page(client, definition)
        frozen.advance(hours=25)
        page = client.get(f"/{definition.slug}/{path}")
        assert page.h1 == TIMED_OUT, path


def test_the_idle_time_is_configurable_and_zero_turns_expiry_off(database_url: str, frozen: Clock) -> None:
    from .test_rate_limits import _dispose

    for hours, expected in ((1, True), (0, False)):
        app = make_app(database_url, JOURNEY_IDLE_HOURS=hours)
        try:
            _definition, client, second = started(app)
            frozen.advance(hours=2)
            page = client.get(second)
            assert (page.h1 == TIMED_OUT) is expected, hours
            if expected:
                assert "did not do anything for 1 hours" in main_text(page)
        finally:
            _dispose(app, database_url)


def test_a_saved_journey_is_kept_for_its_link_and_the_page_says_to_use_the_email(
    any_db: Flask, frozen: Clock
) -> None:
    definition, client, second = started(any_db)
    second_page = journey_for(definition).page(second.rsplit("/", 1)[1])
    assert second_page is not None
    save_on(client, second, second_page.example())
    send_link(client, definition)
    link = path_of(link_in(mail_backend(any_db).sent[-1]))  # type: ignore[attr-defined]
    answers = journeys(any_db)[0].answers
    frozen.advance(hours=25)
    page = client.get(second)
    assert page.h1 == TIMED_OUT
    text = main_text(page)
    assert "use the link in the email we sent you" in text
    assert "The link works until" in text
    assert "We have deleted your answers" not in text
    # Kept, with its answers and its link, but no longer open in this browser.
    kept = journeys(any_db)
    assert len(kept) == 1 and kept[0].answers == answers
    assert location(client.get(second)) == f"/{definition.slug}/"
    # The link brings the answers back, and the journey carries on (it is not timed out again).
    landed = client.follow(resume(client, link))
    assert landed.status == 200 and landed.h1 != TIMED_OUT
    assert client.get(second).h1 != TIMED_OUT


def test_a_journey_whose_link_has_expired_is_deleted(app: Flask, frozen: Clock) -> None:
    definition, client, second = started(app)
    save_on(client, second, {})
    send_link(client, definition)
    frozen.advance(days=app.config["SAVE_RETURN_DAYS"] + 1)
    page = client.get(second)
    assert page.h1 == TIMED_OUT
    assert "We have deleted your answers" in main_text(page)
    assert journeys(app) == []
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(SaveToken)) == 0


def test_the_expired_journeys_answers_are_shown_to_no_one(app: Flask, frozen: Clock) -> None:
    """A copy of the browser's cookie (another tab, a copied profile) made before the timeout does
    not open the journey afterwards either."""
    definition, client, second = started(app)
    first_path = journey_for(definition).first_page.page.slug
    shown = client.get(f"/{definition.slug}/{first_path}")
    values = [i["value"] for i in shown.soup.select("main input[value]") if i.get("name") != "csrf_token"]
    cookie = client.client.get_cookie("forms_engine_session")
    assert cookie is not None
    copy = BrowserClient(app)
    copy.client.set_cookie("forms_engine_session", cookie.value)
    frozen.advance(hours=24, minutes=1)
    assert client.get(second).h1 == TIMED_OUT
    for browser in (client, copy):
        response = browser.client.get(f"/{definition.slug}/{first_path}")
        assert response.status_code == 302
        body = response.get_data(as_text=True)
        assert not any(value and value in body for value in values)
    assert journeys(app) == []


def test_starting_again_after_a_timeout_works(app: Flask, frozen: Clock) -> None:
    definition, client, second = started(app)
    frozen.advance(hours=48)
    assert client.get(second).h1 == TIMED_OUT
    new_second = answer_first_page(client, definition)
    assert new_second == second
    page = client.get(second)
    assert page.status == 200 and page.h1 != TIMED_OUT
    assert len(journeys(app)) == 1


def test_a_sent_form_does_not_time_out(app: Flask, frozen: Clock) -> None:
    definition = example_form(app)
    client = BrowserClient(app)
    walk_to_check_answers(client, definition)
    confirmation = submit(client, definition)
    assert confirmation.status == 200
    frozen.advance(days=3)
    assert client.get(f"/{definition.slug}/confirmation").status == 200
    assert location(client.get(f"/{definition.slug}/check-answers")) == f"/{definition.slug}/confirmation"
    assert len(journeys(app)) == 1


def test_the_timeout_page_is_in_welsh_on_a_welsh_form(app: Flask, frozen: Clock) -> None:
    definition = next(d for d in definitions(app) if "cy" in d.languages)
    client = BrowserClient(app)
    client.get(f"/{definition.slug}/?lang=cy")
    first = location(client.post(f"/{definition.slug}/start"))
    frozen.advance(hours=24)
    page = client.get(first)
    assert page.soup.html["lang"] == "cy"
    assert page.h1 == "Mae eich sesiwn wedi dod i ben"
    assert "Rydym wedi dileu eich atebion" in main_text(page)


def test_a_timed_out_journeys_files_are_deleted(app: Flask, frozen: Clock) -> None:
    definition, page_with_files = _form_with_files(app)
    client = BrowserClient(app)
    client.get(f"/{definition.slug}/")
    target = location(client.post(f"/{definition.slug}/start"))
    journey = journey_for(definition)
    while target.rsplit("/", 1)[1] != page_with_files:
        compiled = journey.page(target.rsplit("/", 1)[1])
        assert compiled is not None, target
        client.get(target)
        response = client.post(target, data=example_post(compiled))
        assert response.status == 302, response.error_summary()
        target = location(response)
    compiled = journey.page(page_with_files)
    assert compiled is not None
    client.get(target)
    assert client.post(target, data=example_post(compiled)).status == 302
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(UploadedFile)) > 0
    frozen.advance(hours=24)
    assert client.get(target).h1 == TIMED_OUT
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(UploadedFile)) == 0
    assert journeys(app) == []


def _form_with_files(app: Flask) -> tuple[FormDefinition, str]:
    """A form whose path of example answers reaches a page asking for files (not in a repeat)."""
    from .helpers import example_path

    for definition in definitions(app):
        journey = journey_for(definition)
        for step in example_path(definition):
            page: Any = step
            if getattr(page, "page", None) is None or step.page.slug in journey.section_of:
                continue
            if any(handler.takes_files for handler in page.questions):
                return definition, page.page.slug
    pytest.skip("no example form asks for files outside a repeat")


def test_the_seen_time_is_kept_in_the_session_beside_the_journey(app: Flask, frozen: Clock) -> None:
    definition, client, _second = started(app)
    with client.client.session_transaction() as session:
        seen = session[expiry.SEEN_KEY][definition.slug]
        journey_id = session["journeys"][definition.slug]
    assert seen == [journey_id[: expiry.ID_PREFIX], int(frozen.moment.timestamp())]
