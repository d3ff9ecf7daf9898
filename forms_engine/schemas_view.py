"""The published JSON Schemas, served read-only: the form definition language and each version of the
submission payload, so designers' editors and receiving teams can fetch what they validate against."""

from __future__ import annotations

from functools import cache
from importlib import resources

from flask import Blueprint, Flask, Response, abort, request

from .submissions.payload import SCHEMA_FILES, payload_schema_text

SCHEMA_MEDIA_TYPE = "application/schema+json"
#: Published schemas change only additively within a version, so a short cache is safe.
CACHE_CONTROL = "public, max-age=3600"

bp = Blueprint("schemas", __name__)


@cache
def form_definition_schema_text() -> str:
    """The form definition schema exactly as the package ships it."""
    return (
        resources.files("forms_engine.definitions")
        .joinpath("schema", "form-definition.schema.json")
        .read_text("utf-8")
    )


def _schema_response(text: str) -> Response:
    response = Response(text, mimetype=SCHEMA_MEDIA_TYPE)
    response.headers["Cache-Control"] = CACHE_CONTROL
    # Public documents: let schema tools running in a browser on another origin read them.
    response.headers["Access-Control-Allow-Origin"] = "*"
    response.add_etag()
    response.make_conditional(request)
    return response


@bp.get("/schemas/form-definition.json")
def form_definition_schema() -> Response:
    return _schema_response(form_definition_schema_text())


@bp.get("/schemas/submission-payload/v<int:version>.json")
def submission_payload_schema(version: int) -> Response:
    if version not in SCHEMA_FILES:
        abort(404)
    return _schema_response(payload_schema_text(version))


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
