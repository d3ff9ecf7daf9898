"""The caseworker area under /caseworker/: accounts, sign-in, and the audit log.

The caseworker area is English only: its text is not marked for translation (so it stays out of the
Welsh catalogue), and its pages are English whatever language a citizen chose in the same browser.
Every page under /caseworker/ is sent with `Cache-Control: no-store`, and the same security headers as
the rest of the site.
"""

from __future__ import annotations

from flask import Blueprint, Flask, abort, g, request
from werkzeug.wrappers import Response

from ..i18n import format_date_time

bp = Blueprint("caseworker", __name__, url_prefix="/caseworker")

#: The service name in the caseworker area's header and page titles.
SERVICE_NAME = "Defra forms – caseworking"  # noqa: RUF001 - GOV.UK's en dash
PATH_PREFIX = "/caseworker/"


#: The largest id an integer column holds on PostgreSQL: an address with a larger one names nothing.
MAX_ID = 2**31 - 1


@bp.before_request
def _refuse_unusable_input() -> None:
    """Input no one can type and the database cannot compare gets the GOV.UK error page, never a
    500: a NUL character (PostgreSQL refuses it in any text) answers 400 in the query string or the
    form, and 404 in the address; an id beyond the integer columns' range answers 404."""
    for value in (request.view_args or {}).values():
        if (isinstance(value, int) and not 0 <= value <= MAX_ID) or (
            isinstance(value, str) and "\x00" in value
        ):
            abort(404)
    fields = [request.args] + ([request.form] if request.method == "POST" else [])
    if any("\x00" in key or "\x00" in value for items in fields for key, value in items.items(multi=True)):
        abort(400)


def _in_caseworker_area() -> bool:
    return request.path == PATH_PREFIX.rstrip("/") or request.path.startswith(PATH_PREFIX)


def init_app(app: Flask) -> None:
    from . import audit, auth, views, views_accounts, views_audit, views_sign_in  # noqa: F401  (the views register on bp)

    audit.init_app(app)
    app.register_blueprint(bp)
    app.jinja_env.globals["current_caseworker"] = auth.current_user
    app.jinja_env.globals["caseworker_service_name"] = SERVICE_NAME
    app.jinja_env.globals["format_date_time"] = format_date_time

    @app.before_request
    def _english_only() -> None:
        # Runs after the runner's language choice: caseworker pages are always English.
        if _in_caseworker_area():
            g.language = "en"

    @app.after_request
    def _no_store(response: Response) -> Response:
        if _in_caseworker_area():
            response.headers["Cache-Control"] = "no-store"
        return response
