"""The optional satisfaction question on the confirmation page, over HTTP: asked, answered once per
journey by the browser that sent the form, errors in a GOV.UK error summary, English and Welsh."""

# ruff: noqa: RUF001 - Welsh text is written with the typographic apostrophe (U+2019), as GOV.UK does.

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from forms_engine.definitions.loader import RESERVED_PATHS
from forms_engine.extensions import db
from forms_engine.reporting.models import SATISFACTION_RATINGS, Feedback
from forms_engine.submissions.models import JourneyState

from ..helpers import BrowserClient, Page, definitions, submit, walk_to_check_answers

POULTRY = "register-poultry-fewer-than-50-birds"


def feedback_rows(app: Flask) -> list[dict[str, Any]]:
    with app.app_context():
        rows = [
            {"form_slug": f.form_slug, "rating": f.rating, "comment": f.comment, "journey_id": f.journey_id}
            for f in db.session.scalars(select(Feedback).order_by(Feedback.id))
        ]
        db.session.remove()
        return rows


def journey_ids(app: Flask) -> list[str]:
    with app.app_context():
        ids = list(db.session.scalars(select(JourneyState.id)))
        db.session.remove()
        return ids


def sent_form(app: Flask, slug: str | None = None, query: str = "") -> tuple[BrowserClient, str, Page]:
    """A browser that has sent a form, its slug, and its confirmation page."""
    definition = next(d for d in definitions(app) if slug in (None, d.slug))
    client = BrowserClient(app)
    if query:
        client.get(f"/{definition.slug}/{query}")
    walk_to_check_answers(client, definition)
    return client, definition.slug, submit(client, definition)


def test_the_confirmation_page_asks_the_optional_question_with_five_answers_and_a_comment(app: Flask) -> None:
    _client, slug, page = sent_form(app)
    section = page.soup.select_one("#feedback")
    assert section is not None
    form = section.select_one("form")
    assert form["action"] == f"/{slug}/feedback" and form["method"] == "post"
    legend = form.select_one("fieldset legend").get_text(strip=True)
    assert legend == "Overall, how did you feel about the service you received today?"
    radios = [
        (r["value"], form.select_one(f"label[for={r['id']}]").get_text(strip=True))
        for r in form.select("input[type=radio]")
    ]
    assert radios == [
        ("very-satisfied", "Very satisfied"),
        ("satisfied", "Satisfied"),
        ("neither", "Neither satisfied or dissatisfied"),
        ("dissatisfied", "Dissatisfied"),
        ("very-dissatisfied", "Very dissatisfied"),
    ]
    assert [value for value, _ in radios] == list(SATISFACTION_RATINGS)
    assert form.select_one("input[type=radio]")["id"] == "rating"
    count = form.select_one(".govuk-character-count")
    assert count["data-maxlength"] == "1200"
    textarea = count.select_one("textarea#comment")
    assert textarea["name"] == "comment"
    assert "personal or financial information" in count.select_one(".govuk-hint").get_text()
    assert form.select_one("input[name=csrf_token]") is not None
    assert page.soup.select(".govuk-error-summary") == []


def test_answering_redirects_to_the_thanks_and_stores_one_anonymous_row(app: Flask) -> None:
    client, slug, _page = sent_form(app)
    response = client.post(
        f"/{slug}/feedback", {"rating": "satisfied", "comment": " Quicker than paper.\r\nThanks "}
    )
    assert response.status == 303
    assert response.response.headers["Location"].endswith(f"/{slug}/confirmation#feedback")
    [row] = feedback_rows(app)
    assert row == {
        "form_slug": slug,
        "rating": "satisfied",
        "comment": "Quicker than paper.\nThanks",
        "journey_id": journey_ids(app)[0],
    }
    thanks = client.follow(response)
    assert thanks.status == 200
    section = thanks.soup.select_one("#feedback")
    assert section.select_one("h2").get_text(strip=True) == "Thank you for your feedback"
    assert section.select("form") == []
    assert thanks.soup.select_one(".govuk-panel__title").get_text(strip=True) == "Form sent"


def test_a_journey_gives_feedback_once(app: Flask) -> None:
    client, slug, _page = sent_form(app)
    client.post(f"/{slug}/feedback", {"rating": "very-dissatisfied"})
    again = client.post(f"/{slug}/feedback", {"rating": "very-satisfied", "comment": "changed my mind"})
    assert again.status == 303
    assert [row["rating"] for row in feedback_rows(app)] == ["very-dissatisfied"]


def test_no_rating_shows_the_error_summary_and_keeps_the_comment(app: Flask) -> None:
    client, slug, _page = sent_form(app)
    page = client.post(f"/{slug}/feedback", {"comment": "It was fine"})
    assert page.status == 200
    assert page.title.startswith("Error: Form sent")
    assert page.error_summary() == [("#rating", "Select how you feel about the service you received today")]
    assert page.error_messages() == ["Select how you feel about the service you received today"]
    assert page.soup.select_one("textarea#comment").get_text() == "It was fine"
    assert page.soup.select_one(".govuk-panel__title").get_text(strip=True) == "Form sent"
    assert feedback_rows(app) == []
    fixed = client.post(f"/{slug}/feedback", {"rating": "neither", "comment": "It was fine"})
    assert fixed.status == 303
    assert feedback_rows(app)[0]["rating"] == "neither"


@pytest.mark.parametrize(
    ("data", "errors"),
    [
        ({"rating": "delighted"}, ["#rating"]),
        ({"rating": "satisfied", "comment": "x" * 1201}, ["#comment"]),
        ({"comment": "x" * 1201}, ["#rating", "#comment"]),
    ],
)
def test_an_unknown_rating_or_a_long_comment_is_refused(
    app: Flask, data: dict[str, str], errors: list[str]
) -> None:
    client, slug, _page = sent_form(app)
    page = client.post(f"/{slug}/feedback", data)
    assert page.status == 200
    assert [href for href, _ in page.error_summary()] == errors
    if "#comment" in errors:
        assert "Your comments must be 1,200 characters or less" in page.error_messages()
    kept = [radio["value"] for radio in page.soup.select("input[type=radio][checked]")]
    assert kept == ([data["rating"]] if data.get("rating") in SATISFACTION_RATINGS else [])
    assert feedback_rows(app) == []


def test_a_comment_of_1200_characters_with_line_breaks_is_accepted(app: Flask) -> None:
    client, slug, _page = sent_form(app)
    comment = ("y" * 99 + "\r\n") * 12  # 1,200 characters as the page counts them, 1,212 as sent
    assert client.post(f"/{slug}/feedback", {"rating": "satisfied", "comment": comment}).status == 303
    assert len(feedback_rows(app)[0]["comment"]) == 1199  # the last line break is trimmed


def test_only_the_browser_that_sent_the_form_can_answer(app: Flask) -> None:
    _client, slug, _page = sent_form(app)
    stranger = BrowserClient(app)
    stranger.get(f"/{slug}/")
    assert stranger.post(f"/{slug}/feedback", {"rating": "satisfied"}).status == 404
    started = BrowserClient(app)
    started.get(f"/{slug}/")
    started.post(f"/{slug}/start")
    started.get(f"/{slug}/")
    assert started.post(f"/{slug}/feedback", {"rating": "satisfied"}).status == 404
    assert feedback_rows(app) == []


def test_feedback_without_the_csrf_token_is_refused(app: Flask) -> None:
    client, slug, _page = sent_form(app)
    assert client.post(f"/{slug}/feedback", {"rating": "satisfied"}, csrf=False).status == 400
    assert feedback_rows(app) == []


def test_the_question_and_its_errors_are_in_welsh(app: Flask) -> None:
    client, slug, page = sent_form(app, POULTRY, "?lang=cy")
    legend = page.soup.select_one("#feedback fieldset legend").get_text(strip=True)
    assert legend == "Yn gyffredinol, sut oeddech chi’n teimlo am y gwasanaeth a gawsoch heddiw?"
    labels = [label.get_text(strip=True) for label in page.soup.select("#feedback .govuk-radios__label")]
    assert labels == ["Bodlon iawn", "Bodlon", "Ddim yn fodlon nac yn anfodlon", "Anfodlon", "Anfodlon iawn"]
    assert page.soup.select_one("#feedback button").get_text(strip=True) == "Anfon adborth"
    error = client.post(f"/{slug}/feedback", {"comment": "x" * 1201})
    assert (
        error.soup.select_one(".govuk-error-summary__title").get_text(strip=True) == "Mae problem wedi codi"
    )
    assert [text for _, text in error.error_summary()] == [
        "Dewiswch sut rydych chi’n teimlo am y gwasanaeth a gawsoch heddiw",
        "Rhaid i’ch sylwadau fod yn 1,200 nod neu lai",
    ]
    thanks = client.follow(client.post(f"/{slug}/feedback", {"rating": "satisfied"}))
    assert thanks.soup.select_one("#feedback h2").get_text(strip=True) == "Diolch am eich adborth"


def test_no_form_page_can_take_the_feedback_path() -> None:
    assert "/feedback" in RESERVED_PATHS
