"""The audit log screens, for admins only (anyone else gets 404): the entries newest first, a page at
a time, filtered by action, account, form and date range, and the filtered entries as a CSV download
(itself recorded in the log). There is no way to change or delete an entry here: only the retention
purge deletes old ones."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from flask import current_app, redirect, render_template, request, stream_with_context, url_for
from sqlalchemy import Select, func, select
from werkzeug.wrappers import Response as WerkzeugResponse

from .. import form_registry
from ..extensions import db
from ..submissions.export import BOM, LINE_END, neutralise
from ..submissions.models import as_utc
from . import audit, auth, bp, casework, clock
from .models import EMAIL_LENGTH, AuditEvent

PAGE_SIZE = 50
#: Rows written to the CSV between two chunks sent.
CSV_CHUNK_ROWS = 500
DATE_PARTS = ("day", "month", "year")
SELECT_ACTION = "Select an action from the list"
SELECT_FORM = "Select a form from the list"
EMAIL_TOO_LONG = f"Account email address must be {EMAIL_LENGTH} characters or fewer"
TO_BEFORE_FROM = "Date to must be the same as or after date from"
CSV_HEADER = (
    "When (UTC)",
    "Account",
    "Account id",
    "Action",
    "Object type",
    "Object",
    "Form",
    "IP address",
    "User agent",
    "Details",
)


@dataclass(frozen=True)
class AuditFilters:
    """What an admin narrowed the log down to. Dates are inclusive UK days; `email` is part of the
    address (or `cli:` name) of the account that acted, in any case."""

    action: str = ""
    email: str = ""
    form: str = ""
    since: date | None = None
    until: date | None = None

    def query_args(self) -> dict[str, Any]:
        """The filters as the page's query string (for page links and the download)."""
        args: dict[str, Any] = {}
        for name in ("action", "email", "form"):
            if getattr(self, name):
                args[name] = getattr(self, name)
        for prefix, value in (("from", self.since), ("to", self.until)):
            if value is not None:
                args[f"{prefix}-day"] = value.day
                args[f"{prefix}-month"] = value.month
                args[f"{prefix}-year"] = value.year
        return args

    def describe(self) -> dict[str, Any]:
        """The filters as the export's audit event records them."""
        return {
            "action": self.action or None,
            "email": self.email or None,
            "form": self.form or None,
            "since": self.since.isoformat() if self.since else None,
            "until": self.until.isoformat() if self.until else None,
        }

    @property
    def active(self) -> bool:
        return bool(self.query_args())


def filtered_entries(filters: AuditFilters) -> Select[Any]:
    """The entries matching `filters` (unordered)."""
    query = select(AuditEvent)
    if filters.action:
        query = query.where(AuditEvent.action == filters.action)
    if filters.email:
        query = query.where(
            func.lower(AuditEvent.actor_email).contains(filters.email.lower(), autoescape=True)
        )
    if filters.form:
        query = query.where(AuditEvent.form_slug == filters.form)
    if filters.since is not None:
        query = query.where(AuditEvent.at >= casework.start_of_day(filters.since))
    if filters.until is not None and filters.until < date.max:
        query = query.where(AuditEvent.at < casework.start_of_day(filters.until + timedelta(days=1)))
    return query


def newest_first(query: Select[Any]) -> Select[Any]:
    return query.order_by(AuditEvent.at.desc(), AuditEvent.id.desc())


@dataclass(frozen=True)
class EntryPage:
    items: list[AuditEvent]
    total: int
    number: int
    size: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.size))


def find_entries(filters: AuditFilters, page: int = 1, size: int = PAGE_SIZE) -> EntryPage:
    """One page of the entries matching `filters`, newest first."""
    query = filtered_entries(filters)
    total = db.session.scalar(select(func.count()).select_from(query.subquery())) or 0
    number = min(max(page, 1), max(1, -(-total // size)))
    items = list(db.session.scalars(newest_first(query).offset((number - 1) * size).limit(size)))
    return EntryPage(items, total, number, size)


def action_choices() -> list[str]:
    """Every action the log may hold: the known ones and any recorded."""
    recorded = db.session.scalars(select(AuditEvent.action).distinct())
    return sorted(set(audit.ACTIONS) | {"purge-failed", "note"} | set(recorded))


def form_choices() -> dict[str, str]:
    """slug -> name for every form the log may mention: forms offered or with submissions (by their
    titles) and any other slug recorded (a form since deleted, say)."""
    registry = form_registry(current_app._get_current_object())  # type: ignore[attr-defined]
    known = casework.known_forms(registry.forms.values())
    names = {slug: f"{entry.title} ({slug})" for slug, entry in known.items()}
    recorded = db.session.scalars(
        select(AuditEvent.form_slug).distinct().where(AuditEvent.form_slug.is_not(None))
    )
    for slug in recorded:
        if slug:
            names.setdefault(slug, slug)
    return dict(sorted(names.items(), key=lambda item: item[1].lower()))


# -- reading the query string --------------------------------------------------------------------


class _Problems:
    """Problems with what was typed: the error summary's messages by input id (in the order of the
    inputs), and every input to show in error."""

    def __init__(self) -> None:
        self.messages: dict[str, str] = {}
        self.marked: set[str] = set()

    def add(self, message: str, *inputs: str) -> None:
        self.messages.setdefault(inputs[0], message)
        self.marked.update(inputs)


def _read_date(prefix: str, label: str, problems: _Problems) -> tuple[date | None, dict[str, str]]:
    """A date from its three inputs (None if they are empty or wrong)."""
    typed = {part: request.args.get(f"{prefix}-{part}", "").strip()[:10] for part in DATE_PARTS}
    every = [f"{prefix}-{part}" for part in DATE_PARTS]
    if not any(typed.values()):
        return None, typed
    missing = [part for part in DATE_PARTS if not typed[part]]
    if missing:
        problems.add(f"{label} must include a {' and '.join(missing)}", *(f"{prefix}-{m}" for m in missing))
        return None, typed
    if not all(typed[part].isascii() and typed[part].isdigit() for part in DATE_PARTS):
        problems.add(f"{label} must be a real date", *every)
        return None, typed
    if len(typed["year"]) != 4:
        problems.add("Year must include 4 numbers", f"{prefix}-year")
        return None, typed
    try:
        return date(int(typed["year"]), int(typed["month"]), int(typed["day"])), typed
    except ValueError:
        problems.add(f"{label} must be a real date", *every)
        return None, typed


@dataclass(frozen=True)
class ReadFilters:
    filters: AuditFilters
    #: Problems with what was typed: input id -> message, in the order of the inputs.
    errors: dict[str, str]
    #: The ids of the inputs to show in error.
    marked: set[str]
    #: The date inputs as typed, to show them back.
    typed: dict[str, dict[str, str]]
    actions: list[str]
    forms: dict[str, str]


def read_filters() -> ReadFilters:
    """The filters in the query string. A filter with a problem is not applied."""
    problems = _Problems()
    actions = action_choices()
    forms = form_choices()
    action = request.args.get("action", "").strip()
    if action and action not in actions:
        problems.add(SELECT_ACTION, "action")
        action = ""
    form = request.args.get("form", "").strip()
    if form and form not in forms:
        problems.add(SELECT_FORM, "form")
        form = ""
    email = request.args.get("email", "").strip()
    if len(email) > EMAIL_LENGTH:
        problems.add(EMAIL_TOO_LONG, "email")
        email = ""
    since, since_typed = _read_date("from", "Date from", problems)
    until, until_typed = _read_date("to", "Date to", problems)
    if since and until and until < since:
        problems.add(TO_BEFORE_FROM, "to-day", "to-month", "to-year")
        until = None
    filters = AuditFilters(action=action, email=email, form=form, since=since, until=until)
    typed = {"from": since_typed, "to": until_typed}
    return ReadFilters(filters, problems.messages, problems.marked, typed, actions, forms)


def page_links(results: EntryPage, filters: AuditFilters) -> dict[str, Any]:
    """The GOV.UK pagination's parameters: the first and last pages, two either side of this one."""

    def href(number: int) -> str:
        return url_for("caseworker.audit_log", page=number, **filters.query_args())

    items: list[dict[str, Any]] = []
    shown = sorted({1, results.pages} | set(range(results.number - 2, results.number + 3)))
    previous = 0
    for number in (n for n in shown if 1 <= n <= results.pages):
        if number - previous > 1:
            items.append({"ellipsis": True})
        items.append({"number": number, "href": href(number), "current": number == results.number})
        previous = number
    return {
        "previous": {"href": href(results.number - 1)} if results.number > 1 else None,
        "next": {"href": href(results.number + 1)} if results.number < results.pages else None,
        "items": items,
    }


def _page_number() -> int:
    try:
        return int(request.args.get("page", "1"))
    except ValueError:
        return 1


# -- the views ------------------------------------------------------------------------------------


@bp.get("/audit")
@auth.login_required("admin")
def audit_log() -> str | tuple[str, int]:
    read = read_filters()
    results = find_entries(read.filters, _page_number())
    html = render_template(
        "caseworker/audit.html",
        page_title=("Error: " if read.errors else "") + "Audit log",
        filters=read.filters,
        errors=read.errors,
        marked=read.marked,
        typed=read.typed,
        actions=read.actions,
        forms=read.forms,
        results=results,
        pagination=page_links(results, read.filters) if results.pages > 1 else None,
        as_utc=as_utc,
        describe_detail=describe_detail,
    )
    return (html, 400) if read.errors else html


def describe_detail(detail: Any) -> list[tuple[str, str]]:
    """An entry's detail as (name, value) pairs to show."""
    if not isinstance(detail, dict):
        return [] if detail is None else [("detail", _text(detail))]
    return [(str(key), _text(value)) for key, value in detail.items()]


def _text(value: Any, limit: int = 200) -> str:
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, sort_keys=True)
    return text if len(text) <= limit else text[: limit - 1] + "\N{HORIZONTAL ELLIPSIS}"


def csv_row(entry: AuditEvent) -> list[str]:
    """An entry as a CSV row, every cell safe to open in a spreadsheet."""
    cells = [
        as_utc(entry.at).isoformat(),
        entry.actor_email or "",
        "" if entry.actor_id is None else str(entry.actor_id),
        entry.action,
        entry.object_type or "",
        entry.object_id or "",
        entry.form_slug or "",
        entry.ip or "",
        entry.user_agent or "",
        "" if entry.detail is None else json.dumps(entry.detail, ensure_ascii=False, sort_keys=True),
    ]
    return [neutralise(cell) for cell in cells]


def csv_chunks(query: Select[Any]) -> Iterator[str]:
    """The CSV, a few hundred rows at a time: never the whole log in memory."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator=LINE_END)
    buffer.write(BOM)  # so spreadsheets read the file as UTF-8
    writer.writerow(CSV_HEADER)
    entries = db.session.scalars(query.execution_options(yield_per=CSV_CHUNK_ROWS))
    for number, entry in enumerate(entries, start=1):
        writer.writerow(csv_row(entry))
        if number % CSV_CHUNK_ROWS == 0:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()


@bp.get("/audit/export.csv")
@auth.login_required("admin")
def audit_log_csv() -> WerkzeugResponse:
    """The filtered entries as CSV, newest first, up to the moment of the download, which is itself
    recorded (after them, so it is in the next download, not this one)."""
    read = read_filters()
    if read.errors:  # the log page shows what is wrong
        values: dict[str, Any] = request.args.to_dict(flat=False)
        return redirect(url_for("caseworker.audit_log", **values))
    query = filtered_entries(read.filters)
    last = db.session.scalar(select(func.max(AuditEvent.id)))
    query = query.where(AuditEvent.id <= (last or 0))
    count = db.session.scalar(select(func.count()).select_from(query.subquery())) or 0
    audit.record(
        "export",
        object_type="audit-log",
        detail={"format": "csv", "filters": read.filters.describe(), "count": count},
    )
    db.session.commit()
    response = current_app.response_class(
        stream_with_context(csv_chunks(newest_first(query))), mimetype="text/csv"
    )
    moment = clock.now().strftime("%Y-%m-%dT%H%M%SZ")
    response.headers["Content-Disposition"] = f'attachment; filename="audit-log-{moment}.csv"'
    return response
