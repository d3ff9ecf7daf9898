"""The citizens' journey: thin views that read the request, ask the journey core, render or redirect."""

from __future__ import annotations

import logging
import secrets
from dataclasses import replace
from typing import Any

import sqlalchemy.exc
from flask import (
    Blueprint,
    Flask,
    Response,
    abort,
    current_app,
    make_response,
    redirect,
    render_template,
    request,
    send_from_directory,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError, generate_csrf
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from werkzeug.exceptions import HTTPException
from werkzeug.wrappers import Response as WerkzeugResponse

from ..config import ROOT
from ..definitions.loader import FormRegistry, validate_definition_data
from ..definitions.model import FormDefinition, build_definition
from ..extensions import db
from ..journey import AnswerRow, Journey, RepeatSection, Step, journey_for
from ..reporting import feedback, metrics
from ..security import csp_nonce
from ..submissions.models import FormVersion, JourneyState, Submission
from ..submissions.service import store_submission
from . import language, uploads
from .language import current_language
from .pages import init_chrome, page_view, render_compiled
from .rendering import slot

log = logging.getLogger(__name__)
bp = Blueprint("runner", __name__)
SESSION_KEY = "journeys"
RETURN_TO_CHECK = "check"

ResponseLike = Response | WerkzeugResponse | str | tuple[Any, int]


def _registry() -> FormRegistry:
    from .. import form_registry

    return form_registry(current_app)


def _definition(slug: str) -> FormDefinition:
    definition = _registry().get(slug)
    if definition is None:
        abort(404)
    return definition


def _journey_state(definition: FormDefinition) -> JourneyState | None:
    """The journey this browser has for the form, if any."""
    journey_id = session.get(SESSION_KEY, {}).get(definition.slug)
    if not journey_id:
        return None
    return db.session.get(JourneyState, journey_id)


def _start_journey(definition: FormDefinition) -> JourneyState:
    state = JourneyState(
        id=secrets.token_urlsafe(32),
        form_slug=definition.slug,
        form_version=definition.version,
        answers={},
    )
    _record_version(definition)
    db.session.add(state)
    metrics.record_journey_started(state)
    db.session.commit()
    journeys = dict(session.get(SESSION_KEY, {}))
    journeys[definition.slug] = state.id
    session[SESSION_KEY] = journeys
    return state


def _page_url(definition: FormDefinition, page: Step | None, change: bool = False) -> str:
    if page is None:
        return url_for("runner.check_answers", slug=definition.slug)
    if isinstance(page, RepeatSection):
        return url_for("runner.repeat_summary", slug=definition.slug, repeat_id=page.repeat.id)
    url = url_for("runner.question", slug=definition.slug, page_slug=page.page.slug)
    return f"{url}?return={RETURN_TO_CHECK}" if change else url


def _change_url(definition: FormDefinition, journey: Journey, row: AnswerRow) -> str:
    """Where a Change link on check answers goes: the page (of the item), then back to check answers."""
    if row.item is not None:
        url = url_for("runner.repeat_item", slug=definition.slug, page_slug=row.page.slug, item=row.item)
        return f"{url}?return={RETURN_TO_CHECK}"
    return _page_url(definition, journey.page(row.page.slug), change=True)


def _no_store(response: ResponseLike) -> Response:
    """Pages showing answers must never be kept by a browser or proxy cache."""
    resp = current_app.make_response(response)
    resp.headers["Cache-Control"] = "no-store"
    return resp


@bp.get("/")
def index() -> ResponseLike:
    registry = _registry()
    forms = sorted(registry.forms.values(), key=lambda d: str(d.title))
    return render_template(
        "runner/index.html", forms=forms, unavailable=sorted(registry.unavailable), page_title="Forms"
    )


@bp.get("/<slug>/")
def start(slug: str) -> ResponseLike:
    definition = _definition(slug)
    return render_compiled(
        ("start", slug, definition.version, current_language()),
        "runner/start.html",
        {},
        csp_nonce(),
        generate_csrf(),
        definition=definition,
        page_title=definition.title.in_language(current_language()),
        service_title=None,
        first_page_url=url_for("runner.begin", slug=slug),
    )


@bp.post("/<slug>/start")
def begin(slug: str) -> ResponseLike:
    """Start now: continue this browser's journey, or start a new one after a submission."""
    definition = _definition(slug)
    state = _journey_state(definition)
    if state is None or state.submission_reference:
        state = _start_journey(definition)
    else:
        definition = _pinned_definition(slug, state.form_version) or definition
    journey = journey_for(definition)
    return redirect(_page_url(definition, journey.first_incomplete_page(state.answers)))


def _require_journey(definition: FormDefinition) -> JourneyState | WerkzeugResponse:
    """The browser's journey for the form, or a redirect (to the start or the confirmation)."""
    opened = _open_journey(definition.slug)
    return opened[1] if isinstance(opened, tuple) else opened


def _record_version(definition: FormDefinition) -> None:
    """Keep a copy of the definition version a journey starts on, so it can finish on it."""
    if db.session.get(FormVersion, (definition.slug, definition.version)) is not None:
        return
    try:
        with db.session.begin_nested():
            db.session.add(
                FormVersion(
                    slug=definition.slug, version=definition.version, definition=dict(definition.source)
                )
            )
    except IntegrityError:
        pass  # another request recorded it first


def _pinned_definition(slug: str, version: str) -> FormDefinition | None:
    """The definition version a journey started on: in memory, or from the versions table."""
    registry = _registry()
    definition = registry.get(slug, version)
    if definition is not None:
        return definition
    row = db.session.get(FormVersion, (slug, version))
    if row is None or validate_definition_data(row.definition):
        return None
    definition = build_definition(row.definition)
    registry.remember(definition)
    return definition


def _open_journey(slug: str) -> tuple[FormDefinition, JourneyState] | WerkzeugResponse:
    """The browser's journey for a form and the definition version it is on, or where to go instead."""
    current = _registry().get(slug)
    journey_id = session.get(SESSION_KEY, {}).get(slug)
    state = db.session.get(JourneyState, journey_id) if journey_id else None
    if state is None or state.form_slug != slug:
        if current is None:
            abort(404)
        return redirect(url_for("runner.start", slug=slug))
    if state.submission_reference:
        # Sent already (double click, back button): show the same confirmation, store nothing.
        return redirect(url_for("runner.confirmation", slug=slug), code=303)
    definition = _pinned_definition(slug, state.form_version)
    if definition is None:
        # The version is lost (never recorded): carry on with the current one, re-validating all.
        if current is None:
            abort(404)
        definition = current
        state.form_version = current.version
    return definition, state


@bp.route("/<slug>/<page_slug>", methods=["GET", "POST"])
def question(slug: str, page_slug: str) -> ResponseLike:
    opened = _open_journey(slug)
    if not isinstance(opened, tuple):
        current = _registry().get(slug)
        if current is not None and journey_for(current).page(page_slug) is None:
            abort(404)
        return opened
    definition, state = opened
    journey = journey_for(definition)
    page = journey.page(page_slug)
    if page is None:
        abort(404)
    section = journey.section_of.get(page_slug)
    if section is not None:
        # A repeated page is asked per item: /<slug>/<page>/<item>; the summary knows which.
        return redirect(_page_url(definition, section))
    answers = state.answers
    if not journey.can_visit(page, answers):
        return redirect(_page_url(definition, journey.first_incomplete_page(answers)))
    returning = request.args.get("return") == RETURN_TO_CHECK

    if request.method == "POST" and page.page.exit:
        return redirect(_page_url(definition, page))
    if request.method == "POST":
        formdata = {key: request.form.getlist(key) for key in request.form if key != "csrf_token"}
        upload = uploads.receive(page, state, formdata, current_language())
        if upload.response is not None:
            return upload.response
        result = page.validate(formdata, answers, current_language())
        if request.form.get("action") == "save":
            from .save_return import save_and_ask_for_email

            saved = result.answers if result.is_valid and not upload.errors else None
            return save_and_ask_for_email(definition, page, state, saved)
        if result.is_valid and not upload.errors:
            state.answers = {**answers, **result.answers}
            metrics.record_page_seen(state.id, page.page.path, commit=False)
            db.session.commit()
            if returning:
                target = journey.first_incomplete_page(state.answers)
            else:
                target = journey.next_page(page, state.answers)
            return redirect(_page_url(definition, target))
        errors = {**result.errors, **upload.errors}
    else:
        formdata = page.formdata(answers)
        errors = {}

    previous = journey.previous_page(page, answers)
    if returning:
        back = url_for("runner.check_answers", slug=slug)
    elif previous is not None:
        back = _page_url(definition, previous)
    else:
        back = url_for("runner.start", slug=slug)
    html = page_view(
        definition, page, current_language(), current_app.extensions["forms_engine.chrome"]
    ).render(formdata, errors, csp_nonce(), generate_csrf(), back, answers)
    metrics.record_page_seen(state.id, page.page.path)
    return _no_store(html)


@bp.route("/<slug>/check-answers", methods=["GET", "POST"])
def check_answers(slug: str) -> ResponseLike:
    opened = _open_journey(slug)
    if not isinstance(opened, tuple):
        return opened
    definition, state = opened
    journey = journey_for(definition)
    incomplete = journey.first_incomplete_page(state.answers)
    if incomplete is not None:
        return redirect(_page_url(definition, incomplete))
    if request.method == "POST":
        return _submit(definition, journey, state)
    path = journey.pages_on_path(state.answers)
    sections = journey.check_answer_sections(state.answers, current_language())
    # The page's structure depends on the path taken; the answers are filled in per request.
    values: dict[str, str] = {}
    slotted = []
    for section in sections:
        rows = []
        for row in section.rows:
            name = f"answer:{len(values)}"
            values[name] = row.value
            rows.append(replace(row, value=slot(name)))
        slotted.append(replace(section, rows=rows))
    # Which rows there are (and so the page's structure) follows from the path and the repeat items.
    key = (
        "check-answers",
        slug,
        definition.version,
        current_language(),
        *(f"{r.page.id}/{r.handler.name}/{r.item}" for s in sections for r in s.rows),
    )
    html = render_compiled(
        key,
        "runner/check_answers.html",
        values,
        csp_nonce(),
        generate_csrf(),
        definition=definition,
        sections=slotted,
        change_url=lambda row: _change_url(definition, journey, row),
        back_url=_page_url(definition, path[-1]),
        page_title=_("Check your answers before sending your form"),
        service_title=definition.title.in_language(current_language()),
        service_url=url_for("runner.start", slug=slug),
    )
    metrics.record_page_seen(state.id, metrics.CHECK_ANSWERS_PAGE)
    return _no_store(html)


def _submit(definition: FormDefinition, journey: Journey, state: JourneyState) -> ResponseLike:
    """Re-validate everything, store exactly one submission and show its confirmation."""
    problems = journey.submission_errors(state.answers)
    if problems:
        first = next(p for p in journey.pages_on_path(state.answers) if p.page.slug in problems)
        return redirect(_page_url(definition, first))
    store_submission(state.id, definition, journey.answers_on_path(state.answers), current_language())
    return redirect(url_for("runner.confirmation", slug=definition.slug), code=303)


@bp.get("/<slug>/confirmation")
def confirmation(slug: str) -> ResponseLike:
    definition = _definition(slug)
    state = _journey_state(definition)
    if state is None or not state.submission_reference:
        return redirect(url_for("runner.start", slug=slug))
    submission = db.session.scalar(
        select(Submission).where(Submission.reference == state.submission_reference)
    )
    return _no_store(
        render_template(
            "runner/confirmation.html",
            definition=definition,
            reference=state.submission_reference,
            submission=submission,
            feedback=feedback.feedback_form(slug, state.id),
            page_title=_("Form sent"),
            service_title=definition.title.in_language(current_language()),
            service_url=url_for("runner.start", slug=slug),
        )
    )


@bp.get("/<slug>/confirmation/receipt.pdf")
def receipt(slug: str) -> ResponseLike:
    """The PDF receipt, only for the browser whose journey sent the form (anyone else: 404). Made
    from the stored submission and its definition snapshot, never from the registry, so it stays
    the same when the form's definition changes."""
    from ..submissions.receipts import render_receipt  # WeasyPrint is heavy: load it when first needed

    journey_id = session.get(SESSION_KEY, {}).get(slug)
    state = db.session.get(JourneyState, journey_id) if journey_id else None
    if state is None or state.form_slug != slug or not state.submission_reference:
        abort(404)
    submission = db.session.scalar(
        select(Submission).where(
            Submission.reference == state.submission_reference, Submission.journey_id == state.id
        )
    )
    if submission is None:
        abort(404)
    response = _no_store(Response(render_receipt(submission), mimetype="application/pdf"))
    response.headers["Content-Disposition"] = f'attachment; filename="{slug}-{submission.reference}.pdf"'
    return response


#: What the 503 page asks browsers and clients to wait before trying again when the database is down.
DATABASE_RETRY_AFTER_SECONDS = 30


def _error_page(status: int, title: str, message: str) -> tuple[str, int]:
    return render_template("errors/error.html", page_title=title, message=message), status


def send_asset(filename: str) -> ResponseLike:
    """GOV.UK Frontend's files: its CSS refers to fonts and images under /assets."""
    base = ROOT / "static" / "govuk"
    for folder in (base / "assets", base):
        if (folder / filename).is_file():
            return send_from_directory(folder, filename, max_age=86400)
    abort(404)


def init_app(app: Flask) -> None:
    from . import save_return

    language.init_app(app)
    app.register_blueprint(bp)
    uploads.init_app(app)
    save_return.init_app(app)
    from . import repeats

    repeats.init_app(app)
    feedback.init_app(app)
    app.add_url_rule("/assets/<path:filename>", "assets", send_asset)
    app.extensions["forms_engine.chrome"] = init_chrome(app)

    @app.errorhandler(CSRFError)
    def _csrf_error(error: CSRFError) -> ResponseLike:
        return _error_page(
            400,
            _("Sorry, there is a problem with the service"),
            _(
                "We could not accept that form because the page had expired or was sent twice. "
                "Go back, refresh the page and try again. Your saved answers have not been lost."
            ),
        )

    @app.errorhandler(404)
    def _not_found(error: HTTPException) -> ResponseLike:
        return _error_page(404, _("Page not found"), _("If you typed the web address, check it is correct."))

    @app.errorhandler(405)
    def _not_allowed(error: HTTPException) -> ResponseLike:
        return _error_page(405, _("Page not found"), _("This page cannot be used in that way."))

    @app.errorhandler(413)
    def _too_large(error: HTTPException) -> ResponseLike:
        uploads.discard_request_body()
        return _error_page(
            413,
            _("What you sent was too large"),
            _("Go back and send less information, or fewer or smaller files."),
        )

    @app.errorhandler(400)
    def _bad_request(error: HTTPException) -> ResponseLike:
        return _error_page(
            400,
            _("Sorry, there is a problem with the service"),
            _("We could not understand what your browser sent. Go back and try again."),
        )

    @app.errorhandler(sqlalchemy.exc.OperationalError)
    @app.errorhandler(sqlalchemy.exc.InterfaceError)
    @app.errorhandler(sqlalchemy.exc.TimeoutError)
    def _database_unavailable(error: Exception) -> ResponseLike:
        """The database cannot be reached (restarting, failed over, out of connections): GOV.UK's
        'service unavailable' page with a 503 and Retry-After, rather than a 500. Nothing the user
        sent before is lost: answers are stored only when the database accepts them."""
        log.error("database unavailable: %s", type(error).__name__, exc_info=error)
        try:
            db.session.rollback()
        except sqlalchemy.exc.SQLAlchemyError:
            log.warning("rollback after a database error failed too", exc_info=True)
        response = make_response(
            _error_page(
                503,
                _("Sorry, the service is unavailable"),
                _("Try again later. Your saved answers have not been lost."),
            )
        )
        response.headers["Retry-After"] = str(DATABASE_RETRY_AFTER_SECONDS)
        return response

    @app.errorhandler(500)
    def _server_error(error: Exception) -> ResponseLike:
        db.session.rollback()
        return _error_page(
            500,
            _("Sorry, there is a problem with the service"),
            _("Try again later. Your saved answers have not been lost."),
        )
