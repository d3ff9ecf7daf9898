"""Database models. The schema itself exists only through the Alembic migrations in migrations/."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import JSON, DateTime, ForeignKey, Integer, String
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

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    reference: Mapped[str] = mapped_column(String(20), unique=True)
    journey_id: Mapped[str] = mapped_column(ForeignKey("journeys.id"), unique=True)
    form_slug: Mapped[str] = mapped_column(String(80), index=True)
    form_version: Mapped[str] = mapped_column(String(64))
    definition: Mapped[dict[str, Any]] = mapped_column(JSON)
    answers: Mapped[dict[str, Any]] = mapped_column(JSON)
    submitted_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, index=True)

    def as_json(self) -> dict[str, Any]:
        submitted_at = self.submitted_at
        if submitted_at.tzinfo is None:  # SQLite keeps no time zone; every time stored is UTC
            submitted_at = submitted_at.replace(tzinfo=UTC)
        return {
            "reference": self.reference,
            "form": self.form_slug,
            "form_version": self.form_version,
            "submitted_at": submitted_at.isoformat(),
            "answers": self.answers,
        }
