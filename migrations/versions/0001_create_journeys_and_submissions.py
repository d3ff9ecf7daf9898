"""Create journeys and submissions.

Revision ID: 0001
Revises:
Create Date: 2026-11-22
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "journeys",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("form_slug", sa.String(80), nullable=False),
        sa.Column("form_version", sa.String(64), nullable=False),
        sa.Column("answers", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("submission_reference", sa.String(20), nullable=True),
    )
    op.create_index("ix_journeys_form_slug", "journeys", ["form_slug"])
    op.create_table(
        "submissions",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("reference", sa.String(20), nullable=False, unique=True),
        sa.Column("journey_id", sa.String(64), sa.ForeignKey("journeys.id"), nullable=False,
                  unique=True),
        sa.Column("form_slug", sa.String(80), nullable=False),
        sa.Column("form_version", sa.String(64), nullable=False),
        sa.Column("definition", sa.JSON(), nullable=False),
        sa.Column("answers", sa.JSON(), nullable=False),
        sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_submissions_form_slug", "submissions", ["form_slug"])
    op.create_index("ix_submissions_submitted_at", "submissions", ["submitted_at"])


def downgrade() -> None:
    op.drop_table("submissions")
    op.drop_table("journeys")
