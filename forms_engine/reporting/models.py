"""Tables behind the conversion report. None of them holds personal data: journey metrics and
feedback are kept apart from journeys and submissions, so the report outlives their retention."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, DateTime, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from ..submissions.models import utcnow

#: A register entry's status: still on paper, being built, live online, or retired / out of scope
#: (retired entries are left out of every share).
PAPER_FORM_STATUSES: tuple[str, ...] = ("paper-only", "in-development", "live-digital", "retired")

#: Answers to the satisfaction question on the confirmation page, best first (GOV.UK wording keys).
SATISFACTION_RATINGS: tuple[str, ...] = (
    "very-satisfied",
    "satisfied",
    "neither",
    "dissatisfied",
    "very-dissatisfied",
)


class PaperForm(db.Model):  # type: ignore[name-defined]
    """One paper form in the register."""

    __tablename__ = "paper_forms"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    #: The paper form's reference code (unique across the group), such as "AB1".
    reference: Mapped[str] = mapped_column(String(40), unique=True)
    title: Mapped[str] = mapped_column(String(300))
    #: One of the organisations in caseworker.models.ORGANISATIONS.
    organisation: Mapped[str] = mapped_column(String(16), index=True)
    #: Paper forms received a year (an estimate); 0 when unknown or none.
    annual_volume: Mapped[int] = mapped_column(Integer, default=0)
    status: Mapped[str] = mapped_column(String(20), default="paper-only")
    #: The slug of the form definition that replaces it, when one exists.
    definition_slug: Mapped[str | None] = mapped_column(String(80), nullable=True, index=True)
    #: When the digital form went live, and when it was withdrawn (if it was).
    live_date: Mapped[date | None] = mapped_column(Date, nullable=True)
    withdrawn_date: Mapped[date | None] = mapped_column(Date, nullable=True)
    notes: Mapped[str] = mapped_column(Text, default="")
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, onupdate=utcnow)


class PaperCount(db.Model):  # type: ignore[name-defined]
    """How many paper copies of a form were received in a month (recorded by caseworkers or admins)."""

    __tablename__ = "paper_counts"
    __table_args__ = (UniqueConstraint("paper_form_id", "month", name="uq_paper_counts_form_month"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    paper_form_id: Mapped[int] = mapped_column(ForeignKey("paper_forms.id", ondelete="CASCADE"), index=True)
    #: The first day of the month counted.
    month: Mapped[date] = mapped_column(Date)
    count: Mapped[int] = mapped_column(Integer)
    recorded_by: Mapped[str] = mapped_column(String(320), default="")
    recorded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, onupdate=utcnow)


class JourneyMetric(db.Model):  # type: ignore[name-defined]
    """One started journey, for completion rate, time to complete and drop-out: no answers, no
    personal data, and not deleted with the journey."""

    __tablename__ = "journey_metrics"

    #: The journey's id (journeys.id) at the start; no foreign key, as journeys are purged.
    journey_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    form_slug: Mapped[str] = mapped_column(String(80), index=True)
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, index=True)
    #: The path of the last page the user was shown or sent (the drop-out page if never submitted).
    last_page: Mapped[str | None] = mapped_column(String(80), nullable=True)
    last_seen_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    submitted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


class Feedback(db.Model):  # type: ignore[name-defined]
    """An answer to the optional satisfaction question on a confirmation page (anonymous)."""

    __tablename__ = "feedback"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    form_slug: Mapped[str] = mapped_column(String(80), index=True)
    #: One of SATISFACTION_RATINGS.
    rating: Mapped[str] = mapped_column(String(20))
    comment: Mapped[str] = mapped_column(Text, default="")
    #: The journey it was given for, so one journey gives feedback once (not shown anywhere).
    journey_id: Mapped[str | None] = mapped_column(String(64), nullable=True, unique=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, index=True)
