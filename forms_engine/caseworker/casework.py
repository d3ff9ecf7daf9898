"""What caseworkers work on: the forms an account may see, their submissions found by filters, and
status changes and notes. No Flask requests here: the views read the request and call these."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Select, func, select

from ..definitions.model import FormDefinition
from ..extensions import db
from ..submissions.export import submission_definition
from ..submissions.models import STATUSES, Submission, SubmissionEvent
from . import clock
from .auth import visible_form_slugs
from .models import User

#: Dates caseworkers type are UK dates: a day runs from midnight to midnight in London.
UK = ZoneInfo("Europe/London")
PAGE_SIZE = 25
NOTE_LIMIT = 2000


@dataclass(frozen=True)
class FormEntry:
    """A form as the caseworker area lists it."""

    slug: str
    title: str
    paper_reference: str
    organisation: str
    counts: Mapping[str, int] = field(default_factory=dict)

    @property
    def total(self) -> int:
        return sum(self.counts.values())


def known_forms(registry_forms: Iterable[FormDefinition]) -> dict[str, FormEntry]:
    """Every form caseworkers may have work for: the forms the service offers now, and any form
    with submissions that it no longer offers (described by its newest submission's definition)."""
    forms = {
        d.slug: FormEntry(
            d.slug, d.title.in_language("en"), d.paper_form.reference, d.paper_form.organisation
        )
        for d in registry_forms
    }
    stored = db.session.scalars(select(Submission.form_slug).distinct()).all()
    for slug in stored:
        if slug in forms:
            continue
        newest = db.session.scalars(
            select(Submission).where(Submission.form_slug == slug).order_by(Submission.id.desc()).limit(1)
        ).one()
        definition = submission_definition(newest)
        forms[slug] = FormEntry(
            slug,
            definition.title.in_language("en"),
            definition.paper_form.reference,
            definition.paper_form.organisation,
        )
    return forms


def forms_for(user: User, registry_forms: Iterable[FormDefinition]) -> list[FormEntry]:
    """The forms `user` may see, with their submission counts by status, by title."""
    forms = known_forms(registry_forms)
    visible = visible_form_slugs(user, {slug: entry.organisation for slug, entry in forms.items()})
    counts: dict[str, dict[str, int]] = {slug: {} for slug in visible}
    if visible:
        rows = db.session.execute(
            select(Submission.form_slug, Submission.status, func.count())
            .where(Submission.form_slug.in_(visible))
            .group_by(Submission.form_slug, Submission.status)
        )
        for slug, status, count in rows:
            counts[slug][status] = count
    return sorted(
        (
            FormEntry(e.slug, e.title, e.paper_reference, e.organisation, counts[e.slug])
            for e in forms.values()
            if e.slug in visible
        ),
        key=lambda e: e.title.lower(),
    )


def form_for(user: User, slug: str, registry_forms: Iterable[FormDefinition]) -> FormEntry | None:
    """The form if `user` may see it, else None (the views answer 404)."""
    forms = known_forms(registry_forms)
    if slug not in forms:
        return None
    visible = visible_form_slugs(user, {s: e.organisation for s, e in forms.items()})
    return forms[slug] if slug in visible else None


@dataclass(frozen=True)
class Filters:
    """What a caseworker narrowed a form's submissions down to. Dates are inclusive UK days."""

    statuses: tuple[str, ...] = ()
    since: date | None = None
    until: date | None = None
    reference: str = ""

    def query_args(self) -> dict[str, Any]:
        """The filters as the list page's query string (for links to pages and exports)."""
        args: dict[str, Any] = {}
        if self.statuses:
            args["status"] = list(self.statuses)
        for prefix, value in (("from", self.since), ("to", self.until)):
            if value is not None:
                args[f"{prefix}-day"] = value.day
                args[f"{prefix}-month"] = value.month
                args[f"{prefix}-year"] = value.year
        if self.reference:
            args["reference"] = self.reference
        return args

    def describe(self) -> dict[str, Any]:
        """The filters for the audit log."""
        return {
            "statuses": list(self.statuses),
            "since": self.since.isoformat() if self.since else None,
            "until": self.until.isoformat() if self.until else None,
            "reference": self.reference or None,
        }


def start_of_day(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=UK).astimezone(UTC)


def normalise_reference(text: str) -> str:
    """A reference as typed ('k7mp 3qxr-zd4t') in its stored form ('K7MP-3QXR-ZD4T')."""
    compact = "".join(ch for ch in text.upper() if ch.isalnum())
    if len(compact) == 12:
        return "-".join(compact[i : i + 4] for i in range(0, 12, 4))
    return text.strip().upper()


def filtered(slug: str, filters: Filters) -> Select[Any]:
    query = select(Submission).where(Submission.form_slug == slug)
    if filters.statuses:
        query = query.where(Submission.status.in_(filters.statuses))
    if filters.since is not None:
        query = query.where(Submission.submitted_at >= start_of_day(filters.since))
    if filters.until is not None and filters.until < date.max:  # the last day has no day after it
        query = query.where(Submission.submitted_at < start_of_day(filters.until + timedelta(days=1)))
    if filters.reference:
        query = query.where(Submission.reference == normalise_reference(filters.reference))
    return query


@dataclass(frozen=True)
class ResultPage:
    items: Sequence[Submission]
    total: int
    number: int
    size: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.size))


def find_submissions(slug: str, filters: Filters, page: int = 1, size: int = PAGE_SIZE) -> ResultPage:
    """One page of the form's submissions matching `filters`, newest first."""
    query = filtered(slug, filters)
    total = db.session.scalar(select(func.count()).select_from(query.subquery())) or 0
    pages = max(1, -(-total // size))
    number = min(max(page, 1), pages)
    items = db.session.scalars(
        query.order_by(Submission.submitted_at.desc(), Submission.id.desc())
        .offset((number - 1) * size)
        .limit(size)
    ).all()
    return ResultPage(items, total, number, size)


def submission_for(user: User, reference: str, registry_forms: Iterable[FormDefinition]) -> Submission | None:
    """The submission with `reference` if `user` may see its form; otherwise None, exactly as if it
    did not exist (the views answer 404 either way)."""
    submission = db.session.scalars(
        select(Submission).where(Submission.reference == normalise_reference(reference))
    ).first()
    if submission is None or form_for(user, submission.form_slug, registry_forms) is None:
        return None
    return submission


def history(submission: Submission) -> Sequence[SubmissionEvent]:
    return db.session.scalars(
        select(SubmissionEvent)
        .where(SubmissionEvent.submission_id == submission.id)
        .order_by(SubmissionEvent.id)
    ).all()


def change_status(
    submission: Submission, status: str | None, note: str, actor: User
) -> SubmissionEvent | None:
    """Move the submission to `status` and/or add a note, in its history; flushed, not committed.
    None when there is nothing to record (the same status and no note)."""
    if status is not None and status not in STATUSES:
        raise ValueError(f"unknown status {status!r}")
    note = note.strip()
    moving = status is not None and status != submission.status
    if not moving and not note:
        return None
    event = SubmissionEvent(
        submission_id=submission.id,
        at=clock.now(),
        actor_id=actor.id,
        actor_email=actor.email,
        from_status=submission.status if moving else None,
        to_status=status if moving else None,
        note=note or None,
    )
    if moving:
        assert status is not None
        submission.status = status
        submission.status_changed_at = event.at
    db.session.add(event)
    db.session.flush()
    return event
