"""Abuse limits on the citizens' pages: rate limits on every POST (per client address and per journey),
the "too many attempts" page, the client address behind proxies, and a cap on the number of form fields.

The limits are Flask-Limiter blueprint limits on the citizens' blueprints, so a page added to them is
limited without anything more; GETs are never limited. Counters are kept where RATELIMIT_STORAGE_URI
says; when it is not set, in the app's own PostgreSQL (`database://`, see `ratelimit_storage`) so that
every app instance shares them, or in memory on SQLite (one process: development and tests).
"""

from __future__ import annotations

import math
import time

from flask import Flask, abort, current_app, make_response, render_template, request, session, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from limits.errors import ConfigurationError
from werkzeug.exceptions import HTTPException
from werkzeug.middleware.proxy_fix import ProxyFix

from ..extensions import limiter
from ..reporting import feedback
from . import ratelimit_storage, save_return, views

#: Blueprints whose POSTs are limited (repeats and uploads are `runner.` endpoints).
CITIZEN_BLUEPRINTS = (views.bp, save_return.bp, feedback.bp)
IP_SCOPE = "citizen-post-ip"
JOURNEY_SCOPE = "citizen-post-journey"
#: Seconds a client is told to wait when the limit's reset time cannot be read.
DEFAULT_RETRY_AFTER = 60


def client_address() -> str:
    """The client's address: the socket's, or (with PROXY_FIX_X_FOR) the one the trusted proxies saw."""
    return request.remote_addr or "unknown"


def journey_key() -> str:
    """The journey the POST is for (from this browser's session), else the client's address."""
    slug = (request.view_args or {}).get("slug")
    journeys = session.get(views.SESSION_KEY)
    journey_id = journeys.get(slug) if isinstance(journeys, dict) and isinstance(slug, str) else None
    if isinstance(journey_id, str) and journey_id:
        return f"journey:{journey_id}"
    return f"address:{client_address()}"


def _per_ip() -> str:
    return str(current_app.config.get("POST_RATE_LIMIT_PER_IP") or "")


def _per_journey() -> str:
    return str(current_app.config.get("POST_RATE_LIMIT_PER_JOURNEY") or "")


# Registered once, on the module-level blueprints and the one shared limiter (an empty setting: no limit).
for _blueprint in CITIZEN_BLUEPRINTS:
    limiter.shared_limit(_per_ip, scope=IP_SCOPE, key_func=client_address, methods=["POST"])(_blueprint)
    limiter.shared_limit(_per_journey, scope=JOURNEY_SCOPE, key_func=journey_key, methods=["POST"])(
        _blueprint
    )


def configure(app: Flask) -> None:
    """Settings read before the limiter is bound to `app`: where counters are kept, and the proxies
    to trust for the client's address."""
    database = str(app.config.get("SQLALCHEMY_DATABASE_URI", ""))
    uri = app.config.get("RATELIMIT_STORAGE_URI") or (
        f"{ratelimit_storage.SCHEME}://" if database.startswith("postgresql") else "memory://"
    )
    if uri.startswith(f"{ratelimit_storage.SCHEME}:") and _in_memory(database):
        raise ConfigurationError(
            "RATELIMIT_STORAGE_URI=database:// needs PostgreSQL or an SQLite file, not in-memory SQLite"
        )
    app.config["RATELIMIT_STORAGE_URI"] = uri
    proxies = int(app.config.get("PROXY_FIX_X_FOR") or 0)
    if proxies > 0:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies)  # type: ignore[method-assign]


def _in_memory(database: str) -> bool:
    return database in {"sqlite://", "sqlite:///", "sqlite:///:memory:"} or "mode=memory" in database


def retry_after_seconds() -> int:
    """Seconds until the breached limit's window ends (at least 1)."""
    current = limiter.current_limit
    if current is None:
        return DEFAULT_RETRY_AFTER
    try:
        reset_at = current.window[0]
    except Exception:  # the storage failing here must not hide the 429 page
        return DEFAULT_RETRY_AFTER
    return max(1, math.ceil(reset_at - time.time()))


def _back_url() -> str:
    """Where "Go back" leads: the page that was sent (GETs are not limited), else the form's start."""
    rule = request.url_rule
    if rule is not None and request.endpoint and "GET" in (rule.methods or ()):
        # Built again from the route rather than echoed, so it is always a path on this site.
        return url_for(request.endpoint, **{**request.args.to_dict(flat=False), **(request.view_args or {})})
    slug = (request.view_args or {}).get("slug")
    if isinstance(slug, str) and slug in views._registry().forms:
        return url_for("runner.start", slug=slug)
    return url_for("runner.index")


def too_many_requests(error: HTTPException) -> ResponseReturnValue:
    """The 429 page: how long to wait, in the page and in Retry-After. Nothing stored is touched."""
    seconds = retry_after_seconds()
    minutes = max(1, math.ceil(seconds / 60))
    response = make_response(
        render_template(
            "errors/429.html",
            page_title=_("There have been too many attempts"),
            minutes=minutes,
            back_url=_back_url(),
        ),
        429,
    )
    response.headers["Retry-After"] = str(seconds)
    response.headers["Cache-Control"] = "no-store"
    return response


def _count_form_fields() -> None:
    """MAX_FORM_PARTS for url-encoded bodies too (werkzeug applies it to multipart bodies only)."""
    if request.method != "POST" or request.mimetype != "application/x-www-form-urlencoded":
        return
    most = current_app.config.get("MAX_FORM_PARTS")
    if most is not None and sum(len(values) for values in request.form.listvalues()) > most:
        abort(413)


def init_app(app: Flask) -> None:
    app.register_error_handler(429, too_many_requests)
    # First of all, so a body with too many fields is refused before anything reads it (CSRF checks).
    app.before_request_funcs.setdefault(None, []).insert(0, _count_form_fields)
