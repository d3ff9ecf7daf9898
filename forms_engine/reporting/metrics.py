"""Journey metrics for the conversion report: when a journey started, the last page it was shown or
sent, and when it was submitted. One row per journey, keyed by the journey's id, with no answers.

Recording is cheap and can never break a journey: starting adds one row to the journey's own
transaction; a page shown or sent is one UPDATE by primary key (no SELECT); being submitted is one
UPDATE in the transaction that stores the submission. A failed metric write is logged and dropped,
inside a savepoint when it shares a transaction with the journey's own changes.
"""

from __future__ import annotations

import logging

from sqlalchemy import update
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.sql.dml import Update

from ..extensions import db
from ..submissions.models import JourneyState, utcnow
from .models import JourneyMetric

log = logging.getLogger(__name__)

#: What `last_page` holds for the pages that are not a definition's own pages.
CHECK_ANSWERS_PAGE = "/check-answers"


def repeat_summary_page(repeat_id: str) -> str:
    """`last_page` for a repeat's "add another" summary."""
    return f"/repeat/{repeat_id}"


def record_journey_started(state: JourneyState) -> None:
    """Insert the metric row for a journey being created (added to the session, not yet committed):
    in a savepoint of the journey's transaction, committed with the journey itself."""
    now = utcnow()
    try:
        with db.session.begin_nested():
            db.session.add(
                JourneyMetric(
                    journey_id=state.id,
                    form_slug=state.form_slug,
                    started_at=now,
                    last_page=None,
                    last_seen_at=now,
                )
            )
    except SQLAlchemyError:
        log.warning("journey metric not recorded (started)", exc_info=True)


def _run(statement: Update, what: str, *, commit: bool) -> None:
    """Execute one metric UPDATE. With `commit`, on its own (a page view writes nothing else);
    without, in a savepoint of the caller's transaction, which the caller commits."""
    try:
        if commit:
            db.session.execute(statement)
            db.session.commit()
        else:
            with db.session.begin_nested():
                db.session.execute(statement)
    except SQLAlchemyError:
        if commit:
            db.session.rollback()
        # The journey's id is its bearer secret: never logged.
        log.warning("journey metric not recorded (%s)", what, exc_info=True)


def record_page_seen(journey_id: str, page: str, *, commit: bool = True) -> None:
    """The journey was shown, or sent, `page` (a page's path such as '/name', or CHECK_ANSWERS_PAGE).

    With `commit` (a GET: nothing else to save) the UPDATE is committed at once; otherwise it joins
    the caller's transaction (a POST saving answers: one commit for both)."""
    statement = (
        update(JourneyMetric)
        .where(JourneyMetric.journey_id == journey_id)
        .values(last_page=page[:80], last_seen_at=utcnow())
    )
    _run(statement, "page", commit=commit)


def record_submitted(journey_id: str) -> None:
    """The journey's submission is being stored: call inside that transaction, before its commit,
    so the metric says submitted exactly when a submission exists. Only the first time counts."""
    now = utcnow()
    statement = (
        update(JourneyMetric)
        .where(JourneyMetric.journey_id == journey_id, JourneyMetric.submitted_at.is_(None))
        .values(submitted_at=now, last_seen_at=now)
    )
    _run(statement, "submitted", commit=False)
