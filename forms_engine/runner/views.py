"""The citizens' journey: thin views that read the request, ask the journey core, render or redirect."""

from __future__ import annotations

import logging
import secrets
from dataclasses import replace
from typing import Any

from flask import (
    Blueprint,
    Flask,
    Response,
    abort,
    current_app,
    jsonify,
    redirect,
    render_template,
    request,
    send_from_directory,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError, generate_csrf
from sqlalchemy import select, text
from sqlalchemy.exc import SQLAlchemyError
from werkzeug.exceptions import HTTPException
from werkzeug.wrappers import Response as WerkzeugResponse

from ..config import ROOT
from ..definitions.loader import FormRegistry
from ..definitions.model import FormDefinition
from ..extensions import db
from ..journey import CompiledPage, Journey, journey_for
from ..security import csp_nonce
from ..submissions.models import JourneyState, Submission
from ..submissions.service import store_submission
from . import language
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
    db.session.add(state)
    db.session.commit()
    journeys = dict(session.get(SESSION_KEY, {}))
    journeys[definition.slug] = state.id
    session[SESSION_KEY] = journeys
    return state


def _page_url(definition: FormDefinition, page: CompiledPage | None, change: bool = False) -> str:
    if page is None:
        return url_for("runner.check_answers", slug=definition.slug)
    url = url_for("runner.question", slug=definition.slug, page_slug=page.page.slug)
    return f"{url}?return={RETURN_TO_CHECK}" if change else url


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


@bp.get("/healthz")
def healthz() -> ResponseLike:
    try:
        db.session.execute(text("SELECT 1"))
    except SQLAlchemyError:
        log.exception("health check: database did not answer")
        return jsonify(status="unavailable"), 503
    return jsonify(status="ok")


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
    journey = journey_for(definition)
    return redirect(_page_url(definition, journey.first_incomplete_page(state.answers)))


def _require_journey(definition: FormDefinition) -> JourneyState | WerkzeugResponse:
    state = _journey_state(definition)
    if state is None:
        return redirect(url_for("runner.start", slug=definition.slug))
    if state.submission_reference:
        # Sent already (double click, back button): show the same confirmation, store nothing.
        return redirect(url_for("runner.confirmation", slug=definition.slug), code=303)
    return state


@bp.route("/<slug>/<page_slug>", methods=["GET", "POST"])
def question(slug: str, page_slug: str) -> ResponseLike:
    definition = _definition(slug)
    journey = journey_for(definition)
    page = journey.page(page_slug)
    if page is None:
        abort(404)
    state = _require_journey(definition)
    if not isinstance(state, JourneyState):
        return state
    answers = state.answers
    if not journey.can_visit(page, answers):
        return redirect(_page_url(definition, journey.first_incomplete_page(answers)))
    returning = request.args.get("return") == RETURN_TO_CHECK

    if request.method == "POST":
        formdata = {key: request.form.getlist(key) for key in request.form if key != "csrf_token"}
        result = page.validate(formdata, language=current_language())
        if result.is_valid:
            state.answers = {**answers, **result.answers}
            db.session.commit()
            if returning:
                target = journey.first_incomplete_page(state.answers)
            else:
                target = journey.next_page(page, state.answers)
            return redirect(_page_url(definition, target))
        errors = result.errors
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
    ).render(formdata, errors, csp_nonce(), generate_csrf(), back)
    return _no_store(html)


@bp.route("/<slug>/check-answers", methods=["GET", "POST"])
def check_answers(slug: str) -> ResponseLike:
    definition = _definition(slug)
    journey = journey_for(definition)
    state = _require_journey(definition)
    if not isinstance(state, JourneyState):
        return state
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
    key = ("check-answers", slug, definition.version, current_language(), *(p.page.id for p in path))
    html = render_compiled(
        key,
        "runner/check_answers.html",
        values,
        csp_nonce(),
        generate_csrf(),
        definition=definition,
        sections=slotted,
        change_url=lambda page: _page_url(definition, journey.page(page.slug), change=True),
        back_url=_page_url(definition, path[-1]),
        page_title=_("Check your answers before sending your form"),
        service_title=definition.title.in_language(current_language()),
        service_url=url_for("runner.start", slug=slug),
    )
    return _no_store(html)


def _submit(definition: FormDefinition, journey: Journey, state: JourneyState) -> ResponseLike:
    """Re-validate everything, store exactly one submission and show its confirmation."""
    problems = journey.submission_errors(state.answers)
    if problems:
        first = next(p for p in journey.pages_on_path(state.answers) if p.page.slug in problems)
        return redirect(_page_url(definition, first))
    store_submission(state.id, definition, journey.answers_on_path(state.answers))
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
            page_title=_("Form sent"),
            service_title=definition.title.in_language(current_language()),
            service_url=url_for("runner.start", slug=slug),
        )
    )


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
    language.init_app(app)
    app.register_blueprint(bp)
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

    @app.errorhandler(500)
    def _server_error(error: Exception) -> ResponseLike:
        db.session.rollback()
        return _error_page(
            500,
            _("Sorry, there is a problem with the service"),
            _("Try again later. Your saved answers have not been lost."),
        )
