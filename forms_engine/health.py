"""Health checks for load balancers and orchestrators: /healthz (the process answers) and /readyz
(the database answers and its schema is at the newest migration, so the app can serve)."""

from __future__ import annotations

import logging

from alembic.script import ScriptDirectory
from flask import Blueprint, Flask, Response, current_app, jsonify
from sqlalchemy import inspect, text
from sqlalchemy.exc import SQLAlchemyError

from .database import alembic_config
from .extensions import csrf, db

log = logging.getLogger(__name__)

bp = Blueprint("health", __name__)

_HEADS = "forms_engine.migration_heads"
VERSION_TABLE = "alembic_version"


def _answer(http_status: int, **body: object) -> Response:
    response = jsonify(body)
    response.status_code = http_status
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/healthz")
def healthz() -> Response:
    """Liveness: the process serves requests. Never touches the database, so a database outage
    does not get healthy app processes restarted."""
    return _answer(200, status="ok")


def migration_heads(app: Flask) -> frozenset[str]:
    """The head revision(s) of the migrations shipped with this code (read once per app)."""
    heads: frozenset[str] | None = app.extensions.get(_HEADS)
    if heads is None:
        heads = frozenset(ScriptDirectory.from_config(alembic_config(app)).get_heads())
        app.extensions[_HEADS] = heads
    return heads


def readiness_problem(app: Flask) -> tuple[str, dict[str, object]] | None:
    """None when the app can serve; else a reason and details for the answer."""
    try:
        with db.engine.connect() as connection:
            # Read alembic's table directly: its MigrationContext logs two lines at every probe.
            current: frozenset[str] = frozenset()
            if inspect(connection).has_table(VERSION_TABLE):
                current = frozenset(connection.scalars(text(f"SELECT version_num FROM {VERSION_TABLE}")))
    except SQLAlchemyError as exc:
        log.warning("readiness check: the database did not answer: %s", getattr(exc, "orig", None) or exc)
        return "database unreachable", {}
    expected = migration_heads(app)
    if current != expected:
        return "database migrations not at head", {
            "database_revision": sorted(current),
            "expected_revision": sorted(expected),
        }
    return None


@bp.get("/readyz")
def readyz() -> Response:
    """Readiness: 200 when the database answers and its schema is current, else 503 and why."""
    problem = readiness_problem(current_app._get_current_object())  # type: ignore[attr-defined]
    if problem is not None:
        reason, details = problem
        return _answer(503, status="unavailable", reason=reason, **details)
    return _answer(200, status="ok")


def init_app(app: Flask) -> None:
    csrf.exempt(bp)
    app.register_blueprint(bp)
