"""The transactional outbox: delivery jobs written with the submission, claimed by workers, retried
with exponential backoff, dead-lettered after the last attempt, and replayed by command.

A job is claimed by moving its `next_attempt_at` past a lease in the same short transaction that
selects it (`FOR UPDATE SKIP LOCKED` on PostgreSQL, so workers never wait for each other or take
the same job). No row lock is held while the network is used; a worker that dies mid-delivery
simply leaves the job due again when the lease runs out. Delivery is therefore at least once, and
every attempt at one job carries the same idempotency key so the receiver can drop repeats.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select, update

from ..definitions.model import FormDefinition
from ..extensions import db
from .models import DeliveryAttempt, DeliveryJob, Submission

log = logging.getLogger(__name__)

CONFIRMATION_EMAIL = "confirmation-email"
TEAM_EMAIL = "team-email"
WEBHOOK = "webhook"
KINDS = (CONFIRMATION_EMAIL, TEAM_EMAIL, WEBHOOK)

PENDING = "pending"
DELIVERED = "delivered"
DEAD = "dead"
STATUSES = (PENDING, DELIVERED, DEAD)

#: The longest error text kept on a job or attempt (a receiver's whole error page is not useful).
ERROR_TEXT_LIMIT = 2000


def now_utc() -> datetime:
    return datetime.now(UTC)


def planned_deliveries(definition: FormDefinition, answers: Mapping[str, Any]) -> list[tuple[str, str]]:
    """(kind, target) for each delivery a submission of `definition` with `answers` needs."""
    planned: list[tuple[str, str]] = []
    email_component = definition.confirmation_email_component
    applicant = answers.get(email_component) if email_component else None
    if isinstance(applicant, str) and applicant.strip():
        planned.append((CONFIRMATION_EMAIL, applicant.strip()))
    planned.extend((TEAM_EMAIL, address) for address in definition.deliveries.team_emails)
    if definition.deliveries.webhook is not None:
        planned.append((WEBHOOK, definition.deliveries.webhook.url))
    return planned


def queue_deliveries(submission: Submission, definition: FormDefinition) -> list[DeliveryJob]:
    """Add the submission's delivery jobs to the session: the caller commits them with the
    submission itself, so there is never a submission without its jobs or jobs without it."""
    moment = now_utc()
    jobs = [
        DeliveryJob(
            submission_id=submission.id,
            kind=kind,
            target=target,
            idempotency_key=str(uuid.uuid4()),
            status=PENDING,
            attempts=0,
            next_attempt_at=moment,
            created_at=moment,
        )
        for kind, target in planned_deliveries(definition, submission.answers)
    ]
    db.session.add_all(jobs)
    return jobs


@dataclass(frozen=True)
class Backoff:
    """When to try again: `base * 2**(n-1)` seconds after failed attempt n, at most `cap`, and no
    attempt after `max_attempts`."""

    base: float
    cap: float
    max_attempts: int

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> Backoff:
        return cls(
            base=float(config["DELIVERY_BACKOFF_SECONDS"]),
            cap=float(config["DELIVERY_BACKOFF_MAX_SECONDS"]),
            max_attempts=int(config["DELIVERY_MAX_ATTEMPTS"]),
        )

    def delay(self, failed_attempt: int) -> timedelta:
        """The wait after attempt number `failed_attempt` (1 for the first) failed."""
        exponent = min(failed_attempt - 1, 60)  # 2**60 seconds is beyond any cap; avoid huge floats
        return timedelta(seconds=min(self.base * 2**exponent, self.cap))

    def window(self) -> timedelta:
        """Time from the first attempt to the last: how long a receiver can be down without a
        job being dead-lettered (ignoring the time the attempts themselves take)."""
        return sum((self.delay(n) for n in range(1, self.max_attempts)), timedelta())


@dataclass(frozen=True)
class Claim:
    """A job a worker has claimed, and the attempt it is making."""

    job_id: int
    attempt_id: int
    number: int


def claim_due_jobs(worker: str, limit: int, lease: timedelta, now: datetime | None = None) -> list[Claim]:
    """Claim up to `limit` due jobs for `worker` and log an attempt at each; commits.

    Rows other workers have locked are skipped rather than waited for (PostgreSQL); SQLite takes
    no row locks, so run one worker there.
    """
    moment = now or now_utc()
    jobs = db.session.scalars(
        select(DeliveryJob)
        .where(DeliveryJob.status == PENDING, DeliveryJob.next_attempt_at <= moment)
        .order_by(DeliveryJob.next_attempt_at, DeliveryJob.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    ).all()
    claims = []
    for job in jobs:
        job.attempts += 1
        job.next_attempt_at = moment + lease
        attempt = DeliveryAttempt(
            job_id=job.id, number=job.attempts, worker=worker[:120], started_at=moment, outcome="started"
        )
        db.session.add(attempt)
        db.session.flush()
        claims.append(Claim(job.id, attempt.id, job.attempts))
    db.session.commit()
    return claims


def finish_attempt(
    claim: Claim,
    backoff: Backoff,
    error: str | None = None,
    permanent: bool = False,
    detail: str | None = None,
    now: datetime | None = None,
) -> str:
    """Record how an attempt ended and return the job's new status; commits.

    Success marks the job delivered. A failure schedules the next attempt, or dead-letters the job
    when the failure is permanent or this was the last attempt allowed.
    """
    moment = now or now_utc()
    job = db.session.scalars(
        select(DeliveryJob).where(DeliveryJob.id == claim.job_id).with_for_update()
    ).one()
    attempt = db.session.get(DeliveryAttempt, claim.attempt_id)
    assert attempt is not None
    attempt.finished_at = moment
    if error is None:
        job.status = DELIVERED
        job.delivered_at = moment
        job.last_error = None
        attempt.outcome = DELIVERED
        attempt.detail = detail
    else:
        text = error[:ERROR_TEXT_LIMIT]
        job.last_error = text
        attempt.detail = text
        if permanent or job.attempts >= backoff.max_attempts:
            job.status = DEAD
            attempt.outcome = DEAD
        else:
            job.next_attempt_at = moment + backoff.delay(job.attempts)
            attempt.outcome = "failed"
    status = job.status
    db.session.commit()
    return status


def jobs_for_reference(reference: str) -> Sequence[DeliveryJob]:
    return db.session.scalars(
        select(DeliveryJob)
        .join(Submission, Submission.id == DeliveryJob.submission_id)
        .where(Submission.reference == reference)
        .order_by(DeliveryJob.id)
    ).all()


def attempts_for(job_id: int) -> Sequence[DeliveryAttempt]:
    return db.session.scalars(
        select(DeliveryAttempt).where(DeliveryAttempt.job_id == job_id).order_by(DeliveryAttempt.id)
    ).all()


def list_jobs(
    status: str | None = None, form_slug: str | None = None, limit: int | None = None
) -> Sequence[tuple[DeliveryJob, Submission]]:
    """Jobs (newest first) with their submissions, optionally of one status and one form."""
    query = select(DeliveryJob, Submission).join(Submission, Submission.id == DeliveryJob.submission_id)
    if status is not None:
        query = query.where(DeliveryJob.status == status)
    if form_slug is not None:
        query = query.where(Submission.form_slug == form_slug)
    query = query.order_by(DeliveryJob.id.desc())
    if limit is not None:
        query = query.limit(limit)
    return [(job, submission) for job, submission in db.session.execute(query)]


def retry_jobs(
    reference: str | None = None, include_delivered: bool = False, now: datetime | None = None
) -> list[DeliveryJob]:
    """Make jobs due now with a fresh set of attempts: a submission's dead and waiting jobs (and its
    delivered ones too with `include_delivered`), or every dead job when no reference is given.
    Each keeps its idempotency key, so a receiver that already has it can tell."""
    moment = now or now_utc()
    query = select(DeliveryJob)
    if reference is not None:
        query = query.join(Submission, Submission.id == DeliveryJob.submission_id).where(
            Submission.reference == reference
        )
        statuses = list(STATUSES) if include_delivered else [PENDING, DEAD]
    else:
        statuses = [DEAD]
    jobs = db.session.scalars(query.where(DeliveryJob.status.in_(statuses)).with_for_update()).all()
    if jobs:
        db.session.execute(
            update(DeliveryJob)
            .where(DeliveryJob.id.in_([job.id for job in jobs]))
            .values(status=PENDING, attempts=0, next_attempt_at=moment, delivered_at=None)
        )
    db.session.commit()
    for job in jobs:
        # Not the target: it may be the applicant's email address.
        log.info("delivery: job %s (%s) queued again", job.id, job.kind)
    return list(jobs)
