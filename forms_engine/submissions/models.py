"""Database models. The schema itself exists only through the Alembic migrations in migrations/."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import JSON, DateTime, ForeignKey, Index, Integer, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db


def utcnow() -> datetime:
    return datetime.now(UTC)


class JourneyState(db.Model):  # type: ignore[name-defined]
    """A citizen's answers while they fill in a form, keyed by an opaque random id."""

    __tablename__ = "journeys"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    form_slug: Mapped[str] = mapped_column(String(80), index=True)
    form_version: Mapped[str] = mapped_column(String(64))
    answers: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, onupdate=utcnow)
    submission_reference: Mapped[str | None] = mapped_column(String(20), nullable=True)


class Submission(db.Model):  # type: ignore[name-defined]
    """What a citizen sent: answers on the path they took, with the exact definition used."""

    __tablename__ = "submissions"
    __table_args__ = (Index("ix_submissions_form_status", "form_slug", "status"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    reference: Mapped[str] = mapped_column(String(20), unique=True)
    journey_id: Mapped[str] = mapped_column(ForeignKey("journeys.id"), unique=True)
    form_slug: Mapped[str] = mapped_column(String(80), index=True)
    form_version: Mapped[str] = mapped_column(String(64))
    definition: Mapped[dict[str, Any]] = mapped_column(JSON)
    answers: Mapped[dict[str, Any]] = mapped_column(JSON)
    submitted_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, index=True)
    #: The language the citizen used: their receipt and confirmation email are in it too.
    language: Mapped[str] = mapped_column(String(8), default="en")
    #: Where caseworkers are with it: new, in-progress, done or rejected (see STATUSES).
    status: Mapped[str] = mapped_column(String(16), default="new")
    #: When the status last changed (retention counts from reaching done or rejected).
    status_changed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)

    def as_json(self) -> dict[str, Any]:
        submitted_at = self.submitted_at
        if submitted_at.tzinfo is None:  # SQLite keeps no time zone; every time stored is UTC
            submitted_at = submitted_at.replace(tzinfo=UTC)
        return {
            "reference": self.reference,
            "form": self.form_slug,
            "form_version": self.form_version,
            "submitted_at": submitted_at.isoformat(),
            "language": self.language,
            "answers": self.answers,
        }


#: Submission statuses in workflow order, with the names caseworkers see.
STATUSES: dict[str, str] = {
    "new": "New",
    "in-progress": "In progress",
    "done": "Done",
    "rejected": "Rejected",
}
#: Statuses that end the work on a submission: retention counts from reaching one.
CLOSED_STATUSES = frozenset({"done", "rejected"})


class SubmissionEvent(db.Model):  # type: ignore[name-defined]
    """A submission's history: a status change (from, to) and/or a caseworker's note."""

    __tablename__ = "submission_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    submission_id: Mapped[int] = mapped_column(ForeignKey("submissions.id"), index=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    actor_email: Mapped[str | None] = mapped_column(String(320), nullable=True)
    from_status: Mapped[str | None] = mapped_column(String(16), nullable=True)
    to_status: Mapped[str | None] = mapped_column(String(16), nullable=True)
    note: Mapped[str | None] = mapped_column(Text, nullable=True)


class FormVersion(db.Model):  # type: ignore[name-defined]
    """Every definition version the service has offered, so journeys in flight keep theirs."""

    __tablename__ = "form_versions"

    slug: Mapped[str] = mapped_column(String(80), primary_key=True)
    version: Mapped[str] = mapped_column(String(64), primary_key=True)
    definition: Mapped[dict[str, Any]] = mapped_column(JSON)
    first_seen: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class UploadedFile(db.Model):  # type: ignore[name-defined]
    """A file a citizen uploaded: linked to the journey, then to the submission. Bytes live in storage."""

    __tablename__ = "uploaded_files"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    journey_id: Mapped[str] = mapped_column(ForeignKey("journeys.id"), index=True)
    submission_id: Mapped[int | None] = mapped_column(ForeignKey("submissions.id"), index=True)
    component: Mapped[str] = mapped_column(String(64))
    filename: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    storage_key: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class FileBlob(db.Model):  # type: ignore[name-defined]
    """File bytes for the database-backed file store (several app instances on one PostgreSQL)."""

    __tablename__ = "file_blobs"

    storage_key: Mapped[str] = mapped_column(String(255), primary_key=True)
    data: Mapped[bytes] = mapped_column(LargeBinary)


class SaveToken(db.Model):  # type: ignore[name-defined]
    """A save-and-return link: only the token's SHA-256 is stored; single use; expires."""

    __tablename__ = "save_tokens"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    journey_id: Mapped[str] = mapped_column(ForeignKey("journeys.id"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    email: Mapped[str] = mapped_column(String(320))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


def as_utc(moment: datetime) -> datetime:
    """A stored time as an aware UTC datetime (SQLite keeps no time zone; every time stored is UTC)."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment


class DeliveryJob(db.Model):  # type: ignore[name-defined]
    """One thing to deliver for a submission (an email or a webhook call): the transactional outbox.

    Written in the transaction that stores the submission; a worker claims it by moving
    `next_attempt_at` past a lease, so a worker that dies mid-delivery leaves it due again later.
    """

    __tablename__ = "delivery_jobs"
    #: What the worker looks for: due jobs, by status and time.
    __table_args__ = (Index("ix_delivery_jobs_due", "status", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    submission_id: Mapped[int] = mapped_column(ForeignKey("submissions.id"), index=True)
    kind: Mapped[str] = mapped_column(String(32))
    target: Mapped[str] = mapped_column(String(2048))
    idempotency_key: Mapped[str] = mapped_column(String(64), unique=True)
    status: Mapped[str] = mapped_column(String(16), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    last_error: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    delivered_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


class DeliveryAttempt(db.Model):  # type: ignore[name-defined]
    """The log of every attempt at a delivery job: who tried, when, and what happened."""

    __tablename__ = "delivery_attempts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    job_id: Mapped[int] = mapped_column(ForeignKey("delivery_jobs.id"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    worker: Mapped[str] = mapped_column(String(120))
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    #: 'started' until it ends (an attempt left 'started' was cut off: the worker died), then
    #: 'delivered', 'failed' or 'dead' (failed for the last time).
    outcome: Mapped[str] = mapped_column(String(16), default="started")
    detail: Mapped[str | None] = mapped_column(Text, nullable=True)
