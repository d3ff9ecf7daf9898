"""Staff screens of the reporting area: the paper-form register for admins (list with filters, add,
change, download as JSON or CSV) and monthly paper counts for caseworkers, leads and admins (the
entries they may record for, one month at a time, or a CSV upload).

Register screens answer 404 to anyone but an admin; a paper-count screen answers 404 for an entry
the account may not record for (its organisation's entries, and those whose form it can see; admins
every entry). A register entry is checked with the register file's own rules (`register.py`), so
the screens and `forms-engine register import` agree. Every change goes to the audit log. English
only and `Cache-Control: no-store`, as the caseworker pages.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from flask import (
    Blueprint,
    Flask,
    Response,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from werkzeug.wrappers import Response as WerkzeugResponse

from .. import form_registry
from ..caseworker import audit, auth
from ..caseworker.accounts import organisation_name
from ..caseworker.models import ORGANISATIONS, User
from ..extensions import db
from . import paper_counts, register
from .models import PAPER_FORM_STATUSES, PaperCount, PaperForm
from .views import staff_pages

bp = Blueprint("reports_admin", __name__, url_prefix="/reports")

ResponseLike = Response | WerkzeugResponse | str | tuple[str, int]

#: Who may record paper counts (for the entries they may see); the register is admins' only.
COUNT_ROLES = ("caseworker", "lead", "admin")
STATUS_NAMES = {
    "paper-only": "Paper only",
    "in-development": "In development",
    "live-digital": "Live digital",
    "retired": "Retired or out of scope",
}
DATE_PARTS = ("day", "month", "year")
#: Problems shown from an uploaded file at most (the rest are counted).
MAX_PROBLEMS_SHOWN = 50
NOTES_LIMIT = 2000

# Register entry form: field id -> the register file key it is checked as.
FORM_FIELDS = {
    "reference": "reference",
    "title": "title",
    "organisation": "organisation",
    "annual-volume": "annualVolume",
    "status": "status",
    "definition-slug": "definitionSlug",
    "live-date": "liveDate",
    "withdrawn-date": "withdrawnDate",
    "notes": "notes",
}
FILE_KEYS = {key: field_id for field_id, key in FORM_FIELDS.items()}


def _user() -> User:
    user = auth.current_user()
    assert user is not None  # login_required ran first
    return user


def _registry() -> Any:
    return form_registry(current_app._get_current_object())  # type: ignore[attr-defined]


def _render(template: str, title: str, **context: Any) -> ResponseLike:
    html = render_template(
        f"reports/{template}",
        page_title=("Error: " if context.get("errors") else "") + title,
        status_names=STATUS_NAMES,
        organisation_name=organisation_name,
        month_label=paper_counts.month_label,
        **context,
    )
    return html


def _entry_or_404(entry_id: int) -> PaperForm:
    entry = db.session.get(PaperForm, entry_id)
    if entry is None:
        abort(404)
    return entry


# -- the register: list and download --------------------------------------------------------------


@bp.get("/register")
@auth.login_required("admin")
def register_list() -> ResponseLike:
    errors: dict[str, str] = {}
    organisation = request.args.get("organisation", "")
    status = request.args.get("status", "")
    if organisation and organisation not in ORGANISATIONS:
        errors["organisation"] = "Select an organisation from the list"
        organisation = ""
    if status and status not in PAPER_FORM_STATUSES:
        errors["status"] = "Select a status from the list"
        status = ""
    rows = [
        row
        for row in register.register_rows()
        if (not organisation or row.organisation == organisation) and (not status or row.status == status)
    ]
    return _render(
        "register.html",
        "Paper-form register",
        entries=rows,
        errors=errors,
        organisation=organisation,
        status=status,
        organisations=ORGANISATIONS,
        statuses=PAPER_FORM_STATUSES,
        total=db.session.scalar(select(func.count()).select_from(PaperForm)) or 0,
    )


@bp.get("/register/export.<any(json, csv):fmt>")
@auth.login_required("admin")
def register_export(fmt: str) -> ResponseLike:
    text = register.export_register("csv" if fmt == "csv" else "json")
    audit.record("export", object_type="paper-form-register", detail={"format": fmt})
    db.session.commit()
    mimetype = "text/csv" if fmt == "csv" else "application/json"
    response = Response(text, mimetype=f"{mimetype}; charset=utf-8")
    response.headers["Content-Disposition"] = f'attachment; filename="paper-form-register.{fmt}"'
    return response


# -- the register: adding and changing an entry ----------------------------------------------------


@dataclass
class EntryForm:
    """The register entry form as sent (or as the entry is), to show it back."""

    reference: str = ""
    title: str = ""
    organisation: str = ""
    annual_volume: str = ""
    status: str = ""
    definition_slug: str = ""
    live_date: dict[str, str] = field(default_factory=dict)
    withdrawn_date: dict[str, str] = field(default_factory=dict)
    notes: str = ""

    @classmethod
    def of(cls, entry: PaperForm) -> EntryForm:
        def parts(value: date | None) -> dict[str, str]:
            if value is None:
                return {}
            return {"day": str(value.day), "month": str(value.month), "year": str(value.year)}

        return cls(
            reference=entry.reference,
            title=entry.title,
            organisation=entry.organisation,
            annual_volume=str(entry.annual_volume or 0),
            status=entry.status,
            definition_slug=entry.definition_slug or "",
            live_date=parts(entry.live_date),
            withdrawn_date=parts(entry.withdrawn_date),
            notes=entry.notes or "",
        )

    @classmethod
    def sent(cls) -> EntryForm:
        form = request.form

        def parts(prefix: str) -> dict[str, str]:
            return {part: form.get(f"{prefix}-{part}", "").strip() for part in DATE_PARTS}

        return cls(
            reference=form.get("reference", "").strip(),
            title=form.get("title", "").strip(),
            organisation=form.get("organisation", ""),
            annual_volume=form.get("annual-volume", "").strip(),
            status=form.get("status", ""),
            definition_slug=form.get("definition-slug", "").strip(),
            live_date=parts("live-date"),
            withdrawn_date=parts("withdrawn-date"),
            notes=form.get("notes", "").replace("\r\n", "\n").strip(),
        )


def _date_from(parts: dict[str, str], label: str, field_id: str, errors: dict[str, str]) -> str | None:
    """An ISO date from day, month and year boxes; None when all are empty (errors otherwise)."""
    if not any(parts.values()):
        return None
    missing = [part for part in DATE_PARTS if not parts.get(part)]
    if missing:
        errors[f"{field_id}-{missing[0]}"] = f"{label} must include a {missing[0]}"
        return None
    try:
        value = date(int(parts["year"]), int(parts["month"]), int(parts["day"]))
    except ValueError:
        errors[f"{field_id}-day"] = f"{label} must be a real date"
        return None
    if value.year < 1900:
        errors[f"{field_id}-year"] = f"{label} must be a real date"
        return None
    return value.isoformat()


def _file_entry(form: EntryForm, errors: dict[str, str]) -> dict[str, Any]:
    """The form as a register file entry (GOV.UK messages for what the file format cannot hold)."""
    entry: dict[str, Any] = {}
    if not form.reference:
        errors["reference"] = "Enter a reference, like AB1"
    else:
        entry["reference"] = form.reference
    if not form.title:
        errors["title"] = "Enter the form's title"
    else:
        entry["title"] = form.title
    if form.organisation not in ORGANISATIONS:
        errors["organisation"] = "Select an organisation"
    else:
        entry["organisation"] = form.organisation
    volume = paper_counts.parse_count(form.annual_volume) if form.annual_volume else None
    if not form.annual_volume:
        errors["annual-volume"] = "Enter the annual paper volume, or 0 if it is not known"
    elif volume is None:
        errors["annual-volume"] = "Annual paper volume must be a whole number, like 1200"
    else:
        entry["annualVolume"] = volume
    if form.status not in PAPER_FORM_STATUSES:
        errors["status"] = "Select a status"
    else:
        entry["status"] = form.status
    if form.definition_slug:
        entry["definitionSlug"] = form.definition_slug
    for field_id, key, parts, label in (
        ("live-date", "liveDate", form.live_date, "Date it went live"),
        ("withdrawn-date", "withdrawnDate", form.withdrawn_date, "Date it was withdrawn"),
    ):
        value = _date_from(parts, label, field_id, errors)
        if value is not None:
            entry[key] = value
    if len(form.notes) > NOTES_LIMIT:
        errors["notes"] = f"Notes must be {NOTES_LIMIT:,} characters or fewer"
    entry["notes"] = form.notes
    return entry


#: How the register file's keys read in messages on the form.
KEY_LABELS = {
    "definitionSlug": "digital form",
    "liveDate": "date it went live",
    "withdrawnDate": "date it was withdrawn",
    "annualVolume": "annual paper volume",
}


def _message(problem: register.RegisterProblem) -> str:
    """A register file problem as a message on the form: no entry label, line numbers or keys."""
    text = problem.message
    if text.startswith("entry "):
        text = text.split(": ", 1)[1] if ": " in text else text
    text = re.sub(r"^(\w+): ", r"\1 ", text)
    text = re.sub(r" \((?:first at )?line \d+\)", "", text)
    for key, label in KEY_LABELS.items():
        text = text.replace(key, label)
    return text[:1].upper() + text[1:]


def check_entry(
    form: EntryForm, editing: PaperForm | None
) -> tuple[register.RegisterEntry | None, dict[str, str]]:
    """The form checked as the register import checks a file (schema and cross-field rules, with the
    other entries in the database for unique references and definitions): the entry, or errors by
    field id."""
    errors: dict[str, str] = {}
    entry = _file_entry(form, errors)
    others = [
        register.entry_json(row)
        for row in register.register_rows()
        if editing is None or row.id != editing.id
    ]
    index = len(others)
    # Lines stand for fields: 1 for the other entries, 2 for this entry, 3... for each of its keys.
    lines: dict[register.JsonPath, int] = {(): 1, ("entries",): 1}
    for i, other in enumerate(others):
        lines[("entries", i)] = 1
        for key in other:
            lines[("entries", i, key)] = 1
    lines[("entries", index)] = 2
    for position, key in enumerate(register.FIELDS):
        lines[("entries", index, key)] = 3 + position
    try:
        [*_, checked] = register.check_register_data({"entries": [*others, entry]}, lines, "form")
    except register.RegisterError as error:
        for problem in error.problems:
            message = _message(problem)
            if problem.line < 2 or message.startswith("Missing "):
                continue  # another entry's problem, or a field the form already asked for
            key = register.FIELDS[problem.line - 3] if problem.line >= 3 else "reference"
            if "needs a liveDate" in problem.message:
                key, message = "liveDate", "Enter the date it went live: a live digital form needs one"
            field_id = FILE_KEYS[key]
            if any(known == field_id or known.startswith(f"{field_id}-") for known in errors):
                continue  # the form's own message for the field says it already
            if field_id in ("live-date", "withdrawn-date"):
                field_id += "-day"
            errors[field_id] = message
        return None, errors
    if errors:
        return None, errors
    return checked, errors


def _changes(row: PaperForm, values: dict[str, Any]) -> dict[str, list[Any]]:
    def plain(value: Any) -> Any:
        return value.isoformat() if isinstance(value, date) else value

    return {
        name: [plain(getattr(row, name)), plain(value)]
        for name, value in values.items()
        if getattr(row, name) != value
    }


def _entry_form_page(form: EntryForm, entry: PaperForm | None, errors: dict[str, str]) -> ResponseLike:
    definitions = sorted(_registry().forms.values(), key=lambda d: d.slug)
    return _render(
        "register_form.html",
        f"Change {entry.reference}" if entry else "Add a paper form",
        entry=entry,
        form=form,
        errors=errors,
        organisations=ORGANISATIONS,
        statuses=PAPER_FORM_STATUSES,
        definitions=definitions,
        notes_limit=NOTES_LIMIT,
    )


@bp.get("/register/new")
@auth.login_required("admin")
def register_new() -> ResponseLike:
    return _entry_form_page(EntryForm(annual_volume="0", status="paper-only"), None, {})


@bp.post("/register/new")
@auth.login_required("admin")
def register_create() -> ResponseLike:
    form = EntryForm.sent()
    checked, errors = check_entry(form, None)
    if checked is None:
        return _entry_form_page(form, None, errors)
    row = PaperForm(reference=checked.reference, **checked.values())
    db.session.add(row)
    try:
        db.session.flush()
    except IntegrityError:
        db.session.rollback()
        return _entry_form_page(
            form, None, {"reference": f"Reference {form.reference} is already in the register"}
        )
    values = {"reference": checked.reference, **checked.values()}
    audit.record(
        "register-entry-create",
        object_type="paper-form",
        object_id=checked.reference,
        form_slug=checked.definition_slug,
        detail={
            name: value.isoformat() if isinstance(value, date) else value for name, value in values.items()
        },
    )
    db.session.commit()
    flash(f"{checked.reference} added to the register")
    return redirect(url_for("reports_admin.register_list"))


@bp.get("/register/<int:entry_id>")
@auth.login_required("admin")
def register_entry(entry_id: int) -> ResponseLike:
    entry = _entry_or_404(entry_id)
    return _entry_form_page(EntryForm.of(entry), entry, {})


@bp.post("/register/<int:entry_id>")
@auth.login_required("admin")
def register_update(entry_id: int) -> ResponseLike:
    entry = _entry_or_404(entry_id)
    form = EntryForm.sent()
    checked, errors = check_entry(form, entry)
    if checked is None:
        return _entry_form_page(form, entry, errors)
    values = {"reference": checked.reference, **checked.values()}
    changes = _changes(entry, values)
    if not changes:
        flash(f"No changes to {entry.reference}")
        return redirect(url_for("reports_admin.register_list"))
    previous_reference = entry.reference
    for name, value in values.items():
        setattr(entry, name, value)
    try:
        db.session.flush()
    except IntegrityError:
        db.session.rollback()
        return _entry_form_page(
            form, entry, {"reference": f"Reference {form.reference} is already in the register"}
        )
    audit.record(
        "register-entry-update",
        object_type="paper-form",
        object_id=previous_reference,
        form_slug=checked.definition_slug,
        detail={"changes": changes},
    )
    db.session.commit()
    flash(f"{checked.reference} changed")
    return redirect(url_for("reports_admin.register_list"))


# -- paper counts -------------------------------------------------------------------------------------


def _recordable() -> list[PaperForm]:
    """The register entries the signed-in account may record counts for."""
    user = _user()
    visible = auth.visible_form_slugs(user, auth.form_organisations(_registry().forms.values()))
    return [row for row in register.register_rows() if paper_counts.may_record(user, row, visible)]


def _recordable_or_404(entry_id: int) -> PaperForm:
    entry = _entry_or_404(entry_id)
    if entry not in _recordable():
        abort(404)
    return entry


@bp.get("/paper-counts")
@auth.login_required(*COUNT_ROLES)
def paper_counts_list() -> ResponseLike:
    entries = _recordable()
    latest: dict[int, PaperCount] = {}
    if entries:
        for count in db.session.scalars(
            select(PaperCount)
            .where(PaperCount.paper_form_id.in_([e.id for e in entries]))
            .order_by(PaperCount.month)
        ):
            latest[count.paper_form_id] = count
    return _render("paper_counts.html", "Monthly paper counts", entries=entries, latest=latest)


@dataclass
class CountForm:
    month: str = ""
    year: str = ""
    count: str = ""


def _count_page(entry: PaperForm, form: CountForm, errors: dict[str, str]) -> ResponseLike:
    history = list(
        db.session.scalars(
            select(PaperCount).where(PaperCount.paper_form_id == entry.id).order_by(PaperCount.month.desc())
        )
    )
    return _render(
        "paper_counts_entry.html",
        f"Record paper forms received: {entry.reference}",
        entry=entry,
        form=form,
        errors=errors,
        history=history,
    )


@bp.get("/paper-counts/<int:entry_id>")
@auth.login_required(*COUNT_ROLES)
def paper_count_entry(entry_id: int) -> ResponseLike:
    entry = _recordable_or_404(entry_id)
    return _count_page(entry, CountForm(), {})


@bp.post("/paper-counts/<int:entry_id>")
@auth.login_required(*COUNT_ROLES)
def paper_count_record(entry_id: int) -> ResponseLike:
    entry = _recordable_or_404(entry_id)
    form = CountForm(
        month=request.form.get("month-month", "").strip(),
        year=request.form.get("month-year", "").strip(),
        count=request.form.get("count", "").strip(),
    )
    errors: dict[str, str] = {}
    month: date | None = None
    if not form.month and not form.year:
        errors["month-month"] = "Enter the month the paper forms arrived in"
    elif not form.month:
        errors["month-month"] = "Month must include a month"
    elif not form.year:
        errors["month-year"] = "Month must include a year"
    else:
        month = paper_counts.parse_month(f"{form.year.zfill(4)}-{form.month.zfill(2)}")
        if month is None or len(form.year) != 4:
            errors["month-month"] = "Month must be a real month, like 3 2025"
            month = None
        elif month > paper_counts.this_month():
            errors["month-month"] = "Month must be this month or in the past"
            month = None
    count = paper_counts.parse_count(form.count) if form.count else None
    if not form.count:
        errors["count"] = "Enter how many paper forms arrived, or 0 if none did"
    elif count is None:
        errors["count"] = "Number of paper forms must be a whole number, like 120"
    elif count > paper_counts.MAX_COUNT:
        errors["count"] = f"Number of paper forms must be {paper_counts.MAX_COUNT:,} or fewer"
    if errors or month is None or count is None:
        return _count_page(entry, form, errors)
    outcome, previous = paper_counts.record_count(entry, month, count, _user())
    label = paper_counts.month_label(month)
    if outcome == "updated":
        flash(f"{label} changed to {count:,} paper forms (was {previous:,})")
    elif outcome == "unchanged":
        flash(f"{label} was already {count:,} paper forms: nothing changed")
    else:
        flash(f"{count:,} paper forms recorded for {label}")
    return redirect(url_for("reports_admin.paper_count_entry", entry_id=entry.id))


@bp.get("/paper-counts/upload")
@auth.login_required(*COUNT_ROLES)
def paper_counts_upload() -> ResponseLike:
    return _render("paper_counts_upload.html", "Upload paper counts", errors={}, problems=[], hidden=0)


@bp.post("/paper-counts/upload")
@auth.login_required(*COUNT_ROLES)
def paper_counts_import() -> ResponseLike:
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        return _render(
            "paper_counts_upload.html",
            "Upload paper counts",
            errors={"file": "Select a CSV file"},
            problems=[],
            hidden=0,
        )
    allowed = {entry.id for entry in _recordable()}
    try:
        text = paper_counts.read_text(upload.read(), upload.filename)
        result = paper_counts.import_counts_text(
            text, _user(), source=upload.filename, allowed=lambda entry: entry.id in allowed
        )
    except paper_counts.PaperCountError as error:
        shown = error.problems[:MAX_PROBLEMS_SHOWN]
        return _render(
            "paper_counts_upload.html",
            "Upload paper counts",
            errors={"file": f"The file has {len(error.problems)} problem(s): nothing was imported"},
            problems=shown,
            hidden=len(error.problems) - len(shown),
        )
    flash(f"{upload.filename} imported: {result.summary()}")
    return redirect(url_for("reports_admin.paper_counts_list"))


staff_pages(bp)


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
