"""Caseworker accounts (users) and the audit log (audit_events).

Audit events cannot be changed in the database either: a trigger on each of SQLite and PostgreSQL
refuses every UPDATE of an audit_events row, except the one a deleted account's foreign key makes
(actor_id set to NULL, nothing else changed; actor_email keeps who it was). DELETE stays allowed: the
retention purge removes old events. A later migration that rebuilds audit_events on SQLite (batch
"move and copy") must create the trigger again.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

AUDIT_COLUMNS = (
    "id",
    "at",
    "actor_email",
    "action",
    "object_type",
    "object_id",
    "form_slug",
    "detail",
    "ip",
    "user_agent",
)

POSTGRES_FUNCTION = """
CREATE FUNCTION audit_events_refuse_update() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    unchanged audit_events%ROWTYPE;
BEGIN
    -- The only change allowed: ON DELETE SET NULL of actor_id when an account is deleted.
    unchanged := OLD;
    unchanged.actor_id := NULL;
    IF OLD.actor_id IS NOT NULL AND NEW.actor_id IS NULL AND to_jsonb(NEW) = to_jsonb(unchanged) THEN
        RETURN NEW;
    END IF;
    RAISE EXCEPTION 'audit events cannot be changed (audit_events id %)', OLD.id
        USING ERRCODE = 'insufficient_privilege';
END;
$$
"""
POSTGRES_TRIGGER = (
    "CREATE TRIGGER audit_events_no_update BEFORE UPDATE ON audit_events "
    "FOR EACH ROW EXECUTE FUNCTION audit_events_refuse_update()"
)
SQLITE_TRIGGER = f"""
CREATE TRIGGER audit_events_no_update BEFORE UPDATE ON audit_events
WHEN NOT (
    OLD.actor_id IS NOT NULL AND NEW.actor_id IS NULL AND
    {" AND ".join(f"NEW.{c} IS OLD.{c}" for c in AUDIT_COLUMNS)}
)
BEGIN
    SELECT RAISE(ABORT, 'audit events cannot be changed');
END
"""


def upgrade() -> None:
    op.create_table(
        "users",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("email", sa.String(320), nullable=False),
        sa.Column("password_hash", sa.String(255), nullable=False),
        sa.Column("role", sa.String(20), nullable=False),
        sa.Column("organisation", sa.String(20), nullable=True),
        sa.Column("forms", sa.JSON(), nullable=False),
        sa.Column("totp_secret", sa.String(64), nullable=True),
        sa.Column("totp_pending_secret", sa.String(64), nullable=True),
        sa.Column("totp_last_step", sa.Integer(), nullable=True),
        sa.Column("disabled", sa.Boolean(), nullable=False, server_default=sa.false()),
        sa.Column("failed_sign_ins", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("locked_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("session_version", sa.Integer(), nullable=False, server_default="1"),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_signed_in_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("password_changed_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("email", name="uq_users_email"),
        sa.CheckConstraint("email = lower(email)", name="ck_users_email_lower_case"),
    )
    op.create_table(
        "audit_events",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column(
            "actor_id", sa.Integer(), sa.ForeignKey("users.id", ondelete="SET NULL"), nullable=True
        ),
        sa.Column("actor_email", sa.String(320), nullable=True),
        sa.Column("action", sa.String(40), nullable=False),
        sa.Column("object_type", sa.String(40), nullable=True),
        sa.Column("object_id", sa.String(64), nullable=True),
        sa.Column("form_slug", sa.String(80), nullable=True),
        sa.Column("detail", sa.JSON(), nullable=True),
        sa.Column("ip", sa.String(45), nullable=True),
        sa.Column("user_agent", sa.String(255), nullable=True),
    )
    op.create_index("ix_audit_events_at", "audit_events", ["at"])
    op.create_index("ix_audit_events_actor_id", "audit_events", ["actor_id"])
    op.create_index("ix_audit_events_action", "audit_events", ["action"])
    op.create_index("ix_audit_events_form_slug", "audit_events", ["form_slug"])
    if op.get_bind().dialect.name == "postgresql":
        op.execute(POSTGRES_FUNCTION)
        op.execute(POSTGRES_TRIGGER)
    elif op.get_bind().dialect.name == "sqlite":
        op.execute(SQLITE_TRIGGER)


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    if dialect == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS audit_events_no_update ON audit_events")
        op.execute("DROP FUNCTION IF EXISTS audit_events_refuse_update()")
    elif dialect == "sqlite":
        op.execute("DROP TRIGGER IF EXISTS audit_events_no_update")
    op.drop_index("ix_audit_events_form_slug", table_name="audit_events")
    op.drop_index("ix_audit_events_action", table_name="audit_events")
    op.drop_index("ix_audit_events_actor_id", table_name="audit_events")
    op.drop_index("ix_audit_events_at", table_name="audit_events")
    op.drop_table("audit_events")
    op.drop_table("users")
