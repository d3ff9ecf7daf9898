"""Journey expiry: a journey left idle for JOURNEY_IDLE_HOURS is closed at its next request, with a
"Your session has timed out" page.

A journey is idle from this browser's last request for it (kept in the signed session cookie beside
the journey id, so reading pages counts as doing something and costs no database write). When it
times out, its answers and files are deleted, unless a save-and-return link for it still works: then
it is only taken from this browser, and its answers wait for the link (and for the retention purge,
which keeps drafts with a working link too).
"""

from __future__ import annotations

import logging
from typing import Any

from flask import Flask, current_app, render_template, request, session, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from sqlalchemy import delete, select

from ..caseworker import clock
from ..extensions import db
from ..submissions.models import JourneyState, SaveToken, UploadedFile, as_utc
from . import uploads, views
from .language import current_language
from .save_return import format_uk_time

log = logging.getLogger(__name__)
#: Session key: {form slug: [start of the journey id, last request (seconds since the epoch)]}.
SEEN_KEY = "journeys_seen"
#: How much of a journey id the cookie keeps beside the time (enough to tell journeys apart).
ID_PREFIX = 16
#: Requests closer together than this do not rewrite the cookie.
TOUCH_EVERY = 60
BLUEPRINTS = {views.bp.name, "save_return"}
#: Requests that do not continue a draft: the start page, a sent form's pages, a save-and-return
#: link (which replaces this browser's journey).
NOT_CHECKED = {"runner.start", "runner.confirmation", "runner.receipt", "save_return.resume"}


def _idle_seconds() -> float:
    return float(current_app.config.get("JOURNEY_IDLE_HOURS") or 0) * 3600


def _hours() -> str:
    hours = float(current_app.config.get("JOURNEY_IDLE_HOURS") or 0)
    return str(int(hours)) if hours.is_integer() else str(hours)


def _slug() -> str | None:
    if request.blueprint not in BLUEPRINTS or request.endpoint in NOT_CHECKED:
        return None
    slug = (request.view_args or {}).get("slug")
    return slug if isinstance(slug, str) else None


def _journey_id(slug: str) -> str | None:
    journeys = session.get(views.SESSION_KEY)
    journey_id = journeys.get(slug) if isinstance(journeys, dict) else None
    return journey_id if isinstance(journey_id, str) and journey_id else None


def _last_seen(slug: str, journey_id: str) -> float | None:
    seen = session.get(SEEN_KEY)
    entry: Any = seen.get(slug) if isinstance(seen, dict) else None
    if (
        isinstance(entry, list)
        and len(entry) == 2
        and entry[0] == journey_id[:ID_PREFIX]
        and isinstance(entry[1], int | float)
    ):
        return float(entry[1])
    return None


def check_idle() -> ResponseReturnValue | None:
    """Before a request for a draft: the timed-out page when it has been idle too long."""
    slug = _slug()
    idle = _idle_seconds()
    if slug is None or idle <= 0:
        return None
    journey_id = _journey_id(slug)
    if journey_id is None:
        return None
    last = _last_seen(slug, journey_id)
    # No time for this journey yet (it came in by another route): it counts from this request.
    if last is None or clock.now().timestamp() - last < idle:
        return None
    state = db.session.get(JourneyState, journey_id)
    if state is None or state.submission_reference:
        return None  # gone or sent: the page itself says what to do
    return time_out(slug, state)


def _forget(slug: str) -> None:
    for key in (views.SESSION_KEY, SEEN_KEY):
        entries = session.get(key)
        if isinstance(entries, dict) and slug in entries:
            session[key] = {k: v for k, v in entries.items() if k != slug}


def _live_link(state: JourneyState) -> SaveToken | None:
    return db.session.scalar(
        select(SaveToken)
        .where(
            SaveToken.journey_id == state.id, SaveToken.used_at.is_(None), SaveToken.expires_at > clock.now()
        )
        .order_by(SaveToken.expires_at.desc())
        .limit(1)
    )


def delete_journey(state: JourneyState) -> bool:
    """Delete a draft with its files and spent links; False (and only its answers emptied) when a
    file could not be deleted, so that the retention purge tries again later."""
    store = uploads.file_store()
    files = db.session.scalars(select(UploadedFile).where(UploadedFile.journey_id == state.id)).all()
    try:
        for record in files:
            store.delete(record.storage_key)
    except OSError:
        log.exception("journey expiry: could not delete a file of a %s journey", state.form_slug)
        state.answers = {}
        db.session.commit()
        return False
    for statement in (
        delete(UploadedFile).where(UploadedFile.journey_id == state.id),
        delete(SaveToken).where(SaveToken.journey_id == state.id),
        delete(JourneyState).where(JourneyState.id == state.id),
    ):
        db.session.execute(statement.execution_options(synchronize_session=False))
    db.session.commit()
    db.session.expunge(state)
    return True


def time_out(slug: str, state: JourneyState) -> ResponseReturnValue:
    """Close the journey on this browser (deleting it unless a save-and-return link still works) and
    say so."""
    definition = views._pinned_definition(slug, state.form_version) or views._registry().get(slug)
    link = _live_link(state)
    expires = format_uk_time(as_utc(link.expires_at), current_language()) if link is not None else None
    if link is None:
        delete_journey(state)
    _forget(slug)
    log.info("journey expiry: a %s journey timed out (%s)", slug, "kept for its link" if link else "deleted")
    html = render_template(
        "runner/timed_out.html",
        page_title=_("Your session has timed out"),
        saved=link is not None,
        expires=expires,
        hours=_hours(),
        start_url=url_for("runner.start", slug=slug),
        service_title=definition.title.in_language(current_language()) if definition else None,
        service_url=url_for("runner.start", slug=slug) if definition else None,
    )
    return views._no_store(html)


def touch(response: Any) -> Any:
    """After a request for a form: this browser's journey for it was used now."""
    slug = (request.view_args or {}).get("slug") if request.blueprint in BLUEPRINTS else None
    if not isinstance(slug, str):
        return response
    journey_id = _journey_id(slug)
    if journey_id is None:
        return response
    now = clock.now().timestamp()
    last = _last_seen(slug, journey_id)
    if last is None or now - last >= TOUCH_EVERY:
        seen = session.get(SEEN_KEY)
        updated = dict(seen) if isinstance(seen, dict) else {}
        updated[slug] = [journey_id[:ID_PREFIX], int(now)]
        session[SEEN_KEY] = updated
    return response


def init_app(app: Flask) -> None:
    app.before_request(check_idle)
    app.after_request(touch)
