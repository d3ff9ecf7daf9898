"""Caseworker accounts and the audit log. The schema exists only through migration 0004.

Audit events are written once and never changed: a SQLAlchemy listener refuses to flush a changed
`AuditEvent` or to run an ORM UPDATE statement on the table, and the migration adds a database trigger
(SQLite and PostgreSQL) that refuses UPDATE on `audit_events` (except the foreign key setting
`actor_id` to NULL when an account is deleted). Deleting old events is the retention purge's job.
"""

from __future__ import annotations

import json
from datetime import datetime
from importlib import resources
from typing import Any

from sqlalchemy import JSON, Boolean, DateTime, ForeignKey, Integer, String, event
from sqlalchemy.orm import Mapped, Mapper, ORMExecuteState, Session, mapped_column, validates

from ..extensions import db
from ..submissions.models import as_utc, utcnow

#: Every role an account can have. Caseworkers handle the submissions of their forms; admins see
#: everything and manage accounts; designers and organisation leads come with later issues.
ROLES: tuple[str, ...] = ("caseworker", "admin", "designer", "lead")


def _organisations() -> tuple[str, ...]:
    schema_file = resources.files("forms_engine.definitions") / "schema" / "form-definition.schema.json"
    schema = json.loads(schema_file.read_text(encoding="utf-8"))
    return tuple(schema["$defs"]["organisation"]["enum"])


#: The organisations that own forms (`paperForm.organisation` in a definition): APHA, EA, NE …
ORGANISATIONS: tuple[str, ...] = _organisations()

#: Longest email address kept (RFC 5321's path limit).
EMAIL_LENGTH = 320
USER_AGENT_LENGTH = 255


def normalise_email(email: str) -> str:
    """How email addresses are stored and looked up: without surrounding spaces, in lower case."""
    return email.strip().lower()


class User(db.Model):  # type: ignore[name-defined]
    """An account for the caseworker area: a caseworker, an admin, a designer or an organisation lead."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    email: Mapped[str] = mapped_column(String(EMAIL_LENGTH), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(20))
    organisation: Mapped[str | None] = mapped_column(String(20), nullable=True)
    #: Slugs of the forms assigned to the account (besides every form its organisation owns).
    forms: Mapped[list[str]] = mapped_column(JSON, default=list)
    #: Base32 TOTP secret, once the account has set up an authenticator app.
    totp_secret: Mapped[str | None] = mapped_column(String(64), nullable=True)
    #: A secret shown on the set-up page but not yet confirmed with a code.
    totp_pending_secret: Mapped[str | None] = mapped_column(String(64), nullable=True)
    #: The TOTP time step of the last code accepted: a code is never accepted twice.
    totp_last_step: Mapped[int | None] = mapped_column(Integer, nullable=True)
    disabled: Mapped[bool] = mapped_column(Boolean, default=False)
    failed_sign_ins: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    #: Part of every signed-in session; bumped to end them all (password reset, disabling, sign-out).
    session_version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    last_signed_in_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    password_changed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    @validates("email")
    def _lower_case_email(self, _key: str, email: str) -> str:
        return normalise_email(email)

    @validates("role")
    def _known_role(self, _key: str, role: str) -> str:
        if role not in ROLES:
            raise ValueError(f"unknown role {role!r}: one of {', '.join(ROLES)}")
        return role

    def is_locked(self, now: datetime) -> bool:
        return self.locked_until is not None and as_utc(self.locked_until) > now

    def end_sessions(self) -> None:
        """End every signed-in session of the account (they carry the old version)."""
        self.session_version = (self.session_version or 0) + 1

    def as_json(self) -> dict[str, Any]:
        def when(moment: datetime | None) -> str | None:
            return as_utc(moment).isoformat() if moment is not None else None

        return {
            "email": self.email,
            "role": self.role,
            "organisation": self.organisation,
            "forms": list(self.forms or []),
            "disabled": self.disabled,
            "locked_until": when(self.locked_until),
            "totp": self.totp_secret is not None,
            "created_at": when(self.created_at),
            "last_signed_in_at": when(self.last_signed_in_at),
        }


class AuditEvent(db.Model):  # type: ignore[name-defined]
    """Who did what, when and from where. Inserted by `audit.record`, never changed."""

    __tablename__ = "audit_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, index=True)
    actor_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), nullable=True, index=True
    )
    #: The actor's email address (kept if the account goes), or `cli:<OS user>` for commands.
    actor_email: Mapped[str | None] = mapped_column(String(EMAIL_LENGTH), nullable=True)
    action: Mapped[str] = mapped_column(String(40), index=True)
    object_type: Mapped[str | None] = mapped_column(String(40), nullable=True)
    object_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    form_slug: Mapped[str | None] = mapped_column(String(80), nullable=True, index=True)
    detail: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    ip: Mapped[str | None] = mapped_column(String(45), nullable=True)
    user_agent: Mapped[str | None] = mapped_column(String(USER_AGENT_LENGTH), nullable=True)

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "at": as_utc(self.at).isoformat(),
            "actor_id": self.actor_id,
            "actor_email": self.actor_email,
            "action": self.action,
            "object_type": self.object_type,
            "object_id": self.object_id,
            "form_slug": self.form_slug,
            "detail": self.detail,
            "ip": self.ip,
            "user_agent": self.user_agent,
        }


class AuditEventImmutable(Exception):
    """Raised when code tries to change a recorded audit event."""


@event.listens_for(AuditEvent, "before_update")
def _refuse_update(_mapper: Mapper[Any], _connection: Any, target: AuditEvent) -> None:
    raise AuditEventImmutable(f"audit event {target.id} cannot be changed")


@event.listens_for(Session, "do_orm_execute")
def _refuse_bulk_update(state: ORMExecuteState) -> None:
    if state.is_update and state.bind_mapper is not None and state.bind_mapper.class_ is AuditEvent:
        raise AuditEventImmutable("audit events cannot be changed")
