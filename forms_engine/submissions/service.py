"""Turning a completed journey into exactly one stored submission, however often it is sent."""

from __future__ import annotations

import secrets
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from ..definitions.model import FormDefinition
from ..extensions import db
from .models import JourneyState, Submission, UploadedFile
from .outbox import queue_deliveries


def record_submitted(journey_id: str) -> None:
    """The conversion report's journey metric, set in the same transaction as the submission."""
    from ..reporting.metrics import record_submitted as record  # reporting imports this package

    record(journey_id)


#: No 0/O, 1/I/L or 5/S pairs to confuse when a reference is read out over the phone.
REFERENCE_ALPHABET = "ABCDEFGHJKMNPQRTUVWXYZ2346789"
REFERENCE_GROUPS = 3
REFERENCE_GROUP_LENGTH = 4


def new_reference() -> str:
    """A random reference such as 'K7MP-3QXR-ZD4T' (12 characters from a 29-letter alphabet)."""
    groups = (
        "".join(secrets.choice(REFERENCE_ALPHABET) for _ in range(REFERENCE_GROUP_LENGTH))
        for _ in range(REFERENCE_GROUPS)
    )
    return "-".join(groups)


def _existing_reference(journey_id: str) -> str | None:
    return db.session.scalar(select(Submission.reference).where(Submission.journey_id == journey_id))


def uploaded_file_ids(definition: FormDefinition, answers: dict[str, Any]) -> set[str]:
    """Ids of the uploaded files the answers refer to (FileUploadField answers are file records)."""
    ids: set[str] = set()
    for _, component in definition.questions():
        if component.type == "FileUploadField" and isinstance(answers.get(component.name), list):
            ids.update(str(r["id"]) for r in answers[component.name] if isinstance(r, dict) and "id" in r)
    return ids


def link_uploaded_files(submission: Submission, definition: FormDefinition, answers: dict[str, Any]) -> None:
    """The journey's uploaded files that the submitted answers refer to now belong to the submission
    (files left on pages off the path stay with the journey only)."""
    ids = uploaded_file_ids(definition, answers)
    if ids:
        db.session.execute(
            update(UploadedFile)
            .where(UploadedFile.journey_id == submission.journey_id, UploadedFile.id.in_(ids))
            .values(submission_id=submission.id)
        )


def store_submission(
    journey_id: str,
    definition: FormDefinition,
    answers: dict[str, Any],
    language: str = "en",
    attempts: int = 5,
) -> str:
    """Store the submission for a journey once and return its reference.

    The row lock (PostgreSQL) serialises parallel sends of one journey; the unique journey_id on
    submissions is the last word on every database, so a lost race returns the winner's reference.
    """
    for _ in range(attempts):
        state = db.session.scalars(
            select(JourneyState).where(JourneyState.id == journey_id).with_for_update()
        ).one()
        if state.submission_reference:
            reference = state.submission_reference
            db.session.rollback()
            return reference
        reference = new_reference()
        submission = Submission(
            reference=reference,
            journey_id=journey_id,
            form_slug=definition.slug,
            form_version=definition.version,
            definition=dict(definition.source),
            answers=answers,
            language=language,
        )
        db.session.add(submission)
        state.submission_reference = reference
        try:
            db.session.flush()
            link_uploaded_files(submission, definition, answers)
            queue_deliveries(submission, definition)
            record_submitted(journey_id)
            db.session.commit()
            return reference
        except IntegrityError:
            db.session.rollback()
            existing = _existing_reference(journey_id)
            if existing is not None:
                return existing
            # Otherwise the reference itself collided: try again with a new one.
    raise RuntimeError("could not store the submission after several attempts")
