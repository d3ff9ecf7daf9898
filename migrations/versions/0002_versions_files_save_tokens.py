"""Definition versions, uploaded files and save-and-return tokens.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "form_versions",
        sa.Column("slug", sa.String(80), primary_key=True),
        sa.Column("version", sa.String(64), primary_key=True),
        sa.Column("definition", sa.JSON(), nullable=False),
        sa.Column("first_seen", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "uploaded_files",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("journey_id", sa.String(64), sa.ForeignKey("journeys.id"), nullable=False),
        sa.Column("submission_id", sa.Integer(), sa.ForeignKey("submissions.id"), nullable=True),
        sa.Column("component", sa.String(64), nullable=False),
        sa.Column("filename", sa.String(255), nullable=False),
        sa.Column("content_type", sa.String(100), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("storage_key", sa.String(255), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_uploaded_files_journey_id", "uploaded_files", ["journey_id"])
    op.create_index("ix_uploaded_files_submission_id", "uploaded_files", ["submission_id"])
    op.create_table(
        "file_blobs",
        sa.Column("storage_key", sa.String(255), primary_key=True),
        sa.Column("data", sa.LargeBinary(), nullable=False),
    )
    op.create_table(
        "save_tokens",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("journey_id", sa.String(64), sa.ForeignKey("journeys.id"), nullable=False),
        sa.Column("token_hash", sa.String(64), nullable=False, unique=True),
        sa.Column("email", sa.String(320), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
    )
    op.create_index("ix_save_tokens_journey_id", "save_tokens", ["journey_id"])


def downgrade() -> None:
    op.drop_table("save_tokens")
    op.drop_table("file_blobs")
    op.drop_table("uploaded_files")
    op.drop_table("form_versions")
