"""The caseworker screens: the forms an account may see, a form's submissions (filtered, searched,
paginated, with bulk status change and exports), and one submission (answers, files, receipt,
history, status and notes). Anything outside the account's forms answers 404, never 403."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date
from typing import Any

from flask import abort, current_app, flash, redirect, render_template, request, stream_with_context, url_for
from sqlalchemy import func, select
from werkzeug.wrappers import Response as WerkzeugResponse

from .. import form_registry
from ..definitions.model import FormDefinition
from ..extensions import db
from ..journey import journey_for
from ..submissions.export import submission_definition
from ..submissions.models import STATUSES, Submission, UploadedFile, as_utc
from . import audit, auth, bp, casework, clock
from .casework import Filters, FormEntry

ResponseLike = WerkzeugResponse | str | tuple[str, int]

SELECT_SUBMISSIONS = "Select the submissions to change"
SELECT_STATUS = "Select a status"
NOTHING_TO_SAVE = "Select a new status or enter a note"
NOTE_TOO_LONG = f"Note must be {casework.NOTE_LIMIT} characters or fewer"
DATE_PARTS = ("day", "month", "year")
YEAR_DIGITS = "Year must include 4 numbers"


def _user() -> Any:
    user = auth.current_user()
    assert user is not None  # login_required ran first
    return user


def _definitions() -> list[FormDefinition]:
    return list(form_registry(current_app._get_current_object()).forms.values())  # type: ignore[attr-defined]


def _form_or_404(slug: str) -> FormEntry:
    form = casework.form_for(_user(), slug, _definitions())
    if form is None:
        abort(404)
    return form


def _submission_or_404(reference: str) -> Submission:
    submission = casework.submission_for(_user(), reference, _definitions())
    if submission is None:
        abort(404)
    return submission


@bp.get("/")
@auth.login_required()
def home() -> str:
    user = _user()
    return render_template(
        "caseworker/forms.html",
        page_title="Forms",
        user=user,
        forms=casework.forms_for(user, _definitions()),
        statuses=STATUSES,
    )


def _read_date(prefix: str, label: str, errors: dict[str, str]) -> tuple[date | None, dict[str, str]]:
    values = {part: request.args.get(f"{prefix}-{part}", "").strip()[:10] for part in DATE_PARTS}
    if not any(values.values()):
        return None, values
    missing = [part for part in DATE_PARTS if not values[part]]
    if missing:
        errors[f"{prefix}-{missing[0]}"] = f"{label} must include a {missing[0]}"
        return None, values
    # Plain digits only: int() would also take "1_0", "٣" or a year too large for a date.
    if not all(values[part].isascii() and values[part].isdigit() for part in DATE_PARTS):
        errors[f"{prefix}-day"] = f"{label} must be a real date"
        return None, values
    if len(values["year"]) != 4:
        errors[f"{prefix}-year"] = YEAR_DIGITS
        return None, values
    try:
        return date(int(values["year"]), int(values["month"]), int(values["day"])), values
    except ValueError:
        errors[f"{prefix}-day"] = f"{label} must be a real date"
        return None, values


def _filters() -> tuple[Filters, dict[str, str], dict[str, dict[str, str]]]:
    """The list page's filters from the query string, any problems with them, and the date fields
    as typed (to show them back)."""
    errors: dict[str, str] = {}
    since, since_typed = _read_date("from", "Date from", errors)
    until, until_typed = _read_date("to", "Date to", errors)
    if since and until and until < since:
        errors["to-day"] = "Date to must be the same as or after date from"
        until = None
    statuses = tuple(s for s in request.args.getlist("status") if s in STATUSES)
    reference = request.args.get("reference", "").strip()[:40]
    filters = Filters(statuses=statuses, since=since, until=until, reference=reference)
    return filters, errors, {"from": since_typed, "to": until_typed}


@bp.get("/forms/<slug>/")
@auth.login_required()
def form_submissions(slug: str) -> ResponseLike:
    form = _form_or_404(slug)
    filters, errors, typed = _filters()
    try:
        page = int(request.args.get("page", "1"))
    except ValueError:
        page = 1
    results = casework.find_submissions(slug, filters, page)
    return render_template(
        "caseworker/submissions.html",
        page_title=f"{form.title}: submissions",
        form=form,
        filters=filters,
        errors=errors,
        typed=typed,
        results=results,
        statuses=STATUSES,
        bulk_errors={},
        as_utc=as_utc,
    )


@bp.post("/forms/<slug>/status")
@auth.login_required()
def bulk_status(slug: str) -> ResponseLike:
    form = _form_or_404(slug)
    user = _user()
    references = request.form.getlist("reference")
    status = request.form.get("status", "")
    errors: dict[str, str] = {}
    if not references:
        errors["select-all"] = SELECT_SUBMISSIONS
    if status not in STATUSES:
        errors["bulk-status"] = SELECT_STATUS
    if errors:
        filters, filter_errors, typed = _filters()
        results = casework.find_submissions(slug, filters, 1)
        html = render_template(
            "caseworker/submissions.html",
            page_title=f"Error: {form.title}: submissions",
            form=form,
            filters=filters,
            errors=filter_errors,
            typed=typed,
            results=results,
            statuses=STATUSES,
            bulk_errors=errors,
            as_utc=as_utc,
        )
        return html, 400
    wanted = {casework.normalise_reference(r) for r in references[:500]}
    submissions = db.session.scalars(
        select(Submission).where(Submission.form_slug == slug, Submission.reference.in_(wanted))
    ).all()
    changed = 0
    for submission in submissions:
        previous = submission.status
        if casework.change_status(submission, status, "", user) is not None:
            changed += 1
            audit.record(
                "status-change",
                object_type="submission",
                object_id=submission.reference,
                form_slug=slug,
                detail={"from": previous, "to": status, "bulk": True},
            )
    db.session.commit()
    flash(f"{changed} submission{'s' if changed != 1 else ''} marked as {STATUSES[status]}")
    return redirect(url_for("caseworker.form_submissions", slug=slug, **_filters()[0].query_args()), code=303)


def _answer_sections(submission: Submission) -> tuple[FormDefinition, list[Any]]:
    definition = submission_definition(submission)
    # Relative dates in conditions count from the day it was sent, as on the receipt.
    sent = as_utc(submission.submitted_at).astimezone(casework.UK).date()
    sections = journey_for(definition).check_answer_sections(submission.answers, "en", today=sent)
    return definition, sections


def _files(submission: Submission) -> list[UploadedFile]:
    return list(
        db.session.scalars(
            select(UploadedFile)
            .where(UploadedFile.submission_id == submission.id)
            .order_by(UploadedFile.created_at)
        )
    )


def _detail_page(
    submission: Submission, errors: dict[str, str], note: str = "", status: int = 200
) -> ResponseLike:
    definition, sections = _answer_sections(submission)
    html = render_template(
        "caseworker/submission.html",
        page_title=("Error: " if errors else "") + f"Submission {submission.reference}",
        submission=submission,
        definition=definition,
        form=_form_or_404(submission.form_slug),
        sections=sections,
        files=_files(submission),
        history=casework.history(submission),
        statuses=STATUSES,
        errors=errors,
        note=note,
        as_utc=as_utc,
    )
    return (html, status) if status != 200 else html


@bp.get("/submissions/<reference>")
@auth.login_required()
def submission_detail(reference: str) -> ResponseLike:
    submission = _submission_or_404(reference)
    audit.record(
        "view", object_type="submission", object_id=submission.reference, form_slug=submission.form_slug
    )
    db.session.commit()
    return _detail_page(submission, {})


@bp.post("/submissions/<reference>/status")
@auth.login_required()
def submission_status(reference: str) -> ResponseLike:
    submission = _submission_or_404(reference)
    status = request.form.get("status") or None
    note = request.form.get("note", "")
    errors: dict[str, str] = {}
    if status is not None and status not in STATUSES:
        errors["status"] = SELECT_STATUS
    elif len(note) > casework.NOTE_LIMIT:
        errors["note"] = NOTE_TOO_LONG
    elif (status is None or status == submission.status) and not note.strip():
        errors["status"] = NOTHING_TO_SAVE
    if errors:
        return _detail_page(submission, errors, note, 400)
    previous = submission.status
    event = casework.change_status(submission, status, note, _user())
    assert event is not None
    if event.to_status is not None:
        audit.record(
            "status-change",
            object_type="submission",
            object_id=submission.reference,
            form_slug=submission.form_slug,
            detail={"from": previous, "to": event.to_status, "note": bool(event.note)},
        )
    else:
        audit.record(
            "note", object_type="submission", object_id=submission.reference, form_slug=submission.form_slug
        )
    db.session.commit()
    flash("Status changed" if event.to_status else "Note added")
    return redirect(url_for("caseworker.submission_detail", reference=submission.reference), code=303)


@bp.get("/submissions/<reference>/receipt.pdf")
@auth.login_required()
def submission_receipt(reference: str) -> ResponseLike:
    from ..submissions.receipts import render_receipt

    submission = _submission_or_404(reference)
    pdf = render_receipt(submission)
    audit.record(
        "download",
        object_type="receipt",
        object_id=submission.reference,
        form_slug=submission.form_slug,
    )
    db.session.commit()
    response = current_app.response_class(pdf, mimetype="application/pdf")
    response.headers["Content-Disposition"] = (
        f'attachment; filename="{submission.form_slug}-{submission.reference}.pdf"'
    )
    return response


@bp.get("/submissions/<reference>/files/<file_id>")
@auth.login_required()
def submission_file(reference: str, file_id: str) -> ResponseLike:
    from ..files.storage import FileNotStored
    from ..runner.uploads import file_store

    submission = _submission_or_404(reference)
    record = db.session.scalars(
        select(UploadedFile).where(UploadedFile.id == file_id, UploadedFile.submission_id == submission.id)
    ).first()
    if record is None:
        abort(404)
    try:
        data = file_store().get(record.storage_key)
    except FileNotStored:
        abort(404)
    audit.record(
        "download",
        object_type="file",
        object_id=record.id,
        form_slug=submission.form_slug,
        detail={"submission": submission.reference, "filename": record.filename},
    )
    db.session.commit()
    response = current_app.response_class(data, mimetype=record.content_type)
    # Always a download, never shown inline: the file is the citizen's, not ours.
    response.headers["Content-Disposition"] = _attachment(record.filename)
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response


def _attachment(filename: str) -> str:
    from urllib.parse import quote

    ascii_name = "".join(
        ch if ch.isascii() and ch.isprintable() and ch not in '"\\' else "_" for ch in filename
    )
    return f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(filename)}"


def _export_definition(slug: str) -> FormDefinition:
    """The form's current definition, or (a form no longer offered) its newest submission's."""
    current = form_registry(current_app._get_current_object()).get(slug)  # type: ignore[attr-defined]
    if current is not None:
        return current
    newest = db.session.scalars(
        select(Submission).where(Submission.form_slug == slug).order_by(Submission.id.desc()).limit(1)
    ).first()
    if newest is None:
        abort(404)
    return submission_definition(newest)


def _uploaded_files_reader() -> Callable[[Any], Sequence[UploadedFile]]:
    """A submission's uploaded file rows, for the JSON export's `files` (their SHA-256, as in the
    webhook's payload); read only for definition versions that ask for files."""
    has_uploads: dict[tuple[str, str], bool] = {}

    def files_for(submission: Any) -> Sequence[UploadedFile]:
        key = (submission.form_slug, submission.form_version)
        if key not in has_uploads:
            definition = submission_definition(submission)
            has_uploads[key] = any(c.type == "FileUploadField" for _, c in definition.questions())
        if not has_uploads[key]:
            return ()
        return db.session.scalars(
            select(UploadedFile).where(UploadedFile.submission_id == submission.id)
        ).all()

    return files_for


@bp.get("/forms/<slug>/export.<format>")
@auth.login_required()
def export_submissions(slug: str, format: str) -> ResponseLike:
    """The filtered submissions as a file, streamed: never the whole set in memory."""
    from ..submissions import exporting

    _form_or_404(slug)
    if format not in exporting.EXPORT_FORMATS:
        abort(404)
    filters, errors, _ = _filters()
    if errors:  # the list page shows what is wrong with the filters
        args: dict[str, Any] = request.args.to_dict(flat=False)
        return redirect(url_for("caseworker.form_submissions", slug=slug, **args))
    definition = _export_definition(slug)
    query = casework.filtered(slug, filters)
    count = db.session.scalar(select(func.count()).select_from(query.subquery())) or 0
    audit.record(
        "export",
        object_type="form",
        object_id=slug,
        form_slug=slug,
        detail={"format": format, "filters": filters.describe(), "count": count},
    )
    db.session.commit()
    submissions = exporting.records_for_query(query.order_by(Submission.id))
    files_for = _uploaded_files_reader() if format == "json" else None
    mimetype, _extension = exporting.EXPORT_FORMATS[format]
    response = current_app.response_class(
        stream_with_context(exporting.export_chunks(format, definition, submissions, files_for)),
        mimetype=mimetype,
    )
    response.headers["Content-Disposition"] = (
        f'attachment; filename="{exporting.export_filename(slug, format, clock.now())}"'
    )
    return response
