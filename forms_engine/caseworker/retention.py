"""Retention: deleting personal data when its time is up, with `forms-engine purge` (run it daily).

What goes, counted on the caseworker clock (`clock.now`), all in days (see the RETENTION_* settings):

- a **submission** once it has been Done or Rejected for longer than its form's
  `retention.daysAfterClosed` (default RETENTION_DAYS_AFTER_CLOSED, 90), counted from its last status
  change; and any submission, whatever its status, sent longer ago than RETENTION_MAX_AGE_DAYS (730;
  0 for no maximum). With it goes everything that belongs to it: its uploaded files (the bytes in the
  file store and the `uploaded_files` rows, including files left on pages off the path), its delivery
  jobs and their attempts, its history (status changes and notes), its journey and that journey's
  save-and-return tokens. Receipts are made from the submission when asked for and never stored, so
  there is nothing else to delete. Each submission deleted gets its own `purge` audit event (the
  reference, the form, why, and how many files went).
- a **journey never sent** (a draft: personal data too) last changed longer ago than
  RETENTION_ABANDONED_JOURNEY_DAYS (30; 0 keeps them), with its uploaded files and used or expired
  save-and-return tokens, but never while a save-and-return link for it still works. One `purge`
  audit event per form and batch says how many went (a journey's id is a browser's key to it, so it
  is not written down).
- **audit log entries** recorded longer ago than RETENTION_AUDIT_DAYS (2555, 7 years; 0 keeps them),
  with one `purge` event saying how many.

A file that cannot be deleted from the file store does not stop the purge. Its submission (or draft)
is then kept whole, rows and all, and the failure is reported (and exit status 1): deleting the rows
would lose the only record of the file's storage key, leaving bytes no one could find, while a kept
submission is still expired and is tried again by the next run (deleting bytes already gone is not an
error). Files of that submission that were deleted before the failure are then missing from the store
(downloading them answers 404) until the next run finishes the job. A `purge-failed` audit event
records what happened.
"""

from __future__ import annotations

import logging
import sys
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, NamedTuple

import click
from flask import current_app
from flask.cli import with_appcontext
from sqlalchemy import and_, delete, exists, func, or_, select
from sqlalchemy.exc import SQLAlchemyError

from ..definitions.model import FormDefinition, retention_of
from ..extensions import db
from ..files.storage import FileStore
from ..submissions.models import (
    CLOSED_STATUSES,
    DeliveryAttempt,
    DeliveryJob,
    JourneyState,
    SaveToken,
    Submission,
    SubmissionEvent,
    UploadedFile,
    as_utc,
)
from . import audit, clock
from .models import AuditEvent

log = logging.getLogger(__name__)

#: Drafts are deleted this many at a time, each batch in one transaction with its audit events.
JOURNEY_BATCH = 100
CLOSED, MAX_AGE = "closed", "max-age"


class RetentionSettingError(ValueError):
    """A RETENTION_* setting is not a number of days it can use."""


@dataclass(frozen=True)
class Policy:
    """The service's retention settings, in days (see `forms_engine.config.Config`)."""

    days_after_closed: int = 90
    max_age_days: int = 730
    abandoned_journey_days: int = 30
    audit_days: int = 2555

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> Policy:
        def days(name: str, default: int, least: int) -> int:
            value = config.get(name, default)
            try:
                number = int(value)
            except (TypeError, ValueError):
                number = -1
            if number < least or (isinstance(value, float) and not value.is_integer()):
                raise RetentionSettingError(f"{name} must be a whole number of days, at least {least}")
            return number

        return cls(
            days_after_closed=days("RETENTION_DAYS_AFTER_CLOSED", 90, 1),
            max_age_days=days("RETENTION_MAX_AGE_DAYS", 730, 0),
            abandoned_journey_days=days("RETENTION_ABANDONED_JOURNEY_DAYS", 30, 0),
            audit_days=days("RETENTION_AUDIT_DAYS", 2555, 0),
        )


@dataclass(frozen=True)
class Expired:
    """A submission whose time is up, and why."""

    submission_id: int
    reference: str
    form_slug: str
    #: CLOSED (done or rejected for longer than the form keeps them) or MAX_AGE (sent too long ago).
    rule: str
    #: Days since it was closed (CLOSED) or sent (MAX_AGE).
    days: int
    #: The limit it passed, in days.
    limit: int

    def why(self) -> str:
        if self.rule == CLOSED:
            return f"closed {self.days} days ago (kept for {self.limit} days after closing)"
        return f"sent {self.days} days ago (older than the maximum age of {self.limit} days)"

    def audit_detail(self, files: int) -> dict[str, Any]:
        key = "closed_days_ago" if self.rule == CLOSED else "age_days"
        return {
            "reason": self.why(),
            "rule": self.rule,
            key: self.days,
            "limit_days": self.limit,
            "files": files,
        }


@dataclass(frozen=True)
class Failure:
    """Something the purge could not delete: kept, reported, and tried again by the next run."""

    kind: str  # "submission", "journeys" or "audit-log"
    what: str  # a reference, a form slug …
    problem: str


@dataclass
class PurgeReport:
    """What a purge deleted (or, on a dry run, would delete)."""

    now: datetime
    dry_run: bool
    submissions: list[Expired] = field(default_factory=list)
    submission_files: int = 0
    #: Submissions expired when listed but no longer when deleted (reopened in the meantime).
    skipped: list[str] = field(default_factory=list)
    journeys: Counter[str] = field(default_factory=Counter)
    journey_files: int = 0
    audit_entries: int = 0
    failures: list[Failure] = field(default_factory=list)


def _days_between(earlier: datetime, later: datetime) -> int:
    return (later - as_utc(earlier)).days


def expiry(
    *,
    status: str,
    submitted_at: datetime,
    status_changed_at: datetime | None,
    days_after_closed: int,
    max_age_days: int,
    now: datetime,
) -> tuple[str, int, int] | None:
    """(rule, days, limit) if a submission with these facts has expired at `now`, else None.

    Closed: done or rejected for more than `days_after_closed` days (since its last status change).
    Maximum age: sent more than `max_age_days` days ago (0: no maximum). Closed is reported first."""
    if status in CLOSED_STATUSES:
        closed_at = as_utc(status_changed_at or submitted_at)
        if closed_at < now - timedelta(days=days_after_closed):
            return CLOSED, _days_between(closed_at, now), days_after_closed
    if max_age_days and as_utc(submitted_at) < now - timedelta(days=max_age_days):
        return MAX_AGE, _days_between(submitted_at, now), max_age_days
    return None


def form_retention_days(registry_forms: Iterable[FormDefinition], default: int) -> dict[str, int]:
    """Days after closing to keep each form's submissions, for every form with submissions: the
    form's current definition says, or (a form no longer offered) its newest submission's."""
    offered = {d.slug: d.retention.days_after_closed for d in registry_forms}
    days: dict[str, int] = {}
    for slug in db.session.scalars(select(Submission.form_slug).distinct()):
        if slug in offered:
            declared = offered[slug]
        else:
            stored = db.session.scalars(
                select(Submission.definition)
                .where(Submission.form_slug == slug)
                .order_by(Submission.id.desc())
                .limit(1)
            ).one()
            declared = retention_of(stored if isinstance(stored, Mapping) else {}).days_after_closed
        days[slug] = declared if declared is not None else default
    return days


_COLUMNS = (
    Submission.id,
    Submission.reference,
    Submission.form_slug,
    Submission.status,
    Submission.submitted_at,
    Submission.status_changed_at,
)


def _expired_row(row: Any, days_by_form: Mapping[str, int], policy: Policy, now: datetime) -> Expired | None:
    found = expiry(
        status=row.status,
        submitted_at=row.submitted_at,
        status_changed_at=row.status_changed_at,
        days_after_closed=days_by_form.get(row.form_slug, policy.days_after_closed),
        max_age_days=policy.max_age_days,
        now=now,
    )
    if found is None:
        return None
    return Expired(row.id, row.reference, row.form_slug, *found)


def find_expired_submissions(now: datetime, policy: Policy, days_by_form: Mapping[str, int]) -> list[Expired]:
    """The submissions whose time is up at `now`, oldest first. `days_by_form`: see
    `form_retention_days`."""
    closed_at = func.coalesce(Submission.status_changed_at, Submission.submitted_at)
    conditions = [
        and_(
            Submission.form_slug == slug,
            Submission.status.in_(sorted(CLOSED_STATUSES)),
            closed_at < now - timedelta(days=days),
        )
        for slug, days in days_by_form.items()
    ]
    if policy.max_age_days:
        conditions.append(Submission.submitted_at < now - timedelta(days=policy.max_age_days))
    if not conditions:
        return []
    rows = db.session.execute(select(*_COLUMNS).where(or_(*conditions)).order_by(Submission.id))
    found = (_expired_row(row, days_by_form, policy, now) for row in rows)
    return [expired for expired in found if expired is not None]


class StoredFile(NamedTuple):
    id: str
    journey_id: str
    storage_key: str


def _files_where(condition: Any) -> list[StoredFile]:
    rows = db.session.execute(
        select(UploadedFile.id, UploadedFile.journey_id, UploadedFile.storage_key)
        .where(condition)
        .order_by(UploadedFile.created_at, UploadedFile.id)
    )
    return [StoredFile(*row) for row in rows]


def _delete_bytes(store: FileStore, files: Iterable[StoredFile]) -> list[tuple[StoredFile, str]]:
    """Delete each file's bytes, carrying on past failures; the files that failed, with why."""
    failed: list[tuple[StoredFile, str]] = []
    for record in files:
        try:
            store.delete(record.storage_key)
        except Exception as error:  # any store, any failure: report it and carry on
            log.warning("purge: could not delete file %s (%s): %r", record.id, record.storage_key, error)
            failed.append((record, f"{type(error).__name__}: {error}"))
    return failed


def _record_failure(kind: str, what: str, problem: str, actor: str, **audit_fields: Any) -> Failure:
    """A failure, after the transaction that failed was rolled back: recorded in the audit log too
    (if even that fails, the failure is still reported)."""
    try:
        audit.record("purge-failed", actor=actor, **audit_fields)
        db.session.commit()
    except SQLAlchemyError:
        db.session.rollback()
        log.exception("purge: could not record the failure to delete %s %s", kind, what)
    return Failure(kind, what, problem)


def purge_submission(
    expired: Expired,
    *,
    policy: Policy,
    days_by_form: Mapping[str, int],
    now: datetime,
    store: FileStore,
    actor: str,
) -> int | Failure | None:
    """Delete one expired submission and everything that belongs to it, in one transaction with its
    audit event. The number of files deleted; a Failure (then everything is kept); or None when it
    is no longer expired (a caseworker reopened it after it was listed)."""
    try:
        # Locked (PostgreSQL) and looked at again: a status change waits, or has already happened.
        row = db.session.execute(
            select(*_COLUMNS, Submission.journey_id)
            .where(Submission.id == expired.submission_id)
            .with_for_update()
        ).first()
        if row is None or _expired_row(row, days_by_form, policy, now) is None:
            db.session.rollback()
            return None
        files = _files_where(
            or_(UploadedFile.submission_id == row.id, UploadedFile.journey_id == row.journey_id)
        )
        failed = _delete_bytes(store, files)
        if failed:
            db.session.rollback()
            return _record_failure(
                "submission",
                expired.reference,
                "; ".join(f"file {record.id}: {problem}" for record, problem in failed),
                actor,
                object_type="submission",
                object_id=expired.reference,
                form_slug=expired.form_slug,
                detail={
                    "reason": expired.why(),
                    "kept": "a file could not be deleted; the next purge tries again",
                    "files": len(files),
                    "files_failed": [record.id for record, _ in failed],
                    "errors": [problem for _, problem in failed][:10],
                },
            )
        jobs = select(DeliveryJob.id).where(DeliveryJob.submission_id == row.id)
        statements = (
            delete(DeliveryAttempt).where(DeliveryAttempt.job_id.in_(jobs)),
            delete(DeliveryJob).where(DeliveryJob.submission_id == row.id),
            delete(SubmissionEvent).where(SubmissionEvent.submission_id == row.id),
            delete(UploadedFile).where(UploadedFile.id.in_([record.id for record in files])),
            delete(SaveToken).where(SaveToken.journey_id == row.journey_id),
            delete(Submission).where(Submission.id == row.id),
            delete(JourneyState).where(JourneyState.id == row.journey_id),
        )
        for statement in statements:
            db.session.execute(statement.execution_options(synchronize_session=False))
        audit.record(
            "purge",
            object_type="submission",
            object_id=expired.reference,
            form_slug=expired.form_slug,
            detail=expired.audit_detail(len(files)),
            actor=actor,
        )
        db.session.commit()
        return len(files)
    except SQLAlchemyError as error:
        db.session.rollback()
        log.exception("purge: could not delete submission %s", expired.reference)
        return _record_failure(
            "submission",
            expired.reference,
            f"{type(error).__name__}: {error}",
            actor,
            object_type="submission",
            object_id=expired.reference,
            form_slug=expired.form_slug,
            detail={"reason": expired.why(), "kept": "the database refused the deletion"},
        )


def _abandoned(now: datetime, days: int) -> Any:
    """The condition for a draft to delete: never sent, unchanged for `days`, no working link."""
    live_link = exists().where(
        SaveToken.journey_id == JourneyState.id,
        SaveToken.used_at.is_(None),
        SaveToken.expires_at > now,
    )
    sent = exists().where(Submission.journey_id == JourneyState.id)
    last_changed = func.coalesce(JourneyState.updated_at, JourneyState.created_at)
    return and_(
        JourneyState.submission_reference.is_(None),
        last_changed < now - timedelta(days=days),
        ~live_link,
        ~sent,
    )


def find_abandoned_journeys(now: datetime, days: int) -> list[tuple[str, str]]:
    """(journey id, form slug) of every draft to delete at `now` (none when `days` is 0)."""
    if not days:
        return []
    rows = db.session.execute(
        select(JourneyState.id, JourneyState.form_slug).where(_abandoned(now, days)).order_by(JourneyState.id)
    )
    return [(row.id, row.form_slug) for row in rows]


def _purge_journey_batch(
    ids: Sequence[str], *, days: int, now: datetime, store: FileStore, actor: str, report: PurgeReport
) -> None:
    try:
        # Looked at again under lock: a journey resumed since it was listed is kept.
        rows = db.session.execute(
            select(JourneyState.id, JourneyState.form_slug)
            .where(JourneyState.id.in_(ids), _abandoned(now, days))
            .with_for_update()
        ).all()
        files = _files_where(UploadedFile.journey_id.in_([row.id for row in rows]))
        failed = _delete_bytes(store, files)
        kept = {record.journey_id for record, _ in failed}
        gone = [row for row in rows if row.id not in kept]
        gone_ids = [row.id for row in gone]
        gone_files = [record for record in files if record.journey_id not in kept]
        for statement in (
            delete(UploadedFile).where(UploadedFile.id.in_([record.id for record in gone_files])),
            delete(SaveToken).where(SaveToken.journey_id.in_(gone_ids)),
            delete(JourneyState).where(JourneyState.id.in_(gone_ids)),
        ):
            db.session.execute(statement.execution_options(synchronize_session=False))
        slug_of = {row.id: row.form_slug for row in rows}
        by_form = Counter(row.form_slug for row in gone)
        files_by_form = Counter(slug_of[record.journey_id] for record in gone_files)
        for slug, count in sorted(by_form.items()):
            audit.record(
                "purge",
                object_type="journeys",
                form_slug=slug,
                detail={
                    "reason": f"never sent, unchanged for more than {days} days",
                    "journeys": count,
                    "files": files_by_form[slug],
                },
                actor=actor,
            )
        db.session.commit()
    except SQLAlchemyError as error:
        db.session.rollback()
        log.exception("purge: could not delete a batch of %d abandoned journeys", len(ids))
        report.failures.append(
            _record_failure(
                "journeys",
                f"a batch of {len(ids)}",
                f"{type(error).__name__}: {error}",
                actor,
                object_type="journeys",
                detail={"kept": "the database refused the deletion", "journeys": len(ids)},
            )
        )
        return
    report.journeys.update(by_form)
    report.journey_files += len(gone_files)
    for journey_id in sorted(kept):
        problems = "; ".join(f"file {r.id}: {p}" for r, p in failed if r.journey_id == journey_id)
        report.failures.append(
            _record_failure(
                "journey",
                f"a draft of {slug_of[journey_id]}",
                problems,
                actor,
                object_type="journeys",
                form_slug=slug_of[journey_id],
                detail={
                    "kept": "a file could not be deleted; the next purge tries again",
                    "journeys": 1,
                    "files_failed": [r.id for r, _ in failed if r.journey_id == journey_id],
                },
            )
        )


def audit_cutoff(now: datetime, days: int) -> datetime:
    return now - timedelta(days=days)


def purge(
    *,
    now: datetime,
    policy: Policy,
    registry_forms: Iterable[FormDefinition],
    store: FileStore,
    actor: str,
    dry_run: bool = False,
) -> PurgeReport:
    """Delete (or, on a dry run, only find) every expired submission, abandoned draft and old audit
    log entry at `now`. Failures are in the report, never raised."""
    report = PurgeReport(now=now, dry_run=dry_run)
    days_by_form = form_retention_days(registry_forms, policy.days_after_closed)
    expired = find_expired_submissions(now, policy, days_by_form)
    db.session.rollback()  # end the read: each deletion below is its own transaction
    for item in expired:
        if dry_run:
            report.submissions.append(item)
            report.submission_files += _count_files(item.submission_id)
            continue
        outcome = purge_submission(
            item, policy=policy, days_by_form=days_by_form, now=now, store=store, actor=actor
        )
        if outcome is None:
            report.skipped.append(item.reference)
        elif isinstance(outcome, Failure):
            report.failures.append(outcome)
        else:
            report.submissions.append(item)
            report.submission_files += outcome

    journeys = find_abandoned_journeys(now, policy.abandoned_journey_days)
    db.session.rollback()
    if dry_run:
        report.journeys.update(slug for _, slug in journeys)
        if journeys:
            report.journey_files = (
                db.session.scalar(
                    select(func.count(UploadedFile.id)).where(
                        UploadedFile.journey_id.in_(
                            select(JourneyState.id).where(_abandoned(now, policy.abandoned_journey_days))
                        )
                    )
                )
                or 0
            )
    else:
        for start in range(0, len(journeys), JOURNEY_BATCH):
            batch = [journey_id for journey_id, _ in journeys[start : start + JOURNEY_BATCH]]
            _purge_journey_batch(
                batch, days=policy.abandoned_journey_days, now=now, store=store, actor=actor, report=report
            )

    if policy.audit_days:
        _purge_audit_log(now, policy.audit_days, actor, report)
    db.session.rollback()
    return report


def _count_files(submission_id: int) -> int:
    journey_id = select(Submission.journey_id).where(Submission.id == submission_id).scalar_subquery()
    return (
        db.session.scalar(
            select(func.count(UploadedFile.id)).where(
                or_(UploadedFile.submission_id == submission_id, UploadedFile.journey_id == journey_id)
            )
        )
        or 0
    )


def _purge_audit_log(now: datetime, days: int, actor: str, report: PurgeReport) -> None:
    old = AuditEvent.at < now - timedelta(days=days)
    if report.dry_run:
        report.audit_entries = db.session.scalar(select(func.count(AuditEvent.id)).where(old)) or 0
        return
    try:
        deleted = db.session.execute(
            delete(AuditEvent).where(old).execution_options(synchronize_session=False)
        )
        count = int(getattr(deleted, "rowcount", 0) or 0)
        if count:
            audit.record(
                "purge",
                object_type="audit-log",
                detail={
                    "reason": f"recorded more than {days} days ago",
                    "entries": count,
                    "before": (now - timedelta(days=days)).isoformat(),
                },
                actor=actor,
            )
        db.session.commit()
        report.audit_entries = count
    except SQLAlchemyError as error:
        db.session.rollback()
        log.exception("purge: could not delete old audit log entries")
        report.failures.append(Failure("audit-log", f"entries older than {days} days", str(error)))


# -- the command ----------------------------------------------------------------------------------


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


def print_report(report: PurgeReport, policy: Policy) -> None:
    """The purge's summary on standard output, failures on standard error."""
    verb = "would delete" if report.dry_run else "deleted"
    heading = f"purge at {report.now.isoformat(timespec='seconds')}"
    click.echo(heading + (" (dry run: nothing deleted)" if report.dry_run else ""))
    click.echo(
        f"submissions: {verb} {len(report.submissions)} "
        f"(with {_plural(report.submission_files, 'uploaded file')})"
    )
    for item in report.submissions:
        click.echo(f"  {item.reference}  {item.form_slug}  {item.why()}")
    if report.skipped:
        kept = _plural(len(report.skipped), "submission")
        click.echo(f"  kept {kept} reopened since the purge began: {', '.join(report.skipped)}")
    if policy.abandoned_journey_days:
        total = sum(report.journeys.values())
        click.echo(
            f"journeys never sent, unchanged for more than {policy.abandoned_journey_days} days: {verb} "
            f"{total} (with {_plural(report.journey_files, 'uploaded file')})"
        )
        for slug, count in sorted(report.journeys.items()):
            click.echo(f"  {slug}: {count}")
    else:
        click.echo("journeys never sent: kept (RETENTION_ABANDONED_JOURNEY_DAYS is 0)")
    if policy.audit_days:
        click.echo(f"audit log entries older than {policy.audit_days} days: {verb} {report.audit_entries}")
    else:
        click.echo("audit log entries: kept (RETENTION_AUDIT_DAYS is 0)")
    if report.failures:
        click.echo(f"{_plural(len(report.failures), 'failure')}: kept, the next purge tries again", err=True)
        for failure in report.failures:
            click.echo(f"  {failure.kind} {failure.what}: {failure.problem}", err=True)


@click.command("purge")
@click.option("--dry-run", is_flag=True, help="List what would be deleted, and delete nothing.")
@with_appcontext
def purge_command(dry_run: bool) -> None:
    """Delete submissions, drafts and audit log entries whose retention period is over.

    Settings (days): RETENTION_DAYS_AFTER_CLOSED (a form's `retention.daysAfterClosed` wins),
    RETENTION_MAX_AGE_DAYS, RETENTION_ABANDONED_JOURNEY_DAYS, RETENTION_AUDIT_DAYS (0: no limit).
    Exits with status 1 if anything could not be deleted (it is kept and tried again next time)."""
    from .. import form_registry
    from ..runner.uploads import file_store

    app = current_app._get_current_object()  # type: ignore[attr-defined]
    try:
        policy = Policy.from_config(app.config)
    except RetentionSettingError as error:
        raise click.ClickException(str(error)) from error
    report = purge(
        now=clock.now(),
        policy=policy,
        registry_forms=list(form_registry(app).forms.values()),
        store=file_store(),
        actor=audit.cli_actor(),
        dry_run=dry_run,
    )
    print_report(report, policy)
    if report.failures:
        sys.exit(1)
