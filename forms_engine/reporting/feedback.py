"""The optional satisfaction question on a form's confirmation page (GOV.UK's "Overall, how did you
feel about the service you received today?", with a comment), for the conversion report.

Only the browser whose journey sent the form can answer it, once per journey (Feedback.journey_id is
unique). It is sent to its own route, POST /<slug>/feedback: with a problem the confirmation page is
shown again with a GOV.UK error summary; otherwise post/redirect/get back to the confirmation page,
which then thanks the user instead of asking. Feedback is anonymous: no link to the submission is
shown anywhere, and the journey id is kept only to refuse a second answer.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from flask import Blueprint, Flask, abort, g, redirect, request, session, url_for
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from werkzeug.wrappers import Response as WerkzeugResponse

from ..components.text import _character_count_texts
from ..extensions import db
from ..i18n import N_, translate
from ..runner.language import current_language
from ..submissions.models import JourneyState
from .models import SATISFACTION_RATINGS, Feedback

bp = Blueprint("feedback", __name__)

#: The longest comment accepted (GOV.UK's feedback pages use 1,200 characters).
COMMENT_MAX_LENGTH = 1200

QUESTION = N_("Overall, how did you feel about the service you received today?")
#: A label for each of SATISFACTION_RATINGS, in the same order.
RATING_LABELS: dict[str, str] = {
    "very-satisfied": N_("Very satisfied"),
    "satisfied": N_("Satisfied"),
    "neither": N_("Neither satisfied or dissatisfied"),
    "dissatisfied": N_("Dissatisfied"),
    "very-dissatisfied": N_("Very dissatisfied"),
}
RATING_REQUIRED = N_("Select how you feel about the service you received today")
COMMENT_TOO_LONG = N_("Your comments must be {count} characters or less")

#: The form's field names: the first radio's id is the rating's, as the error summary links to it.
RATING_FIELD = "rating"
COMMENT_FIELD = "comment"


@dataclass
class FeedbackForm:
    """What the confirmation page needs to show the question, what was sent, or the thanks."""

    given: bool
    rating: str = ""
    comment: str = ""
    errors: dict[str, str] = field(default_factory=dict)
    ratings: list[tuple[str, str]] = field(default_factory=list)
    character_count: dict[str, Any] = field(default_factory=dict)
    action: str = ""


def _normalise(comment: str) -> str:
    # Browsers post line breaks as CRLF but GOV.UK's character count counts them as one.
    return comment.replace("\r\n", "\n").replace("\r", "\n").strip()


def check_feedback(form: Mapping[str, str], language: str) -> tuple[str, str, dict[str, str]]:
    """The rating, the comment and any errors (field -> message in `language`) of a sent form."""
    rating = form.get(RATING_FIELD, "")
    comment = _normalise(form.get(COMMENT_FIELD, ""))
    errors: dict[str, str] = {}
    if rating not in SATISFACTION_RATINGS:
        rating = ""
        errors[RATING_FIELD] = translate(RATING_REQUIRED, language)
    if len(comment) > COMMENT_MAX_LENGTH:
        errors[COMMENT_FIELD] = translate(COMMENT_TOO_LONG, language).format(count=f"{COMMENT_MAX_LENGTH:,}")
    return rating, comment, errors


def feedback_given(journey_id: str) -> bool:
    return db.session.scalar(select(Feedback.id).where(Feedback.journey_id == journey_id)) is not None


def store_feedback(form_slug: str, journey_id: str, rating: str, comment: str) -> bool:
    """Store a journey's feedback; False when the journey had already given it (a double click)."""
    db.session.add(Feedback(form_slug=form_slug, journey_id=journey_id, rating=rating, comment=comment))
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        return False
    return True


def feedback_form(slug: str, journey_id: str) -> FeedbackForm:
    """The feedback part of a sent journey's confirmation page: the thanks once given; otherwise the
    question, with what was just sent and its errors when the confirmation page is shown again."""
    if feedback_given(journey_id):
        return FeedbackForm(given=True)
    language = current_language()
    sent: FeedbackForm | None = g.get("feedback_sent")
    form = sent or FeedbackForm(given=False)
    form.ratings = [(key, translate(RATING_LABELS[key], language)) for key in SATISFACTION_RATINGS]
    form.character_count = {"maxlength": COMMENT_MAX_LENGTH, **_character_count_texts(language, "characters")}
    form.action = url_for("feedback.give_feedback", slug=slug)
    return form


def _sent_journey(slug: str) -> JourneyState:
    """This browser's journey for the form, if it has been sent; otherwise 404."""
    from ..runner.views import SESSION_KEY

    journey_id = session.get(SESSION_KEY, {}).get(slug)
    state = db.session.get(JourneyState, journey_id) if journey_id else None
    if state is None or state.form_slug != slug or not state.submission_reference:
        abort(404)
    return state


@bp.post("/<slug>/feedback")
def give_feedback(slug: str) -> Any:
    """Take the answer to the satisfaction question, once per sent journey."""
    from ..runner import views

    state = _sent_journey(slug)
    thanks = url_for("runner.confirmation", slug=slug, _anchor="feedback")
    if feedback_given(state.id):
        return redirect(thanks, code=303)
    rating, comment, errors = check_feedback(request.form, current_language())
    if errors:
        g.feedback_sent = FeedbackForm(given=False, rating=rating, comment=comment, errors=errors)
        return views.confirmation(slug)
    store_feedback(slug, state.id, rating, comment)
    response: WerkzeugResponse = redirect(thanks, code=303)
    return response


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
