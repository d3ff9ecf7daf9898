"""`forms-engine worker`: claim due delivery jobs, deliver them, record every attempt, repeat.

Several workers can run at once against PostgreSQL. SIGTERM or SIGINT lets the job in hand finish
and then stops the worker; SIGKILL loses nothing either, because a claimed job that is never
finished becomes due again when its lease runs out.
"""

from __future__ import annotations

import logging
import os
import signal
import socket
import threading
from dataclasses import dataclass
from datetime import timedelta
from types import FrameType
from urllib.parse import urlsplit

from flask import Flask
from sqlalchemy.exc import OperationalError

from ..extensions import db
from . import outbox
from .delivery import DeliveryError, deliver
from .models import DeliveryJob, Submission

log = logging.getLogger(__name__)


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def loggable_target(job: DeliveryJob) -> str:
    """Where a job goes, as a log may say it: never the applicant's own email address (personal
    data), and a webhook's address without credentials, query or fragment (they may hold a token)."""
    if job.kind == outbox.CONFIRMATION_EMAIL:
        return "the applicant"
    if job.kind == outbox.WEBHOOK:
        parts = urlsplit(job.target)
        return parts._replace(netloc=parts.netloc.rpartition("@")[2], query="", fragment="").geturl()
    return job.target


def loggable_error(job: DeliveryJob, error: BaseException) -> str:
    """An error's text with the job's target as loggable_target says it (an SMTP server's refusal
    quotes the address)."""
    return str(error).replace(job.target, loggable_target(job)) if job.target else str(error)


@dataclass
class WorkerStats:
    delivered: int = 0
    failed: int = 0
    dead: int = 0


def deliver_claim(claim: outbox.Claim, backoff: outbox.Backoff, stats: WorkerStats) -> str:
    """Make the attempt a claim stands for and record how it ended."""
    job = db.session.get(DeliveryJob, claim.job_id)
    assert job is not None
    submission = db.session.get(Submission, job.submission_id)
    assert submission is not None
    where = loggable_target(job)
    what = f"job {job.id} ({job.kind} to {where}) for {submission.reference}, attempt {claim.number}"
    try:
        detail = deliver(job, submission)
    except DeliveryError as exc:
        db.session.rollback()
        status = outbox.finish_attempt(claim, backoff, error=str(exc), permanent=exc.permanent)
        if status == outbox.DEAD:
            stats.dead += 1
            log.error(
                "delivery: %s failed for the last time, dead-lettered: %s", what, loggable_error(job, exc)
            )
        else:
            stats.failed += 1
            log.warning("delivery: %s failed, will retry: %s", what, loggable_error(job, exc))
        return status
    except Exception as exc:  # a bug or bad data must not stop the worker: keep the job, log, retry
        db.session.rollback()
        log.exception("delivery: %s failed unexpectedly", what)
        status = outbox.finish_attempt(claim, backoff, error=f"{exc.__class__.__name__}: {exc}")
        stats.failed += 1
        return status
    db.session.rollback()  # end the read transaction before the finishing one
    outbox.finish_attempt(claim, backoff, detail=detail)
    stats.delivered += 1
    log.info("delivery: %s delivered: %s", what, detail.replace(job.target, loggable_target(job)))
    return outbox.DELIVERED


class Worker:
    """Runs delivery rounds until stopped (or, with `once`, until nothing is due)."""

    def __init__(self, app: Flask, batch: int = 10, poll_seconds: float | None = None):
        self.app = app
        self.batch = batch
        self.poll_seconds = float(
            poll_seconds if poll_seconds is not None else app.config["WORKER_POLL_SECONDS"]
        )
        self.backoff = outbox.Backoff.from_config(app.config)
        self.lease = timedelta(seconds=float(app.config["DELIVERY_LEASE_SECONDS"]))
        self.name = worker_name()
        self.stats = WorkerStats()
        self._stop = threading.Event()

    def stop(self, signum: int | None = None, frame: FrameType | None = None) -> None:
        if not self._stop.is_set():
            log.info("delivery: worker %s stopping after the job in hand", self.name)
        self._stop.set()

    def run_round(self) -> int:
        """Claim and deliver one batch of due jobs; the number claimed."""
        with self.app.app_context():
            try:
                claims = outbox.claim_due_jobs(self.name, self.batch, self.lease)
            except OperationalError as exc:  # database restarting: wait and try again, lose nothing
                db.session.rollback()
                log.warning("delivery: cannot reach the database, will try again: %s", exc.orig)
                return 0
            for claim in claims:
                if self._stop.is_set():
                    break  # unfinished claims become due again when their lease runs out
                try:
                    deliver_claim(claim, self.backoff, self.stats)
                except OperationalError as exc:
                    db.session.rollback()
                    log.warning("delivery: database error recording job %s: %s", claim.job_id, exc.orig)
            db.session.remove()
            return len(claims)

    def run(self, once: bool = False) -> WorkerStats:
        log.info("delivery: worker %s started", self.name)
        while not self._stop.is_set():
            claimed = self.run_round()
            if once and claimed == 0:
                break
            if claimed < self.batch:
                self._stop.wait(self.poll_seconds if not once else 0)
        log.info(
            "delivery: worker %s stopped: %d delivered, %d to retry, %d dead-lettered",
            self.name,
            self.stats.delivered,
            self.stats.failed,
            self.stats.dead,
        )
        return self.stats

    def install_signal_handlers(self) -> None:
        signal.signal(signal.SIGTERM, self.stop)
        signal.signal(signal.SIGINT, self.stop)
