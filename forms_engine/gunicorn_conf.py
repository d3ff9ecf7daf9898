"""gunicorn settings for the engine, from environment variables; used by `forms-engine serve` and
usable directly: `gunicorn -c python:forms_engine.gunicorn_conf 'forms_engine:create_app()'`.

| variable | default |
|---|---|
| HOST, PORT | 127.0.0.1, 8000 |
| WEB_CONCURRENCY | worker processes: 2 x CPUs + 1, at most 8 |
| GUNICORN_THREADS | 4 threads per worker (gthread) |
| GUNICORN_TIMEOUT | 30 s: a worker silent this long is killed and replaced |
| GUNICORN_GRACEFUL_TIMEOUT | 30 s: on SIGTERM, time for requests in hand to finish |
| GUNICORN_KEEPALIVE | 5 s |
| GUNICORN_MAX_REQUESTS, GUNICORN_MAX_REQUESTS_JITTER | 1000, 100 (0: workers never recycled) |
| GUNICORN_PRELOAD | 1: the app is built once, before the workers are forked |
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from typing import Any

from gunicorn import glogging

from . import logs

#: The most worker processes the default gives, however many CPUs: each holds its own connection
#: pool and a copy of the app, and the database is usually the limit before CPUs are.
MAX_DEFAULT_WORKERS = 8


def cpu_count() -> int:
    """CPUs this process may run on (a container's share, not the host's)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def default_workers() -> int:
    return min(2 * cpu_count() + 1, MAX_DEFAULT_WORKERS)


def _int(environ: Mapping[str, str], name: str, default: int) -> int:
    value = environ.get(name, "").strip()
    if not value:
        return default
    try:
        return int(value)
    except ValueError:
        raise ValueError(f"{name} must be a whole number, not {value!r}") from None


def _bool(environ: Mapping[str, str], name: str, default: bool) -> bool:
    value = environ.get(name, "").strip().lower()
    return default if not value else value in {"1", "true", "yes", "on"}


class GunicornLogger(glogging.Logger):
    """gunicorn's own messages (start, workers booting and dying, shutdown) through the engine's
    log setup (forms_engine/logs.py), so they are JSON lines like the app's.

    gunicorn's access log stays off by default: the app writes one access line per request itself,
    with its request id. Turned on (`--access-logfile -`), its lines go the same way."""

    def setup(self, cfg: Any) -> None:
        super().setup(cfg)
        if not any(getattr(h, "_forms_engine", False) for h in logging.getLogger().handlers):
            from .config import Config

            config = {name: getattr(Config, name) for name in dir(Config) if name.isupper()}
            logs.configure_logging(logs.resolve_format(config), config["LOG_LEVEL"])
        for log in (self.error_log, self.access_log):
            for handler in [h for h in log.handlers if getattr(h, "_gunicorn", False)]:
                log.removeHandler(handler)
            log.propagate = True


def post_fork(server: Any, worker: Any) -> None:
    """A worker forked from a master that built the app (preload) must not share the master's
    database connections: drop them from its pools, without closing the master's sockets."""
    from flask import Flask

    from .extensions import db

    app = getattr(server.app, "callable", None)
    if isinstance(app, Flask):
        with app.app_context():
            for engine in db.engines.values():
                engine.dispose(close=False)


def on_starting(server: Any) -> None:
    """Plain gunicorn runs in the mode FORMS_ENGINE_ENV says: say so when that is not production."""
    mode = os.environ.get("FORMS_ENGINE_ENV", "").strip() or "development"
    if mode != "production":
        server.log.warning(
            "FORMS_ENGINE_ENV is %s: development settings are not refused (set FORMS_ENGINE_ENV=production)",
            mode,
        )


def settings_from(environ: Mapping[str, str]) -> dict[str, Any]:
    """gunicorn's settings (its own names) for this environment."""
    host = environ.get("HOST", "").strip() or "127.0.0.1"
    port = _int(environ, "PORT", 8000)
    return {
        "bind": [f"[{host}]:{port}" if ":" in host else f"{host}:{port}"],
        "workers": _int(environ, "WEB_CONCURRENCY", default_workers()),
        "worker_class": "gthread",
        "threads": _int(environ, "GUNICORN_THREADS", 4),
        "timeout": _int(environ, "GUNICORN_TIMEOUT", 30),
        "graceful_timeout": _int(environ, "GUNICORN_GRACEFUL_TIMEOUT", 30),
        "keepalive": _int(environ, "GUNICORN_KEEPALIVE", 5),
        "max_requests": _int(environ, "GUNICORN_MAX_REQUESTS", 1000),
        "max_requests_jitter": _int(environ, "GUNICORN_MAX_REQUESTS_JITTER", 100),
        "preload_app": _bool(environ, "GUNICORN_PRELOAD", True),
        # Heartbeat files in memory: a worker on a slow or full disk is not taken for a dead one.
        "worker_tmp_dir": "/dev/shm" if os.path.isdir("/dev/shm") else None,
        "accesslog": None,
        "errorlog": "-",
        "loglevel": (environ.get("LOG_LEVEL", "").strip() or "info").lower(),
        "logger_class": GunicornLogger,
        "post_fork": post_fork,
        "proc_name": "forms-engine",
        # gunicorn's control socket has one default path per user: several instances on one host
        # would fight over it, and nothing here uses it.
        "control_socket_disable": True,
    }


# The module-level names gunicorn reads when this module is its config (`-c python:...`), with
# post_fork and on_starting above (serve passes post_fork itself and logs its own mode).
_settings = settings_from(os.environ)
bind = _settings["bind"]
workers = _settings["workers"]
worker_class = _settings["worker_class"]
threads = _settings["threads"]
timeout = _settings["timeout"]
graceful_timeout = _settings["graceful_timeout"]
keepalive = _settings["keepalive"]
max_requests = _settings["max_requests"]
max_requests_jitter = _settings["max_requests_jitter"]
preload_app = _settings["preload_app"]
worker_tmp_dir = _settings["worker_tmp_dir"]
accesslog = _settings["accesslog"]
errorlog = _settings["errorlog"]
loglevel = _settings["loglevel"]
logger_class = _settings["logger_class"]
proc_name = _settings["proc_name"]
control_socket_disable = _settings["control_socket_disable"]
