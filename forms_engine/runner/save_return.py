"""Save and come back later: email a single-use link that restores a journey in any browser.

Only the SHA-256 of a link's token is stored. A link works once and until SAVE_RETURN_DAYS after it
was sent; saving again replaces the journey's earlier links (only the newest link works), so there is
at most one live link per journey. Following a link shows a page with a button rather than using the
link at once: mail systems that open links to scan them (Outlook Safe Links and the like) would
otherwise use up a single-use link before its owner clicks it.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urljoin
from zoneinfo import ZoneInfo

from email_validator import EmailNotValidError, validate_email
from flask import Blueprint, Flask, current_app, redirect, render_template, request, session, url_for
from sqlalchemy import delete, select, update

from ..components import messages as component_messages
from ..definitions.model import FormDefinition
from ..extensions import db
from ..i18n import DEFAULT_LANGUAGE, N_, format_date, translate
from ..journey import CompiledPage, Step, journey_for
from ..mail import MailError, OutgoingMail, send_mail
from ..reporting.models import JourneyMetric
from ..submissions.models import JourneyState, SaveToken, UploadedFile
from . import views
from .language import QUERY_PARAMETER, current_language
from .views import ResponseLike

log = logging.getLogger(__name__)
bp = Blueprint("save_return", __name__)

#: The value of the question page's "Save and come back later" button (`name="action"`).
SAVE_ACTION = "save"
UK_TIME = ZoneInfo("Europe/London")

# What the user reads, in one place so it can be translated (the pages' text is in their templates).
EMAIL_REQUIRED = N_("Enter your email address")
EMAIL_FORMAT = component_messages.EMAIL_FORMAT
EMAIL_TOO_LONG = N_("Email address must be 254 characters or less")
SAVE_TITLE = N_("Get a link to come back to your form")
SENT_TITLE = N_("We have sent you a link")
RESUME_TITLE = N_("Continue with your form")
NOT_SENT_TITLE = N_("Sorry, we could not send the email")
PROBLEM_TITLES = {
    "invalid": N_("This link does not work"),
    "used": N_("This link has already been used"),
    "expired": N_("This link has expired"),
    "sent": N_("This form has already been sent"),
}
MAIL_SUBJECT = N_("Continue your form: {form}")
TIME_ON_DATE = N_("{time} on {date}")
ERROR_PREFIX = N_("Error: ")


def _t(message: str) -> str:
    """`message` in this request's language."""
    return translate(message, current_language())


def _form_title(definition: FormDefinition) -> str:
    return definition.title.in_language(current_language())


def hash_token(token: str) -> str:
    """What is stored for a link's token: its SHA-256 in hex."""
    return hashlib.sha256(token.encode()).hexdigest()


def _now() -> datetime:
    return datetime.now(UTC)


def _aware(moment: datetime) -> datetime:
    """SQLite keeps no time zone; every time stored is UTC."""
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def format_uk_time(moment: datetime, language: str = DEFAULT_LANGUAGE) -> str:
    """'3:04pm on 19 December 2026', in UK time, as GOV.UK writes times."""
    local = _aware(moment).astimezone(UK_TIME)
    hour = local.hour % 12 or 12
    clock = f"{hour}{local:%p}".lower() if local.minute == 0 else f"{hour}:{local:%M%p}".lower()
    return translate(TIME_ON_DATE, language).format(time=clock, date=format_date(local.date(), language))


# --- Saving, from the question page ------------------------------------------------------------


def save_and_ask_for_email(
    definition: FormDefinition, page: CompiledPage, state: JourneyState, answers: Mapping[str, Any] | None
) -> ResponseLike:
    """The question page's "Save and come back later": keep the page's `answers` when it had no
    problems (None when it had: then what was stored before stays, so stored answers are never
    lost), then ask for an email address."""
    if answers is not None:
        state.answers = {**state.answers, **answers}
        db.session.commit()
    return ask_for_email(definition, page, saved=answers is not None)


def ask_for_email(definition: FormDefinition, page: CompiledPage, saved: bool) -> ResponseLike:
    """Go to the page asking for an email address, saying whether the page pressed from was saved."""
    if saved:
        url = url_for("save_return.save", slug=definition.slug, page=page.page.slug)
    else:
        url = url_for("save_return.save", slug=definition.slug, page=page.page.slug, unsaved="1")
    return redirect(url, code=303)


@dataclass
class _EmailForm:
    value: str
    error: str | None


def _check_email(value: str) -> _EmailForm:
    value = value.strip()
    if not value:
        return _EmailForm(value, _t(EMAIL_REQUIRED))
    if len(value) > 254:
        return _EmailForm(value, _t(EMAIL_TOO_LONG))
    try:
        normalised = validate_email(value, check_deliverability=False).normalized
    except EmailNotValidError:
        return _EmailForm(value, _t(EMAIL_FORMAT))
    return _EmailForm(normalised, None)


def _return_page(definition: FormDefinition, state: JourneyState) -> Step | None:
    """The page the user pressed "Save and come back later" on, if it is one they may visit."""
    journey = journey_for(definition)
    page = journey.page(request.args.get("page", ""))
    if page is not None and journey.can_visit(page, state.answers):
        return page
    return journey.first_incomplete_page(state.answers)


@bp.route("/<slug>/save", methods=["GET", "POST"])
def save(slug: str) -> ResponseLike:
    opened = views._open_journey(slug)
    if not isinstance(opened, tuple):
        return opened
    definition, state = opened
    email = _EmailForm("", None)
    if request.method == "POST":
        email = _check_email(request.form.get("email", ""))
        if email.error is None:
            return _send_link(definition, state, email.value)
    back = views._page_url(definition, _return_page(definition, state))
    return views._no_store(
        render_template(
            "runner/save.html",
            definition=definition,
            email=email,
            back_url=back,
            unsaved=request.args.get("unsaved") == "1",
            days=current_app.config["SAVE_RETURN_DAYS"],
            page_title=(_t(ERROR_PREFIX) if email.error else "") + _t(SAVE_TITLE),
            heading=_t(SAVE_TITLE),
            service_title=_form_title(definition),
            service_url=url_for("runner.start", slug=slug),
        )
    )


def resume_url(slug: str, token: str) -> str:
    """The link in the email: on BASE_URL when set, so that it never depends on the Host header."""
    path = url_for("save_return.resume", slug=slug, token=token)
    language = current_language()
    if language != DEFAULT_LANGUAGE:
        path = f"{path}?{QUERY_PARAMETER}={language}"  # opens in the language the form was saved in
    base = current_app.config.get("BASE_URL") or request.host_url
    return urljoin(base.rstrip("/") + "/", path.lstrip("/"))


def _send_link(definition: FormDefinition, state: JourneyState, email: str) -> ResponseLike:
    token = secrets.token_urlsafe(32)
    now = _now()
    expires_at = now + timedelta(days=current_app.config["SAVE_RETURN_DAYS"])
    # A new link replaces the journey's earlier ones; sent before committing, so that when the email
    # cannot be sent the earlier links still work.
    db.session.execute(delete(SaveToken).where(SaveToken.journey_id == state.id))
    db.session.add(
        SaveToken(
            journey_id=state.id,
            token_hash=hash_token(token),
            email=email,
            created_at=now,
            expires_at=expires_at,
        )
    )
    db.session.flush()
    url = resume_url(definition.slug, token)
    language = current_language()
    form_title = _form_title(definition)
    expires = format_uk_time(expires_at, language)
    body = render_template(
        "mail/save_return.txt",
        form_title=form_title,
        url=url,
        expires=expires,
        service_name=current_app.config["SERVICE_NAME"],
    )
    try:
        send_mail(
            OutgoingMail(
                to=email,
                subject=_t(MAIL_SUBJECT).format(form=form_title),
                body=body,
                template="save-return-link",
                personalisation={"form": form_title, "url": url, "expires": expires},
            )
        )
    except MailError:
        db.session.rollback()
        log.exception("save and return: could not send the link for a %s journey", definition.slug)
        return views._no_store(
            (
                render_template(
                    "runner/save_not_sent.html",
                    definition=definition,
                    back_url=url_for("save_return.save", slug=definition.slug),
                    page_title=_t(NOT_SENT_TITLE),
                    service_title=form_title,
                    service_url=url_for("runner.start", slug=definition.slug),
                ),
                503,
            )
        )
    db.session.commit()
    return redirect(url_for("save_return.sent", slug=definition.slug), code=303)


@bp.get("/<slug>/save/sent")
def sent(slug: str) -> ResponseLike:
    opened = views._open_journey(slug)
    if not isinstance(opened, tuple):
        return opened
    definition, state = opened
    link = db.session.scalar(
        select(SaveToken)
        .where(SaveToken.journey_id == state.id, SaveToken.used_at.is_(None))
        .order_by(SaveToken.created_at.desc())
        .limit(1)
    )
    if link is None:
        return redirect(url_for("save_return.save", slug=slug))
    journey = journey_for(definition)
    return views._no_store(
        render_template(
            "runner/save_sent.html",
            definition=definition,
            email=link.email,
            expires=format_uk_time(link.expires_at, current_language()),
            continue_url=views._page_url(definition, journey.first_incomplete_page(state.answers)),
            page_title=_t(SENT_TITLE),
            service_title=_form_title(definition),
            service_url=url_for("runner.start", slug=slug),
        )
    )


# --- Coming back, from the link in the email ---------------------------------------------------


def _problem_page(definition: FormDefinition, problem: str) -> ResponseLike:
    status = 404 if problem == "invalid" else 410
    html = render_template(
        "runner/save_link_problem.html",
        definition=definition,
        problem=problem,
        days=current_app.config["SAVE_RETURN_DAYS"],
        start_url=url_for("runner.start", slug=definition.slug),
        page_title=_t(PROBLEM_TITLES[problem]),
        service_title=_form_title(definition),
        service_url=url_for("runner.start", slug=definition.slug),
    )
    return views._no_store((html, status))


def _find_link(slug: str, token: str) -> tuple[SaveToken | None, JourneyState | None, str | None]:
    """The link, its journey, and what is wrong with it (None when it can be used)."""
    link = db.session.scalar(select(SaveToken).where(SaveToken.token_hash == hash_token(token)))
    state = db.session.get(JourneyState, link.journey_id) if link is not None else None
    if link is not None and state is None:
        # Used this very moment by another request, which moved the journey to a new id (see
        # `_rekey_journey`): read the link again to find it, so this one hears "used", not "invalid".
        db.session.refresh(link)
        state = db.session.get(JourneyState, link.journey_id)
    if link is None or state is None or state.form_slug != slug:
        return None, None, "invalid"
    if state.submission_reference:
        return link, state, "sent"
    if link.used_at is not None:
        return link, state, "used"
    if _aware(link.expires_at) <= _now():
        return link, state, "expired"
    return link, state, None


def _rekey_journey(state: JourneyState) -> JourneyState:
    """The journey under a new random id, in the caller's transaction: every browser that knew the
    old id (the one it was saved in, or anyone who copied or planted that cookie) loses it, and only
    the browser that used the link has the new one. The id is the journeys primary key, so the row is
    copied under the new id, its files, links and metric moved to it, and the old row deleted."""
    fresh = JourneyState(
        id=secrets.token_urlsafe(32),
        **{
            column.key: getattr(state, column.key)
            for column in JourneyState.__table__.columns
            if column.key not in ("id", "updated_at")
        },
    )
    db.session.add(fresh)
    db.session.flush()
    for model in (UploadedFile, SaveToken, JourneyMetric):
        db.session.execute(
            update(model)
            .where(model.journey_id == state.id)
            .values(journey_id=fresh.id)
            .execution_options(synchronize_session=False)
        )
    db.session.execute(delete(JourneyState).where(JourneyState.id == state.id))
    db.session.expunge(state)
    return fresh


@bp.route("/<slug>/resume/<token>", methods=["GET", "POST"])
def resume(slug: str, token: str) -> ResponseLike:
    link, state, problem = _find_link(slug, token)
    # The journey carries on with the definition version it started on.
    pinned = views._pinned_definition(slug, state.form_version) if state is not None else None
    definition = pinned or views._definition(slug)
    if problem is not None or link is None or state is None:
        return _problem_page(definition, problem or "invalid")
    if request.method == "GET":
        return views._no_store(
            render_template(
                "runner/resume.html",
                definition=definition,
                saved=format_uk_time(link.created_at, current_language()),
                page_title=_t(RESUME_TITLE),
                service_title=_form_title(definition),
                service_url=url_for("runner.start", slug=slug),
            )
        )
    # Use the link exactly once, even when it is posted twice at the same moment.
    used = db.session.execute(
        update(SaveToken)
        .where(SaveToken.id == link.id, SaveToken.used_at.is_(None))
        .values(used_at=_now())
        .execution_options(synchronize_session=False)
    )
    if getattr(used, "rowcount", 0) != 1:
        db.session.rollback()
        return _problem_page(definition, "used")
    state = _rekey_journey(state)
    db.session.commit()
    journeys = dict(session.get(views.SESSION_KEY, {}))
    journeys[slug] = state.id
    session[views.SESSION_KEY] = journeys
    # A CSRF token known before (say, from a cookie planted in this browser) is useless after.
    session.pop("csrf_token", None)
    target = journey_for(definition).first_incomplete_page(state.answers)
    return redirect(views._page_url(definition, target), code=303)


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
