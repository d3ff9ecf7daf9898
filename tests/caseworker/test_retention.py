"""Retention: `forms-engine purge` under frozen time, on SQLite and PostgreSQL. Expired submissions go
with everything that belongs to them (files in the store and their rows, deliveries and attempts,
history, journey, save-and-return tokens) and an audit event each; the rest stays; drafts and old
audit entries go too; a dry run changes nothing; a file that cannot be deleted keeps its submission
for the next run and makes the command fail."""

from __future__ import annotations

import getpass
import hashlib
import json
import secrets
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from click.testing import Result
from flask import Flask
from sqlalchemy import func, select, update

from forms_engine import form_registry
from forms_engine.caseworker import retention
from forms_engine.caseworker.models import AuditEvent
from forms_engine.caseworker.retention import Policy, RetentionSettingError, expiry
from forms_engine.definitions.loader import definition_schema, validate_definition_data
from forms_engine.definitions.model import FormDefinition, Retention, build_definition
from forms_engine.extensions import db
from forms_engine.files.storage import FileNotStored, new_key
from forms_engine.runner.uploads import file_store
from forms_engine.submissions.models import (
    DeliveryAttempt,
    DeliveryJob,
    FileBlob,
    JourneyState,
    SaveToken,
    Submission,
    SubmissionEvent,
    UploadedFile,
)
from forms_engine.submissions.service import store_submission

from ..conftest import FORM_DEFINITIONS, _reset_postgres, make_app
from .conftest import FrozenClock, audit_events

NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
POULTRY = "register-poultry-fewer-than-50-birds"  # the service default: 90 days after closing
BADGER = "badger-sett-development-licence"  # declares 365 days in these tests
RETIRED = "retired-poultry-form"  # no longer offered; its stored definition says 10 days
TABLES = (
    Submission,
    JourneyState,
    UploadedFile,
    FileBlob,
    DeliveryJob,
    DeliveryAttempt,
    SubmissionEvent,
    SaveToken,
    AuditEvent,
)


def days_ago(days: float) -> datetime:
    return NOW - timedelta(days=days)


def definition_json(slug: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((FORM_DEFINITIONS / f"{slug}.json").read_text(encoding="utf-8"))
    return data


@pytest.fixture
def definitions_dir(tmp_path: Path) -> Path:
    """The example forms, the badger form keeping closed submissions for a year."""
    folder = tmp_path / "definitions"
    folder.mkdir()
    for path in FORM_DEFINITIONS.glob("*.json"):
        data = json.loads(path.read_text(encoding="utf-8"))
        if data["slug"] == BADGER:
            data["retention"] = {"daysAfterClosed": 365}
        (folder / path.name).write_text(json.dumps(data), encoding="utf-8")
    return folder


@pytest.fixture
def now(frozen_clock: FrozenClock) -> datetime:
    frozen_clock.moment = NOW
    return NOW


@pytest.fixture
def purge_app(database_url: str, definitions_dir: Path, now: datetime) -> Iterator[Flask]:
    """The app on SQLite and on PostgreSQL in turn (files in the database store), at NOW."""
    app = make_app(database_url, FORM_DEFINITIONS_DIR=definitions_dir)
    yield app
    if database_url.startswith("postgresql"):
        _reset_postgres(app)
    else:
        with app.app_context():
            db.engine.dispose()


@pytest.fixture
def local_app(tmp_path: Path, definitions_dir: Path, now: datetime) -> Iterator[Flask]:
    """The app on SQLite with files in a folder, as by default."""
    app = make_app(
        f"sqlite:///{tmp_path / 'local.sqlite'}",
        FORM_DEFINITIONS_DIR=definitions_dir,
        FILE_STORE="local",
        FILE_STORE_DIR=tmp_path / "uploads",
    )
    yield app
    with app.app_context():
        db.engine.dispose()


@dataclass
class Made:
    reference: str
    journey_id: str
    #: Storage keys of every file of the submission (one of them left on a page off the path).
    keys: list[str] = field(default_factory=list)


def _definition(app: Flask, slug: str) -> FormDefinition:
    if slug == RETIRED:
        data = definition_json(POULTRY)
        data["slug"] = RETIRED
        data["retention"] = {"daysAfterClosed": 10}
        return build_definition(data)
    found = form_registry(app).get(slug)
    assert found is not None
    return found


def _add_file(journey_id: str, submission_id: int | None, name: str) -> str:
    key = new_key()
    data = f"bytes of {name}".encode()
    file_store().put(key, data)
    db.session.add(
        UploadedFile(
            id=secrets.token_hex(16),
            journey_id=journey_id,
            submission_id=submission_id,
            component="evidence",
            filename=name,
            content_type="application/pdf",
            size=len(data),
            sha256=hashlib.sha256(data).hexdigest(),
            storage_key=key,
        )
    )
    return key


def make_submission(
    app: Flask,
    slug: str,
    sent: datetime,
    status: str = "new",
    changed: datetime | None = None,
    files: int = 0,
) -> Made:
    """A stored submission with deliveries (the example forms email a team), an attempt at each, a
    history entry, a used save-and-return token, and `files` uploaded files plus one off the path."""
    definition = _definition(app, slug)
    with app.app_context():
        journey_id = secrets.token_urlsafe(16)
        db.session.add(
            JourneyState(id=journey_id, form_slug=slug, form_version=definition.version, answers={})
        )
        db.session.commit()
        reference = store_submission(journey_id, definition, {})
        submission = db.session.scalars(select(Submission).where(Submission.reference == reference)).one()
        submission.submitted_at = sent
        submission.status = status
        submission.status_changed_at = changed
        made = Made(reference, journey_id)
        for n in range(files):
            made.keys.append(_add_file(journey_id, submission.id, f"evidence-{n}.pdf"))
        if files:
            made.keys.append(_add_file(journey_id, None, "left-off-the-path.pdf"))
        for job in db.session.scalars(select(DeliveryJob).where(DeliveryJob.submission_id == submission.id)):
            db.session.add(DeliveryAttempt(job_id=job.id, number=1, worker="test", outcome="delivered"))
        db.session.add(SubmissionEvent(submission_id=submission.id, from_status="new", to_status=status))
        db.session.add(
            SaveToken(
                journey_id=journey_id,
                token_hash=secrets.token_hex(32),
                email="applicant@example.com",
                expires_at=sent,
                used_at=sent,
            )
        )
        db.session.commit()
        db.session.remove()
    return made


def make_draft(app: Flask, changed: datetime, token: str | None = None, files: int = 0) -> Made:
    """A journey never sent, last changed at `changed`; `token`: None, 'live', 'used' or 'expired'."""
    definition = _definition(app, POULTRY)
    with app.app_context():
        journey_id = secrets.token_urlsafe(16)
        db.session.add(
            JourneyState(id=journey_id, form_slug=POULTRY, form_version=definition.version, answers={"a": 1})
        )
        db.session.flush()
        made = Made("", journey_id, [_add_file(journey_id, None, f"draft-{n}.pdf") for n in range(files)])
        if token is not None:
            db.session.add(
                SaveToken(
                    journey_id=journey_id,
                    token_hash=secrets.token_hex(32),
                    email="applicant@example.com",
                    expires_at=NOW - timedelta(days=1) if token == "expired" else NOW + timedelta(days=1),
                    used_at=NOW - timedelta(days=40) if token == "used" else None,
                )
            )
        db.session.commit()
        db.session.execute(
            update(JourneyState)
            .where(JourneyState.id == journey_id)
            .values(updated_at=changed, created_at=changed)
        )
        db.session.commit()
        db.session.remove()
    return made


def counts(app: Flask) -> dict[str, int]:
    with app.app_context():
        found = {
            table.__tablename__: db.session.scalar(select(func.count()).select_from(table)) or 0
            for table in TABLES
        }
        db.session.remove()
        return found


def rows_of(app: Flask, made: Made) -> dict[str, int]:
    """How many rows of each kind belong to a made submission or draft."""
    with app.app_context():
        submission_id = db.session.scalar(
            select(Submission.id).where(Submission.journey_id == made.journey_id)
        )
        jobs = select(DeliveryJob.id).where(DeliveryJob.submission_id == submission_id)

        def count(query: Any) -> int:
            return db.session.scalar(select(func.count()).select_from(query.subquery())) or 0

        found = {
            "submission": count(select(Submission.id).where(Submission.journey_id == made.journey_id)),
            "journey": count(select(JourneyState.id).where(JourneyState.id == made.journey_id)),
            "files": count(select(UploadedFile.id).where(UploadedFile.journey_id == made.journey_id)),
            "jobs": count(jobs),
            "attempts": count(select(DeliveryAttempt.id).where(DeliveryAttempt.job_id.in_(jobs))),
            "events": count(select(SubmissionEvent.id).where(SubmissionEvent.submission_id == submission_id)),
            "tokens": count(select(SaveToken.id).where(SaveToken.journey_id == made.journey_id)),
        }
        db.session.remove()
        return found


def stored_bytes(app: Flask, keys: list[str]) -> list[bool]:
    """For each key, whether the file store still has bytes under it."""
    found = []
    with app.app_context():
        for key in keys:
            try:
                file_store().get(key)
                found.append(True)
            except FileNotStored:
                found.append(False)
        db.session.remove()
    return found


def purge(app: Flask, *args: str) -> Result:
    return app.test_cli_runner().invoke(args=["purge", *args])


GONE = {"submission": 0, "journey": 0, "files": 0, "jobs": 0, "attempts": 0, "events": 0, "tokens": 0}


# -- the rules, without a database -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "sent_days", "changed_days", "expected"),
    [
        ("done", 100, 91, ("closed", 91, 90)),
        ("rejected", 100, 91, ("closed", 91, 90)),
        ("done", 100, 89, None),
        ("done", 100, 90, None),  # kept for 90 days: not yet more
        ("rejected", 95, None, ("closed", 95, 90)),  # no time of change: counted from sending
        ("in-progress", 729, 700, None),
        ("in-progress", 731, 700, ("max-age", 731, 730)),
        ("new", 800, None, ("max-age", 800, 730)),
        ("done", 800, 10, ("max-age", 800, 730)),  # the maximum age overrides a longer keep
        ("done", 800, 100, ("closed", 100, 90)),  # both: the form's own rule is reported
    ],
)
def test_when_a_submission_expires(
    status: str, sent_days: int, changed_days: int | None, expected: tuple[str, int, int] | None
) -> None:
    found = expiry(
        status=status,
        submitted_at=days_ago(sent_days),
        status_changed_at=days_ago(changed_days) if changed_days is not None else None,
        days_after_closed=90,
        max_age_days=730,
        now=NOW,
    )
    assert found == expected


def test_a_maximum_age_of_0_means_no_maximum() -> None:
    found = expiry(
        status="new",
        submitted_at=days_ago(50_000),
        status_changed_at=None,
        days_after_closed=90,
        max_age_days=0,
        now=NOW,
    )
    assert found is None


def test_the_settings_have_safe_defaults_and_are_checked() -> None:
    from forms_engine.config import Config

    assert Policy.from_config({k: getattr(Config, k) for k in dir(Config) if k.isupper()}) == Policy(
        days_after_closed=90, max_age_days=730, abandoned_journey_days=30, audit_days=2555
    )
    assert Policy.from_config({"RETENTION_MAX_AGE_DAYS": "0", "RETENTION_AUDIT_DAYS": 0}).max_age_days == 0
    for name, value in [
        ("RETENTION_DAYS_AFTER_CLOSED", 0),
        ("RETENTION_MAX_AGE_DAYS", -1),
        ("RETENTION_AUDIT_DAYS", "seven years"),
        ("RETENTION_ABANDONED_JOURNEY_DAYS", 1.5),
    ]:
        with pytest.raises(RetentionSettingError, match=name):
            Policy.from_config({name: value})


def test_a_definition_declares_its_retention_in_days_after_closing() -> None:
    data = definition_json(POULTRY)
    assert build_definition(data).retention == Retention(None)
    data["retention"] = {"daysAfterClosed": 365}
    assert validate_definition_data(data) == []
    assert build_definition(data).retention == Retention(365)
    schema = definition_schema()["properties"]["retention"]
    assert "RETENTION_MAX_AGE_DAYS" in schema["description"]
    assert schema["properties"]["daysAfterClosed"]["description"]
    for wrong in ({"daysAfterClosed": 0}, {"daysAfterClosed": "90"}, {}, {"daysAfterClosed": 9, "years": 1}):
        data["retention"] = wrong
        problems = validate_definition_data(data)
        assert problems and all(p.path.startswith("$.retention") for p in problems), (wrong, problems)
        with pytest.raises(jsonschema.ValidationError):
            jsonschema.validate(data, definition_schema())


# -- the command ---------------------------------------------------------------------------------------


@dataclass
class World:
    expired_closed: Made
    expired_old: Made
    expired_new: Made
    kept_recent: Made
    kept_in_progress: Made
    kept_badger: Made
    expired_badger: Made
    expired_retired: Made
    kept_retired: Made
    draft_old: Made
    draft_recent: Made
    draft_live_link: Made
    draft_used_link: Made
    draft_expired_link: Made
    old_audit: int
    recent_audit: int

    def expired(self) -> list[Made]:
        return [
            self.expired_closed,
            self.expired_old,
            self.expired_new,
            self.expired_badger,
            self.expired_retired,
        ]

    def kept(self) -> list[Made]:
        return [self.kept_recent, self.kept_in_progress, self.kept_badger, self.kept_retired]


def add_audit(app: Flask, at: datetime) -> int:
    with app.app_context():
        entry = AuditEvent(at=at, action="view", actor_email="casey@example.gov.uk")
        db.session.add(entry)
        db.session.commit()
        entry_id: int = entry.id
        db.session.remove()
        return entry_id


def make_world(app: Flask) -> World:
    return World(
        expired_closed=make_submission(app, POULTRY, days_ago(120), "done", days_ago(91), files=2),
        expired_old=make_submission(app, POULTRY, days_ago(731), "in-progress", days_ago(700), files=1),
        expired_new=make_submission(app, POULTRY, days_ago(800)),
        kept_recent=make_submission(app, POULTRY, days_ago(120), "rejected", days_ago(89), files=1),
        kept_in_progress=make_submission(app, POULTRY, days_ago(729), "in-progress", days_ago(728)),
        kept_badger=make_submission(app, BADGER, days_ago(400), "done", days_ago(364), files=1),
        expired_badger=make_submission(app, BADGER, days_ago(400), "done", days_ago(366)),
        expired_retired=make_submission(app, RETIRED, days_ago(20), "done", days_ago(11)),
        kept_retired=make_submission(app, RETIRED, days_ago(20), "done", days_ago(9)),
        draft_old=make_draft(app, days_ago(31), files=1),
        draft_recent=make_draft(app, days_ago(29), files=1),
        draft_live_link=make_draft(app, days_ago(60), token="live", files=1),
        draft_used_link=make_draft(app, days_ago(60), token="used"),
        draft_expired_link=make_draft(app, days_ago(45), token="expired"),
        old_audit=add_audit(app, days_ago(2556)),
        recent_audit=add_audit(app, days_ago(2554)),
    )


def test_purge_deletes_expired_submissions_with_everything_that_belongs_to_them(purge_app: Flask) -> None:
    world = make_world(purge_app)
    before = rows_of(purge_app, world.expired_closed)
    assert before == {
        "submission": 1,
        "journey": 1,
        "files": 3,
        "jobs": 1,
        "attempts": 1,
        "events": 1,
        "tokens": 1,
    }

    result = purge(purge_app)
    assert result.exit_code == 0, result.output

    for made in world.expired():
        assert rows_of(purge_app, made) == GONE, made.reference
        assert stored_bytes(purge_app, made.keys) == [False] * len(made.keys)
    for made in world.kept():
        assert rows_of(purge_app, made)["submission"] == 1, made.reference
        assert stored_bytes(purge_app, made.keys) == [True] * len(made.keys)
    assert rows_of(purge_app, world.kept_recent)["files"] == 2

    events = {e["object_id"]: e for e in audit_events(purge_app, "purge") if e["object_type"] == "submission"}
    assert set(events) == {made.reference for made in world.expired()}
    closed = events[world.expired_closed.reference]
    assert closed["actor_email"] == f"cli:{getpass.getuser()}"
    assert closed["form_slug"] == POULTRY
    assert closed["detail"] == {
        "reason": "closed 91 days ago (kept for 90 days after closing)",
        "rule": "closed",
        "closed_days_ago": 91,
        "limit_days": 90,
        "files": 3,
    }
    assert events[world.expired_old.reference]["detail"]["reason"] == (
        "sent 731 days ago (older than the maximum age of 730 days)"
    )
    assert events[world.expired_badger.reference]["detail"]["limit_days"] == 365
    assert events[world.expired_retired.reference]["detail"]["limit_days"] == 10
    assert all(e["at"] == NOW.isoformat() for e in events.values())

    assert "submissions: deleted 5 (with 5 uploaded files)" in result.output
    assert f"  {world.expired_closed.reference}  {POULTRY}  closed 91 days ago" in result.output


def test_purge_deletes_drafts_never_sent_unless_a_save_and_return_link_still_works(purge_app: Flask) -> None:
    world = make_world(purge_app)
    result = purge(purge_app)
    assert result.exit_code == 0, result.output
    assert rows_of(purge_app, world.draft_old)["journey"] == 0
    assert rows_of(purge_app, world.draft_old)["files"] == 0
    assert stored_bytes(purge_app, world.draft_old.keys) == [False]
    assert rows_of(purge_app, world.draft_used_link) == GONE
    assert rows_of(purge_app, world.draft_expired_link) == GONE
    assert rows_of(purge_app, world.draft_recent)["journey"] == 1
    assert stored_bytes(purge_app, world.draft_recent.keys) == [True]
    assert rows_of(purge_app, world.draft_live_link)["journey"] == 1
    assert rows_of(purge_app, world.draft_live_link)["tokens"] == 1
    assert stored_bytes(purge_app, world.draft_live_link.keys) == [True]
    [event] = [e for e in audit_events(purge_app, "purge") if e["object_type"] == "journeys"]
    assert event["form_slug"] == POULTRY
    assert event["object_id"] is None  # a journey's id is a browser's key to it: never written down
    assert event["detail"] == {
        "reason": "never sent, unchanged for more than 30 days",
        "journeys": 3,
        "files": 1,
    }
    assert "journeys never sent, unchanged for more than 30 days: deleted 3 (with 1 uploaded file)" in (
        result.output
    )


def test_purge_deletes_audit_entries_older_than_the_audit_retention_and_says_so(purge_app: Flask) -> None:
    world = make_world(purge_app)
    result = purge(purge_app)
    assert result.exit_code == 0, result.output
    remaining = {e["id"] for e in audit_events(purge_app)}
    assert world.old_audit not in remaining
    assert world.recent_audit in remaining
    [event] = [e for e in audit_events(purge_app, "purge") if e["object_type"] == "audit-log"]
    assert event["detail"] == {
        "reason": "recorded more than 2555 days ago",
        "entries": 1,
        "before": days_ago(2555).isoformat(),
    }
    assert "audit log entries older than 2555 days: deleted 1" in result.output


def test_a_dry_run_lists_what_would_go_and_changes_nothing(purge_app: Flask) -> None:
    world = make_world(purge_app)
    before = counts(purge_app)
    result = purge(purge_app, "--dry-run")
    assert result.exit_code == 0, result.output
    assert counts(purge_app) == before
    for made in [*world.expired(), world.draft_old]:
        assert stored_bytes(purge_app, made.keys) == [True] * len(made.keys)
    lines = result.output.splitlines()
    assert lines[0] == f"purge at {NOW.isoformat()} (dry run: nothing deleted)"
    assert "submissions: would delete 5 (with 5 uploaded files)" in lines
    for made in world.expired():
        assert any(line.startswith(f"  {made.reference}  ") for line in lines), made.reference
    assert (
        "journeys never sent, unchanged for more than 30 days: would delete 3 (with 1 uploaded file)" in lines
    )
    assert "audit log entries older than 2555 days: would delete 1" in lines


def test_nothing_expired_means_nothing_deleted(purge_app: Flask) -> None:
    kept = make_submission(purge_app, POULTRY, days_ago(10), "done", days_ago(5), files=1)
    result = purge(purge_app)
    assert result.exit_code == 0, result.output
    assert rows_of(purge_app, kept)["submission"] == 1
    assert audit_events(purge_app, "purge") == []
    assert "submissions: deleted 0 (with 0 uploaded files)" in result.output


def test_an_in_progress_submission_is_kept_until_the_maximum_age(
    purge_app: Flask, frozen_clock: FrozenClock
) -> None:
    made = make_submission(purge_app, POULTRY, days_ago(700), "in-progress", days_ago(699))
    assert purge(purge_app).exit_code == 0
    assert rows_of(purge_app, made)["submission"] == 1
    frozen_clock.moment = NOW + timedelta(days=30)
    assert purge(purge_app).exit_code == 0
    assert rows_of(purge_app, made)["submission"] == 1
    frozen_clock.moment = NOW + timedelta(days=31)
    assert purge(purge_app).exit_code == 0
    assert rows_of(purge_app, made) == GONE


def test_settings_of_0_keep_drafts_audit_entries_and_old_submissions(
    database_url: str, definitions_dir: Path, now: datetime
) -> None:
    app = make_app(
        database_url,
        FORM_DEFINITIONS_DIR=definitions_dir,
        RETENTION_MAX_AGE_DAYS=0,
        RETENTION_ABANDONED_JOURNEY_DAYS=0,
        RETENTION_AUDIT_DAYS=0,
    )
    try:
        old = make_submission(app, POULTRY, days_ago(5000), "new")
        draft = make_draft(app, days_ago(5000))
        entry = add_audit(app, days_ago(50_000))
        result = purge(app)
        assert result.exit_code == 0, result.output
        assert rows_of(app, old)["submission"] == 1
        assert rows_of(app, draft)["journey"] == 1
        assert entry in {e["id"] for e in audit_events(app)}
        assert "journeys never sent: kept (RETENTION_ABANDONED_JOURNEY_DAYS is 0)" in result.output
        assert "audit log entries: kept (RETENTION_AUDIT_DAYS is 0)" in result.output
    finally:
        if database_url.startswith("postgresql"):
            _reset_postgres(app)
        else:
            with app.app_context():
                db.engine.dispose()


def test_a_wrong_setting_stops_the_purge_before_it_deletes_anything(
    make_cw_app: Any, frozen_clock: FrozenClock
) -> None:
    app = make_cw_app(RETENTION_DAYS_AFTER_CLOSED=0)
    result = purge(app)
    assert result.exit_code == 1
    assert "RETENTION_DAYS_AFTER_CLOSED must be a whole number of days, at least 1" in result.output


def test_a_file_that_cannot_be_deleted_keeps_its_submission_for_the_next_run(
    purge_app: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    world = make_world(purge_app)
    stubborn = world.expired_closed.keys[1]
    with purge_app.app_context():
        store = file_store()
    real_delete = store.delete

    def failing_delete(key: str) -> None:
        if key == stubborn:
            raise OSError(13, "Permission denied")
        real_delete(key)

    monkeypatch.setattr(store, "delete", failing_delete)
    before = rows_of(purge_app, world.expired_closed)
    result = purge(purge_app)

    assert result.exit_code == 1
    # Everything of that submission is kept (its rows are the only record of the file's key) …
    assert rows_of(purge_app, world.expired_closed) == before
    assert stored_bytes(purge_app, [stubborn]) == [True]
    # … the rest of the purge carried on …
    for made in world.expired()[1:]:
        assert rows_of(purge_app, made) == GONE
    assert rows_of(purge_app, world.draft_old)["journey"] == 0
    # … and it is reported, and recorded.
    assert "submissions: deleted 4" in result.output
    assert "1 failure: kept, the next purge tries again" in result.output
    assert f"submission {world.expired_closed.reference}: file " in result.output
    assert "PermissionError: [Errno 13] Permission denied" in result.output
    [failed] = audit_events(purge_app, "purge-failed")
    assert failed["object_id"] == world.expired_closed.reference
    assert failed["form_slug"] == POULTRY
    assert failed["detail"]["kept"] == "a file could not be deleted; the next purge tries again"
    assert len(failed["detail"]["files_failed"]) == 1
    assert failed["detail"]["files"] == 3

    # Once the store works again, the next run finishes the job.
    monkeypatch.setattr(store, "delete", real_delete)
    result = purge(purge_app)
    assert result.exit_code == 0, result.output
    assert rows_of(purge_app, world.expired_closed) == GONE
    assert stored_bytes(purge_app, world.expired_closed.keys) == [False, False, False]
    assert "submissions: deleted 1 (with 3 uploaded files)" in result.output


def test_a_draft_whose_file_cannot_be_deleted_is_kept_and_the_others_go(
    purge_app: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    stuck = make_draft(purge_app, days_ago(40), files=1)
    others = [make_draft(purge_app, days_ago(40), files=1) for _ in range(2)]
    with purge_app.app_context():
        store = file_store()
    real_delete = store.delete

    def failing_delete(key: str) -> None:
        if key in stuck.keys:
            raise OSError("the disk is read-only")
        real_delete(key)

    monkeypatch.setattr(store, "delete", failing_delete)
    result = purge(purge_app)
    assert result.exit_code == 1
    assert rows_of(purge_app, stuck)["journey"] == 1
    assert rows_of(purge_app, stuck)["files"] == 1
    assert all(rows_of(purge_app, made) == GONE for made in others)
    assert f"journey a draft of {POULTRY}: file " in result.output
    [failed] = audit_events(purge_app, "purge-failed")
    assert failed["object_type"] == "journeys"
    assert failed["detail"]["journeys"] == 1


def test_with_files_in_a_folder_the_bytes_are_deleted_from_disk(
    local_app: Flask, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    expired = make_submission(local_app, POULTRY, days_ago(120), "done", days_ago(100), files=2)
    kept = make_submission(local_app, POULTRY, days_ago(120), "done", days_ago(10), files=1)
    uploads = tmp_path / "uploads"
    paths = [uploads / key[:2] / key for key in expired.keys]
    assert all(path.is_file() for path in paths)

    # The first file's deletion fails after the second's worked: the submission stays …
    with local_app.app_context():
        store = file_store()
    real_delete = store.delete

    def failing_delete(key: str) -> None:
        if key == expired.keys[0]:
            raise PermissionError("no")
        real_delete(key)

    monkeypatch.setattr(store, "delete", failing_delete)
    assert purge(local_app).exit_code == 1
    assert rows_of(local_app, expired)["files"] == 3
    assert [path.is_file() for path in paths] == [True, False, False]
    # … and the next run deletes the rest, a file already gone being no problem.
    monkeypatch.setattr(store, "delete", real_delete)
    result = purge(local_app)
    assert result.exit_code == 0, result.output
    assert rows_of(local_app, expired) == GONE
    assert not any(path.exists() for path in paths)
    assert all((uploads / key[:2] / key).is_file() for key in kept.keys)


def test_a_submission_reopened_after_it_was_listed_is_not_deleted(purge_app: Flask) -> None:
    made = make_submission(purge_app, POULTRY, days_ago(120), "done", days_ago(91))
    policy = Policy()
    with purge_app.app_context():
        days = retention.form_retention_days(form_registry(purge_app).forms.values(), 90)
        [expired] = retention.find_expired_submissions(NOW, policy, days)
        db.session.execute(
            update(Submission)
            .where(Submission.reference == made.reference)
            .values(status="in-progress", status_changed_at=NOW)
        )
        db.session.commit()
        outcome = retention.purge_submission(
            expired, policy=policy, days_by_form=days, now=NOW, store=file_store(), actor="cli:test"
        )
        assert outcome is None
        db.session.remove()
    assert rows_of(purge_app, made)["submission"] == 1
    assert audit_events(purge_app, "purge") == []


def test_a_browser_whose_journey_was_purged_starts_again(purge_app: Flask) -> None:
    from ..helpers import BrowserClient, location

    client = BrowserClient(purge_app)
    client.get(f"/{POULTRY}/")
    first_page = location(client.post(f"/{POULTRY}/start"))
    with purge_app.app_context():
        db.session.execute(update(JourneyState).values(updated_at=days_ago(31)))
        db.session.commit()
        db.session.remove()
    assert purge(purge_app).exit_code == 0
    assert counts(purge_app)["journeys"] == 0
    page = client.get(first_page)
    assert page.status == 302
    assert location(page) == f"/{POULTRY}/"  # the start page
