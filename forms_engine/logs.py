"""Logging: one JSON object per line on stderr (or readable text in development), a request id on
every record made while a request is handled, and one access line per request.

Nothing a citizen typed is ever logged: the access line has the method, the path without its query
string (secret parts of it, such as a save-and-return token, replaced by the route's name for them),
the route, the status and the time taken.
"""

from __future__ import annotations

import copy
import logging
import re
import sys
import time
import uuid
from collections.abc import Mapping
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any, TextIO

from flask import Flask, Response, g, has_request_context, request
from pythonjsonlogger.json import JsonFormatter

REQUEST_ID_HEADER = "X-Request-Id"
#: An incoming X-Request-Id is kept only when it looks like an id (a proxy's uuid, say): anything
#: else could forge or break log lines, and is replaced by a new one.
SANE_REQUEST_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]{0,127}")
#: View arguments never written to a log: their value in a path is replaced by `<name>`.
SECRET_ARGUMENT = re.compile(r"token|secret|password|key", re.IGNORECASE)
#: Endpoints whose successful answers are logged at DEBUG (probes every few seconds would drown the log).
QUIET_ENDPOINTS = frozenset({"health.healthz", "health.readyz"})
FORMATS = ("json", "text")
TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"

#: The id of the request being handled, for records made outside Flask's request context too (in a
#: thread the request started, say). Set and reset around each request.
current_request_id: ContextVar[str | None] = ContextVar("forms_engine_request_id", default=None)

access_log = logging.getLogger("forms_engine.access")


class RequestIdFilter(logging.Filter):
    """Puts the current request's id on every record (None outside requests)."""

    def filter(self, record: logging.LogRecord) -> bool:
        request_id = None
        if has_request_context():
            request_id = g.get("request_id")
        if request_id is None:
            request_id = current_request_id.get()
        record.request_id = request_id
        return True


class RateLimitKeyFilter(logging.Filter):
    """Flask-Limiter logs each refusal with its key: an email address sent to the sign-in form, a
    journey id or a client address. Only the kind of key is kept ("account", "journey", "address")."""

    KINDS = ("account-id", "account", "journey", "address")

    def filter(self, record: logging.LogRecord) -> bool:
        if record.name == "flask-limiter" and "exceeded" in str(record.msg):
            args = record.args
            if isinstance(args, tuple) and len(args) >= 2:
                key = str(args[1])
                kind = next((k for k in self.KINDS if key.startswith(k + ":")), "address")
                record.args = (args[0], kind, *args[2:])
        return True


class StderrHandler(logging.StreamHandler[TextIO]):
    """Writes to whatever sys.stderr is at the time (as logging's last-resort handler does), so a
    swapped stderr (a test runner's capture) never leaves it writing to a closed stream."""

    def __init__(self) -> None:
        logging.Handler.__init__(self)

    @property
    def stream(self) -> TextIO:  # type: ignore[override]
        return sys.stderr


class EngineJsonFormatter(JsonFormatter):
    """timestamp (ISO 8601, UTC, milliseconds), level, logger, message, request_id, then any
    `extra` fields (an access line's method, path, route, status and duration_ms) and exc_info."""

    def formatTime(self, record: logging.LogRecord, datefmt: str | None = None) -> str:
        return datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds")


def json_formatter() -> logging.Formatter:
    return EngineJsonFormatter(
        "{asctime}{levelname}{name}{message}{request_id}",
        style="{",
        rename_fields={"asctime": "timestamp", "levelname": "level", "name": "logger"},
        json_ensure_ascii=False,
    )


class TextFormatter(logging.Formatter):
    """One readable line: time, level, logger, [request id or -], message."""

    def formatMessage(self, record: logging.LogRecord) -> str:
        record = copy.copy(record)  # other handlers see the record as it was
        record.request_id = getattr(record, "request_id", None) or "-"
        return super().formatMessage(record)


def text_formatter() -> logging.Formatter:
    return TextFormatter(TEXT_FORMAT)


def resolve_format(config: Mapping[str, Any]) -> str:
    """LOG_FORMAT, or by default json in production mode and text otherwise."""
    chosen = str(config.get("LOG_FORMAT") or "").strip().lower()
    if not chosen:
        return "json" if config.get("FORMS_ENGINE_ENV") == "production" else "text"
    if chosen not in FORMATS:
        raise ValueError(f"LOG_FORMAT must be json or text, not {chosen!r}")
    return chosen


def configure_logging(
    log_format: str = "text", level: str | int = "INFO", stream: TextIO | None = None
) -> None:
    """Send every log record to stderr (or `stream`) in `log_format`, at `level` and above.

    Calling it again replaces the handler it installed before, and leaves any other handler alone."""
    if log_format not in FORMATS:
        raise ValueError(f"LOG_FORMAT must be json or text, not {log_format!r}")
    handler: logging.Handler = StderrHandler() if stream is None else logging.StreamHandler(stream)
    handler.setFormatter(json_formatter() if log_format == "json" else text_formatter())
    handler.addFilter(RequestIdFilter())
    handler.addFilter(RateLimitKeyFilter())
    handler._forms_engine = True  # type: ignore[attr-defined]
    root = logging.getLogger()
    for old in [h for h in root.handlers if getattr(h, "_forms_engine", False)]:
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level.upper() if isinstance(level, str) else level)
    # Seven lines at INFO each time alembic is imported (the readiness check imports it).
    logging.getLogger("alembic.runtime.plugins").setLevel(logging.WARNING)


def configured_elsewhere() -> bool:
    """Whether the root logger has handlers this module did not install (a test runner's, say)."""
    return any(not getattr(h, "_forms_engine", False) for h in logging.getLogger().handlers)


def request_id_from(header: str | None) -> str:
    """The incoming id when it is sane, else a new one (uuid4, hex)."""
    if header and SANE_REQUEST_ID.fullmatch(header):
        return header
    return uuid.uuid4().hex


def loggable_path() -> str:
    """The request's path without its query string, secret view arguments replaced by `<name>`."""
    path = request.path
    for name, value in (request.view_args or {}).items():
        if SECRET_ARGUMENT.search(name) and str(value):
            path = path.replace(str(value), f"<{name}>")
    return path


def _start_request() -> None:
    g.request_id = request_id_from(request.headers.get(REQUEST_ID_HEADER))
    g.request_started = time.perf_counter()
    g.request_id_token = current_request_id.set(g.request_id)


def _log_request(response: Response) -> Response:
    request_id = g.get("request_id") or request_id_from(None)
    response.headers[REQUEST_ID_HEADER] = request_id
    started = g.get("request_started")
    duration_ms = round((time.perf_counter() - started) * 1000, 1) if started is not None else None
    path = loggable_path()
    quiet = request.endpoint in QUIET_ENDPOINTS and response.status_code < 400
    access_log.log(
        logging.DEBUG if quiet else logging.INFO,
        "%s %s %s %s ms",
        request.method,
        path,
        response.status_code,
        duration_ms,
        extra={
            "method": request.method,
            "path": path,
            "route": request.url_rule.rule if request.url_rule is not None else None,
            "status": response.status_code,
            "duration_ms": duration_ms,
        },
    )
    return response


def _end_request(_error: BaseException | None) -> None:
    token = g.pop("request_id_token", None)
    if token is not None:
        current_request_id.reset(token)


def _log_exception_without_secrets(app: Flask) -> None:
    """Flask's line for an unhandled exception, with the path as the access line gives it (Flask's
    own would show a save-and-return token)."""

    def log_exception(exc_info: Any) -> None:
        app.logger.error(f"Exception on {loggable_path()} [{request.method}]", exc_info=exc_info)

    app.log_exception = log_exception  # type: ignore[method-assign]


def init_app(app: Flask) -> None:
    """Configure logging from LOG_FORMAT and LOG_LEVEL (unless something else, such as a test
    runner, has configured it already), and give every request an id and an access line.

    Call it before any other extension registers request hooks: its before_request then runs first
    and its after_request last, so the access line has the final status and the whole duration."""
    log_format = resolve_format(app.config)
    if not configured_elsewhere():
        configure_logging(log_format, app.config.get("LOG_LEVEL", "INFO"))
    app.before_request(_start_request)
    app.after_request(_log_request)
    app.teardown_request(_end_request)
    _log_exception_without_secrets(app)
