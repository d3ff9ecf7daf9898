"""The migrations build exactly the tables the models describe, on SQLite and PostgreSQL, and the
newest one goes down and up again."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask import Flask
from sqlalchemy import inspect

from forms_engine.database import downgrade_database, upgrade_database
from forms_engine.extensions import db
from forms_engine.reporting import models as reporting_models


def _differences(app: Flask) -> list[object]:
    with app.app_context(), db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        found = compare_metadata(context, db.metadata)
    return [difference for difference in found if not _alembic_bookkeeping(difference)]


def _alembic_bookkeeping(difference: object) -> bool:
    return (
        isinstance(difference, tuple)
        and difference[0] == "remove_table"
        and (difference[1].name == "alembic_version")
    )


def test_the_migrated_database_matches_the_models(any_db_app: Flask) -> None:
    assert reporting_models.PaperForm.__tablename__ in db.metadata.tables
    assert _differences(any_db_app) == []


def test_the_reporting_migration_goes_down_and_up_again(any_db_app: Flask) -> None:
    downgrade_database(any_db_app, "0005")
    with any_db_app.app_context():
        assert "paper_forms" not in inspect(db.engine).get_table_names()
        assert "submissions" in inspect(db.engine).get_table_names()
    upgrade_database(any_db_app)
    with any_db_app.app_context():
        tables = set(inspect(db.engine).get_table_names())
    assert {"paper_forms", "paper_counts", "journey_metrics", "feedback"} <= tables
