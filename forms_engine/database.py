"""Applying the Alembic migrations: the only way the schema comes into being."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config as AlembicConfig
from flask import Flask

from .config import ROOT
from .extensions import db


def alembic_config(app: Flask) -> AlembicConfig:
    config = AlembicConfig()
    config.set_main_option("script_location", str(ROOT / "migrations"))
    config.set_main_option("sqlalchemy.url", app.config["SQLALCHEMY_DATABASE_URI"].replace("%", "%%"))
    return config


def _ensure_sqlite_folder(url: str) -> None:
    prefix = "sqlite:///"
    if url.startswith(prefix) and len(url) > len(prefix):
        Path(url[len(prefix) :]).parent.mkdir(parents=True, exist_ok=True)


def upgrade_database(app: Flask, revision: str = "head") -> None:
    """Bring the database schema up to `revision`, through the app's own engine."""
    _ensure_sqlite_folder(app.config["SQLALCHEMY_DATABASE_URI"])
    config = alembic_config(app)
    with app.app_context(), db.engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, revision)


def downgrade_database(app: Flask, revision: str) -> None:
    config = alembic_config(app)
    with app.app_context(), db.engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, revision)
