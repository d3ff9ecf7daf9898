"""Delivery workers as separate processes on a real PostgreSQL: one killed with SIGKILL mid-delivery
and replaced loses nothing, and two at once never deliver one job at the same time."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import func, select

from forms_engine import form_registry
from forms_engine.extensions import db
from forms_engine.submissions.models import DeliveryAttempt, DeliveryJob, JourneyState, Submission
from forms_engine.submissions.service import store_submission

from .conftest import _reset_postgres
from .test_delivery import POULTRY, SECRET, SECRET_ENV, definitions_folder, delivery_app, send_poultry_form
from .webhook import WebhookReceiver, running_webhook_receiver

FORMS_ENGINE = Path(sys.executable).parent / "forms-engine"


@pytest.fixture
def pg_app(postgres_url: str, tmp_path: Path, receiver: WebhookReceiver) -> Iterator[Flask]:
    folder = definitions_folder(
        tmp_path, {"webhook": {"url": receiver.url, "secretEnv": SECRET_ENV}}, applicant_email=False
    )
    app = delivery_app(postgres_url, folder)
    yield app
    _reset_postgres(app)


@pytest.fixture
def receiver() -> Iterator[WebhookReceiver]:
    with running_webhook_receiver() as running:
        yield running


def add_submissions(app: Flask, count: int) -> list[str]:
    """One submission sent through the pages, then `count - 1` more with the same answers."""
    references = [send_poultry_form(app)]
    definition = form_registry(app).get(POULTRY)
    assert definition is not None
    with app.app_context():
        answers = db.session.scalars(select(Submission.answers)).one()
        for n in range(count - 1):
            journey_id = f"load-{n}-{os.urandom(6).hex()}"
            db.session.add(
                JourneyState(id=journey_id, form_slug=POULTRY, form_version=definition.version, answers={})
            )
            db.session.commit()
            references.append(store_submission(journey_id, definition, answers))
    return references


def start_worker(
    app: Flask, tmp_path: Path, name: str, *options: str, lease: float = 30
) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
        "SECRET_KEY": "worker-test",
        "FORM_DEFINITIONS_DIR": str(app.config["FORM_DEFINITIONS_DIR"]),
        "FORMS_ENGINE_INSTANCE": str(tmp_path / "instance"),
        "MAIL_BACKEND": "memory",
        "DELIVERY_BACKOFF_SECONDS": "0.5",
        "WORKER_POLL_SECONDS": "0.2",
        "DELIVERY_LEASE_SECONDS": str(lease),
        SECRET_ENV: SECRET,
    }
    with (tmp_path / f"{name}.log").open("wb") as log:  # the child keeps its own copy of the handle
        return subprocess.Popen([str(FORMS_ENGINE), "worker", *options], env=env, stdout=log, stderr=log)


def wait_until(condition: object, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():  # type: ignore[operator]
            return
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


def worker_started(tmp_path: Path, name: str) -> bool:
    """Whether the worker logged that it started (it then polls for due jobs)."""
    log = tmp_path / f"{name}.log"
    lines = log.read_text(errors="replace").splitlines() if log.is_file() else []
    return any("delivery: worker " in line and line.endswith(" started") for line in lines)


def delivered_count(app: Flask) -> int:
    with app.app_context():
        count = db.session.scalar(
            select(func.count()).select_from(DeliveryJob).where(DeliveryJob.status == "delivered")
        )
        db.session.remove()
        return int(count or 0)


def keys_by_reference(receiver: WebhookReceiver) -> dict[str, set[str]]:
    keys: dict[str, set[str]] = defaultdict(set)
    for request in receiver.received:
        keys[json.loads(request.body)["reference"]].add(request.headers["idempotency-key"])
    return keys


@pytest.mark.postgres
def test_a_worker_killed_mid_delivery_and_restarted_delivers_everything_with_the_same_keys(
    pg_app: Flask, receiver: WebhookReceiver, tmp_path: Path
) -> None:
    receiver.delay = 0.4
    receiver.hold_after = 2  # the third call waits, so the kill below is sure to land mid-call
    references = add_submissions(pg_app, 8)
    first = start_worker(pg_app, tmp_path, "first", "--batch", "4", lease=2)
    try:
        # Kill it while a webhook call is in flight: that attempt never finishes.
        wait_until(
            lambda: len(receiver.received) >= 2 and receiver.in_flight() > 0, 60, "deliveries to start"
        )
        first.send_signal(signal.SIGKILL)
        first.wait(10)
    finally:
        if first.poll() is None:
            first.kill()
        receiver.release()
    delivered_before = delivered_count(pg_app)
    assert delivered_before < len(references)

    second = start_worker(pg_app, tmp_path, "second", "--batch", "4", lease=2)
    try:
        wait_until(lambda: delivered_count(pg_app) == len(references), 90, "every job to be delivered")
    finally:
        second.send_signal(signal.SIGTERM)
        assert second.wait(30) == 0  # SIGTERM: a clean stop

    with pg_app.app_context():
        jobs = db.session.scalars(select(DeliveryJob).order_by(DeliveryJob.id)).all()
        job_keys = {job.idempotency_key for job in jobs}
        assert all(job.status == "delivered" for job in jobs)
        cut_off = db.session.scalars(
            select(DeliveryAttempt).where(DeliveryAttempt.outcome == "started")
        ).all()
    # Every submission reached the receiver, each with one key on every attempt: at least once,
    # and the receiver can drop the repeats.
    keys = keys_by_reference(receiver)
    assert set(keys) == set(references)
    assert all(len(k) == 1 for k in keys.values())
    assert {k for ks in keys.values() for k in ks} == job_keys
    accepted = {r.headers["idempotency-key"] for r in receiver.accepted()}
    assert accepted == job_keys
    # The attempt the kill cut off is on record, and its job was delivered again afterwards.
    assert cut_off, "the killed worker's attempt should be left as 'started'"
    repeated = [
        key for key in job_keys if sum(r.headers["idempotency-key"] == key for r in receiver.received) > 1
    ]
    assert repeated


@pytest.mark.postgres
def test_two_workers_at_once_share_the_jobs_and_never_deliver_one_twice(
    pg_app: Flask, receiver: WebhookReceiver, tmp_path: Path
) -> None:
    receiver.delay = 0.15
    workers = [start_worker(pg_app, tmp_path, f"worker-{n}", "--batch", "2") for n in range(2)]
    try:
        # Both polling before there is any job: a worker starts in several seconds on a busy
        # machine, and one started late could find the other had delivered all 16 already.
        wait_until(lambda: all(worker_started(tmp_path, f"worker-{n}") for n in range(2)), 90, "both workers")
        references = add_submissions(pg_app, 16)
        wait_until(lambda: delivered_count(pg_app) == len(references), 90, "every job to be delivered")
    finally:
        for worker in workers:
            worker.send_signal(signal.SIGTERM)
        assert [worker.wait(30) for worker in workers] == [0, 0]
    assert receiver.overlaps == []
    keys = [r.headers["idempotency-key"] for r in receiver.received]
    assert len(keys) == len(set(keys)) == len(references)  # no failures, no kills: exactly once
    with pg_app.app_context():
        names = set(db.session.scalars(select(DeliveryAttempt.worker)))
    assert len(names) == 2, "both workers should have delivered some jobs"
