"""The designer pages under /designer/: each form with its versions, validation and lint status,
a read-only preview of any version, and the journey map.

For accounts with the designer or admin role, signed in through the caseworker sign-in (others get
404, signed-out browsers the sign-in page). English only, `Cache-Control: no-store`.

Preview of a version is a read-only page listing every page of that version, each rendered through
the components' own GOV.UK macros as the runner renders them, with its condition in words. It never
starts a journey, so it can never store a submission that reaches caseworkers or deliveries (the
live, click-through preview is the `forms-engine preview` development server, with a database of
its own: see preview.py).
"""

from __future__ import annotations

import importlib
import logging
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask import Blueprint, Flask, Response, abort, current_app, render_template, request, url_for
from markupsafe import Markup
from sqlalchemy import func, select
from werkzeug.wrappers import Response as WerkzeugResponse

from .. import form_registry
from ..caseworker import auth
from ..components import LiteralView
from ..definitions.loader import FormRegistry, definition_warnings, validate_definition_data
from ..definitions.model import FormDefinition, build_definition, definition_version
from ..extensions import db
from ..journey import journey_for
from ..submissions.models import FormVersion, as_utc
from .journey_map import ConditionDescriber, journey_graph, render_svg, route_rows
from .scaffold import SLUG_MAX_LENGTH, SLUG_PATTERN

log = logging.getLogger(__name__)
bp = Blueprint("designer", __name__, url_prefix="/designer")
ROLES = ("designer", "admin")
LINT_MODULE = "forms_engine.designer.lint"
#: Checks remembered per definition version (a content hash, so they never go stale).
CHECK_CACHE_SIZE = 512

ResponseLike = Response | WerkzeugResponse | str | tuple[str, int]


# -- validation and lint -------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Finding:
    """One thing to fix in a definition, from validation or from lint, at a JSON path."""

    source: str  # validation | lint
    level: str  # error | warning
    rule: str
    path: str
    message: str
    fix: str = ""


@dataclass(frozen=True)
class Check:
    """Validation and lint findings for one definition version."""

    validation: tuple[Finding, ...]
    #: None when lint did not run: not available in this installation, or the definition is invalid.
    lint: tuple[Finding, ...] | None
    #: Why lint did not run, in words.
    lint_note: str = ""

    @property
    def valid(self) -> bool:
        return not any(f.level == "error" for f in self.validation)

    @property
    def findings(self) -> tuple[Finding, ...]:
        return self.validation + (self.lint or ())

    def count(self, level: str, source: str | None = None) -> int:
        return sum(1 for f in self.findings if f.level == level and source in (None, f.source))

    def summary(self, source: str) -> str:
        """'2 errors, 1 warning' or 'No problems' for one source."""
        if source == "lint" and self.lint is None:
            return self.lint_note
        errors, warnings = self.count("error", source), self.count("warning", source)
        if not errors and not warnings:
            return "No problems"
        parts = []
        if errors:
            parts.append(f"{errors} error{'s' if errors != 1 else ''}")
        if warnings:
            parts.append(f"{warnings} warning{'s' if warnings != 1 else ''}")
        return ", ".join(parts)


def lint_function() -> Callable[[Any], Iterable[Any]] | None:
    """`lint_definition` from the lint module, or None while this installation has none."""
    try:
        module = importlib.import_module(LINT_MODULE)
    except ModuleNotFoundError as exc:
        if exc.name != LINT_MODULE:
            raise
        return None
    function: Callable[[Any], Iterable[Any]] | None = getattr(module, "lint_definition", None)
    return function


def _lint(data: Any) -> tuple[Finding, ...] | None:
    lint = lint_function()
    if lint is None:
        return None
    try:
        results = list(lint(data))
    except Exception as exc:  # a rule failing must not take the designer pages down
        log.exception("lint failed")
        return (Finding("lint", "error", "lint-failed", "$", f"Lint could not run: {exc}"),)
    return tuple(
        Finding(
            "lint",
            str(getattr(found, "level", "warning")),
            str(getattr(found, "rule", "")),
            str(getattr(found, "path", "$")),
            str(getattr(found, "message", "")),
            str(getattr(found, "fix", "") or ""),
        )
        for found in results
    )


_checks: dict[str, Check] = {}


def check_definition(data: Any) -> Check:
    """Validate a definition's JSON (errors stop it being served; warnings do not) and lint it."""
    key = definition_version(data) if isinstance(data, Mapping) else repr(data)
    found = _checks.get(key)
    if found is not None:
        return found
    problems = validate_definition_data(data)
    validation = tuple(Finding("validation", "error", "invalid", p.path, p.message) for p in problems)
    available = lint_function() is not None
    if problems:
        note = "Not run: fix the validation errors first" if available else "Not available"
        check = Check(validation, None, note)
    elif available:
        # Lint reports the warnings `validate` prints (missing translations) itself.
        check = Check(validation, _lint(data))
    else:
        warnings = tuple(
            Finding("validation", "warning", "translation", p.path, p.message)
            for p in definition_warnings(data)
        )
        check = Check(validation + warnings, None, "Not available")
    if len(_checks) >= CHECK_CACHE_SIZE:
        _checks.clear()
    _checks[key] = check
    return check


# -- versions --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Version:
    """A version of a form: the one offered now, or one a journey started on (form_versions)."""

    slug: str
    version: str
    data: Mapping[str, Any]
    current: bool
    first_seen: datetime | None
    check: Check
    definition: FormDefinition | None

    @property
    def short(self) -> str:
        return self.version[:12]

    @property
    def title(self) -> str:
        if self.definition is not None:
            return str(self.definition.title)
        title = self.data.get("title")
        if isinstance(title, Mapping):
            title = title.get("en")
        return str(title or self.slug)


def _registry() -> FormRegistry:
    return form_registry(current_app._get_current_object())  # type: ignore[attr-defined]


def form_versions(slug: str) -> list[Version]:
    """The form's current version first, then earlier ones newest first."""
    registry = _registry()
    current = registry.get(slug)
    rows = db.session.scalars(
        select(FormVersion).where(FormVersion.slug == slug).order_by(FormVersion.first_seen.desc())
    ).all()
    seen = {row.version: row for row in rows}
    versions = []
    if current is not None:
        row = seen.get(current.version)
        versions.append(
            Version(
                slug,
                current.version,
                current.source,
                True,
                as_utc(row.first_seen) if row is not None else None,
                check_definition(dict(current.source)),
                current,
            )
        )
    for row in rows:
        if current is not None and row.version == current.version:
            continue
        check = check_definition(row.definition)
        definition = registry.get(slug, row.version)
        if definition is None and check.valid:
            definition = build_definition(row.definition)
        versions.append(
            Version(slug, row.version, row.definition, False, as_utc(row.first_seen), check, definition)
        )
    return versions


def _versions_or_404(slug: str) -> list[Version]:
    # Only a slug a definition could have is looked up: PostgreSQL refuses text with a NUL byte
    # (/designer/%00/map was a 500 there), and no stored version has any other slug.
    if not SLUG_PATTERN.fullmatch(slug) or len(slug) > SLUG_MAX_LENGTH:
        abort(404)
    versions = form_versions(slug)
    if not versions:
        abort(404)
    return versions


def _version_or_404(slug: str, version: str | None) -> Version:
    versions = _versions_or_404(slug)
    if version is None:
        return versions[0]
    for entry in versions:
        if entry.version == version:
            return entry
    abort(404)


def _usable(entry: Version) -> FormDefinition:
    """The version's definition, or 404 when it no longer passes validation."""
    if entry.definition is None:
        abort(404)
    return entry.definition


def _earlier_forms(registry: FormRegistry) -> list[str]:
    """Forms no longer offered whose versions are still kept for journeys and submissions."""
    slugs = db.session.scalars(select(FormVersion.slug).distinct()).all()
    return sorted(slug for slug in slugs if slug not in registry.forms)


# -- pages -----------------------------------------------------------------------------------------


@bp.get("/")
@auth.login_required(*ROLES)
def index() -> ResponseLike:
    registry = _registry()
    forms = []
    for definition in sorted(registry.forms.values(), key=lambda d: str(d.title)):
        count = db.session.scalar(
            select(func.count()).select_from(FormVersion).where(FormVersion.slug == definition.slug)
        )
        recorded = db.session.get(FormVersion, (definition.slug, definition.version)) is not None
        forms.append(
            {
                "definition": definition,
                "check": check_definition(dict(definition.source)),
                "versions": (count or 0) + (0 if recorded else 1),
            }
        )
    unavailable = sorted(registry.unavailable.items())
    return render_template(
        "designer/index.html",
        page_title="Form design",
        forms=forms,
        unavailable=unavailable,
        earlier=_earlier_forms(registry),
        lint_available=lint_function() is not None,
    )


@bp.get("/<slug>/")
@auth.login_required(*ROLES)
def form(slug: str) -> ResponseLike:
    versions = _versions_or_404(slug)
    latest = versions[0]
    return render_template(
        "designer/form.html",
        page_title=latest.title,
        slug=slug,
        latest=latest,
        versions=versions,
        offered=latest.current,
    )


def _map_context(slug: str) -> tuple[Version, FormDefinition]:
    entry = _version_or_404(slug, request.args.get("version") or None)
    return entry, _usable(entry)


@bp.get("/<slug>/map")
@auth.login_required(*ROLES)
def journey_map(slug: str) -> ResponseLike:
    entry, definition = _map_context(slug)
    graph = journey_graph(definition)
    return render_template(
        "designer/map.html",
        page_title=f"Journey map: {definition.title}",
        entry=entry,
        graph=graph,
        # render_svg escapes every text it draws (titles and conditions come from designers).
        svg=Markup(render_svg(graph)),
        routes=route_rows(graph),
    )


@bp.get("/<slug>/map.svg")
@auth.login_required(*ROLES)
def journey_map_svg(slug: str) -> ResponseLike:
    entry, definition = _map_context(slug)
    response = Response(render_svg(journey_graph(definition)), mimetype="image/svg+xml")
    response.headers["Content-Disposition"] = f'attachment; filename="{slug}-{entry.short}.svg"'
    return response


@dataclass(frozen=True)
class PreviewPage:
    number: int
    title: str
    path: str
    exit: bool
    condition: str | None
    repeat: str | None
    #: Each component's HTML, with the condition for showing it (content components) in words.
    components: list[tuple[Markup, str | None]]


def preview_pages(definition: FormDefinition) -> list[PreviewPage]:
    """Every page of a definition, rendered read-only through the components' GOV.UK macros."""
    journey = journey_for(definition)
    call_macro = current_app.extensions["forms_engine.chrome"].call_macro
    describer = ConditionDescriber(definition)
    view = LiteralView({})
    repeat_of = {page_id: r for r in definition.repeats.values() for page_id in r.page_ids}
    pages = []
    for number, compiled in enumerate(journey.pages, start=1):
        page = compiled.page
        repeat = repeat_of.get(page.id)
        pages.append(
            PreviewPage(
                number,
                str(page.title),
                page.path,
                page.exit,
                describer.describe(page.condition) if page.condition is not None else None,
                f"{repeat.title} (asked for each {repeat.item_name})" if repeat else None,
                [
                    (
                        handler.render(call_macro, view, None, "en", False),
                        describer.describe(condition) if (condition := handler.component.condition) else None,
                    )
                    for handler in compiled.handlers
                ],
            )
        )
    return pages


@bp.get("/<slug>/versions/<version>/preview")
@auth.login_required(*ROLES)
def preview(slug: str, version: str) -> ResponseLike:
    entry = _version_or_404(slug, version)
    definition = _usable(entry)
    return render_template(
        "designer/preview.html",
        page_title=f"Preview: {definition.title}",
        entry=entry,
        definition=definition,
        pages=preview_pages(definition),
    )


@bp.get("/designer.css")
def stylesheet() -> ResponseLike:
    """The designer pages' few styles (the CSP allows no inline styles)."""
    return Response(render_template("designer/designer.css"), mimetype="text/css")


@bp.after_request
def _no_store(response: Response) -> Response:
    response.headers["Cache-Control"] = "no-store"
    return response


def init_app(app: Flask) -> None:
    from . import preview as preview_server

    app.register_blueprint(bp)
    app.jinja_env.globals["designer_version_url"] = _version_url
    preview_server.init_app(app)


def _version_url(endpoint: str, entry: Version) -> str:
    """A link to a version's page: the map without ?version= for the current version."""
    if endpoint == "designer.preview":
        return url_for(endpoint, slug=entry.slug, version=entry.version)
    if entry.current:
        return url_for(endpoint, slug=entry.slug)
    return url_for(endpoint, slug=entry.slug, version=entry.version)
