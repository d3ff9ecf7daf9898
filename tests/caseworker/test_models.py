"""Accounts and audit events on SQLite and PostgreSQL: the schema from migration 0004, lower-case
unique email addresses, and audit events that nothing can change."""

from __future__ import annotations

import pytest
from flask import Flask
from sqlalchemy import delete, inspect, select, text, update
from sqlalchemy.exc import DatabaseError, IntegrityError

from forms_engine.caseworker import audit
from forms_engine.caseworker.models import ROLES, AuditEvent, AuditEventImmutable, User
from forms_engine.database import downgrade_database, upgrade_database
from forms_engine.extensions import db


def _user(email: str = "Casey@Example.GOV.uk", role: str = "caseworker") -> User:
    return User(email=email, password_hash="x", role=role, organisation="APHA", forms=["a-form"])


def test_accounts_are_stored_with_lower_case_unique_email_addresses(any_db_app: Flask) -> None:
    with any_db_app.app_context():
        user = _user()
        db.session.add(user)
        db.session.commit()
        stored = db.session.scalars(select(User)).one()
        assert stored.email == "casey@example.gov.uk"
        assert stored.forms == ["a-form"]
        assert stored.disabled is False
        assert stored.failed_sign_ins == 0
        assert stored.session_version == 1
        assert stored.created_at is not None
        assert stored.password_changed_at is not None
        db.session.add(_user("CASEY@example.gov.uk"))
        with pytest.raises(IntegrityError):
            db.session.commit()
        db.session.rollback()
        # The database itself refuses an address in upper case.
        with pytest.raises(IntegrityError):
            db.session.execute(
                text(
                    "INSERT INTO users (email, password_hash, role, forms, disabled, failed_sign_ins,"
                    " session_version, created_at, password_changed_at) VALUES ('Upper@example.gov.uk',"
                    " 'x', 'caseworker', '[]', false, 0, 1, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"
                )
            )
        db.session.rollback()


def test_roles_are_a_fixed_list() -> None:
    assert ROLES == ("caseworker", "admin", "designer", "lead")
    with pytest.raises(ValueError, match="unknown role"):
        User(email="x@example.gov.uk", password_hash="x", role="superuser")


def test_an_audit_event_keeps_who_what_when_and_where(any_db_app: Flask) -> None:
    with any_db_app.app_context():
        user = _user()
        db.session.add(user)
        db.session.commit()
        with any_db_app.test_request_context(
            "/caseworker/x", environ_base={"REMOTE_ADDR": "127.0.0.9", "HTTP_USER_AGENT": "A" * 400}
        ):
            audit.record(
                "view",
                object_type="submission",
                object_id=42,
                form_slug="a-form",
                detail={"fields": ["name"], "count": 2},
                actor=user,
            )
            db.session.commit()
        event = db.session.scalars(select(AuditEvent)).one()
        assert event.action == "view"
        assert event.actor_id == user.id
        assert event.actor_email == "casey@example.gov.uk"
        assert event.object_type == "submission"
        assert event.object_id == "42"
        assert event.form_slug == "a-form"
        assert event.detail == {"fields": ["name"], "count": 2}
        assert event.ip == "127.0.0.9"
        assert event.user_agent == "A" * 255
        assert event.as_json()["at"].endswith("+00:00")


def test_audit_events_are_recorded_from_the_command_line_without_a_request(any_db_app: Flask) -> None:
    with any_db_app.app_context():
        audit.record("purge", object_type="submission", object_id="ABCD", actor=audit.cli_actor())
        db.session.commit()
        event = db.session.scalars(select(AuditEvent)).one()
        assert event.actor_email is not None
        assert event.actor_email.startswith("cli:")
        assert event.actor_id is None
        assert event.ip is None
        assert event.user_agent is None


def test_the_orm_refuses_to_change_an_audit_event(any_db_app: Flask) -> None:
    with any_db_app.app_context():
        event = audit.record("view", object_type="submission", object_id="1", actor="someone")
        db.session.commit()
        event.action = "nothing to see"
        with pytest.raises(AuditEventImmutable):
            db.session.commit()
        db.session.rollback()
        with pytest.raises(AuditEventImmutable):
            db.session.execute(update(AuditEvent).values(action="rewritten"))
        db.session.rollback()
        assert db.session.scalars(select(AuditEvent.action)).one() == "view"


def test_the_database_refuses_to_change_an_audit_event(any_db_app: Flask) -> None:
    with any_db_app.app_context():
        audit.record("view", object_type="submission", object_id="1", actor="someone")
        db.session.commit()
        for statement in (
            "UPDATE audit_events SET action = 'rewritten'",
            "UPDATE audit_events SET actor_email = 'someone else'",
            "UPDATE audit_events SET detail = NULL",
        ):
            with pytest.raises(DatabaseError, match="audit events cannot be changed"):
                db.session.execute(text(statement))
            db.session.rollback()
        assert db.session.scalars(select(AuditEvent.actor_email)).one() == "someone"


def test_deleting_an_account_keeps_its_audit_events(any_db_app: Flask) -> None:
    with any_db_app.app_context():
        user = _user()
        db.session.add(user)
        db.session.commit()
        audit.record("sign-in", object_type="user", object_id=user.id, actor=user)
        db.session.commit()
        if db.engine.dialect.name == "sqlite":
            # SQLite enforces foreign keys only when asked: as PostgreSQL does, set the actor to NULL.
            db.session.execute(text("PRAGMA foreign_keys = ON"))
        db.session.execute(delete(User))
        db.session.commit()
        event = db.session.scalars(select(AuditEvent)).one()
        assert event.actor_id is None
        assert event.actor_email == "casey@example.gov.uk"
        assert event.action == "sign-in"


def test_old_audit_events_can_be_deleted_by_the_retention_purge(any_db_app: Flask) -> None:
    with any_db_app.app_context():
        audit.record("view", actor="someone")
        db.session.commit()
        db.session.execute(delete(AuditEvent))
        db.session.commit()
        assert db.session.scalars(select(AuditEvent)).all() == []


def test_migration_0004_goes_down_to_0003_and_up_again(any_db_app: Flask) -> None:
    downgrade_database(any_db_app, "0003")
    with any_db_app.app_context():
        assert not {"users", "audit_events"} & set(inspect(db.engine).get_table_names())
    upgrade_database(any_db_app)
    with any_db_app.app_context():
        assert {"users", "audit_events"} <= set(inspect(db.engine).get_table_names())
        audit.record("view", actor="someone")
        db.session.commit()
        with pytest.raises(DatabaseError, match="audit events cannot be changed"):
            db.session.execute(text("UPDATE audit_events SET action = 'x'"))
        db.session.rollback()


def test_an_audit_event_a_request_never_commits_is_logged_as_an_error(
    cw_app: Flask, caplog: pytest.LogCaptureFixture
) -> None:
    with cw_app.test_request_context("/caseworker/forgetful"):
        audit.record("view", object_type="submission", object_id="1", actor="someone")
    assert "audit events recorded but never committed in /caseworker/forgetful: ['view']" in caplog.text
    caplog.clear()
    with cw_app.test_request_context("/caseworker/careful"):
        audit.record("view", object_type="submission", object_id="1", actor="someone")
        db.session.commit()
    assert "never committed" not in caplog.text
