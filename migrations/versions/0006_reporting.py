"""Conversion reporting: the paper-form register, monthly paper counts, journey metrics (started,
last page, submitted) and satisfaction feedback.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-22
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "paper_forms",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("reference", sa.String(40), nullable=False, unique=True),
        sa.Column("title", sa.String(300), nullable=False),
        sa.Column("organisation", sa.String(16), nullable=False),
        sa.Column("annual_volume", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("status", sa.String(20), nullable=False, server_default="paper-only"),
        sa.Column("definition_slug", sa.String(80), nullable=True),
        sa.Column("live_date", sa.Date(), nullable=True),
        sa.Column("withdrawn_date", sa.Date(), nullable=True),
        sa.Column("notes", sa.Text(), nullable=False, server_default=""),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_paper_forms_organisation", "paper_forms", ["organisation"])
    op.create_index("ix_paper_forms_definition_slug", "paper_forms", ["definition_slug"])
    op.create_table(
        "paper_counts",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "paper_form_id",
            sa.Integer(),
            sa.ForeignKey("paper_forms.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("month", sa.Date(), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.Column("recorded_by", sa.String(320), nullable=False, server_default=""),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("paper_form_id", "month", name="uq_paper_counts_form_month"),
    )
    op.create_index("ix_paper_counts_paper_form_id", "paper_counts", ["paper_form_id"])
    op.create_table(
        "journey_metrics",
        sa.Column("journey_id", sa.String(64), primary_key=True),
        sa.Column("form_slug", sa.String(80), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_page", sa.String(80), nullable=True),
        sa.Column("last_seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=True),
    )
    op.create_index("ix_journey_metrics_form_slug", "journey_metrics", ["form_slug"])
    op.create_index("ix_journey_metrics_started_at", "journey_metrics", ["started_at"])
    op.create_table(
        "feedback",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("form_slug", sa.String(80), nullable=False),
        sa.Column("rating", sa.String(20), nullable=False),
        sa.Column("comment", sa.Text(), nullable=False, server_default=""),
        sa.Column("journey_id", sa.String(64), nullable=True, unique=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_feedback_form_slug", "feedback", ["form_slug"])
    op.create_index("ix_feedback_created_at", "feedback", ["created_at"])


def downgrade() -> None:
    op.drop_index("ix_feedback_created_at", table_name="feedback")
    op.drop_index("ix_feedback_form_slug", table_name="feedback")
    op.drop_table("feedback")
    op.drop_index("ix_journey_metrics_started_at", table_name="journey_metrics")
    op.drop_index("ix_journey_metrics_form_slug", table_name="journey_metrics")
    op.drop_table("journey_metrics")
    op.drop_index("ix_paper_counts_paper_form_id", table_name="paper_counts")
    op.drop_table("paper_counts")
    op.drop_index("ix_paper_forms_definition_slug", table_name="paper_forms")
    op.drop_index("ix_paper_forms_organisation", table_name="paper_forms")
    op.drop_table("paper_forms")
