"""Running in production: the settings production mode refuses, and `forms-engine serve`, which runs
the app under gunicorn in this process (gunicorn's BaseApplication, no shell command built)."""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Mapping
from typing import Any

import click
from flask import Flask

from .config import DEVELOPMENT_SECRET_KEY, Config

PRODUCTION = "production"
DEVELOPMENT = "development"
MIN_SECRET_KEY_LENGTH = 32


class ProductionConfigError(RuntimeError):
    """Production mode with settings fit only for development. The message is one line."""

    def __init__(self, problems: list[str], hint: bool = True):
        self.problems = problems
        if hint:
            message = "refusing to start in production mode: " + "; ".join(problems)
            message += f" (or set FORMS_ENGINE_ENV={DEVELOPMENT} to run with development settings)"
        else:
            message = "refusing to start: " + "; ".join(problems)
        super().__init__(message)


def production_problems(config: Mapping[str, Any]) -> list[str]:
    """What production mode refuses in these settings (an empty list when nothing)."""
    problems = []
    secret_key = str(config.get("SECRET_KEY") or "")
    if secret_key == DEVELOPMENT_SECRET_KEY:
        problems.append("SECRET_KEY is the development default: set a random one of at least 32 characters")
    elif len(secret_key) < MIN_SECRET_KEY_LENGTH:
        problems.append(f"SECRET_KEY is shorter than {MIN_SECRET_KEY_LENGTH} characters")
    if str(config.get("SQLALCHEMY_DATABASE_URI") or "").startswith("sqlite"):
        problems.append("DATABASE_URL is SQLite: use PostgreSQL")
    if config.get("MAIL_BACKEND") in {"outbox", "memory"}:
        problems.append(f"MAIL_BACKEND is {config['MAIL_BACKEND']}, which sends nothing: use smtp or notify")
    if not config.get("HTTPS"):
        problems.append("HTTPS is off: serve over HTTPS (a TLS proxy in front is fine) and set HTTPS=1")
    if not str(config.get("BASE_URL") or "").startswith("https://"):
        problems.append("BASE_URL is not an https:// address: set the service's own, for links in emails")
    return problems


def check_production_settings(config: Mapping[str, Any]) -> None:
    """Raise ProductionConfigError when FORMS_ENGINE_ENV is production and a setting is not fit for it."""
    env = config.get("FORMS_ENGINE_ENV")
    if env not in {PRODUCTION, DEVELOPMENT}:
        raise ProductionConfigError(
            [f"FORMS_ENGINE_ENV must be {PRODUCTION} or {DEVELOPMENT}, not {env!r}"], hint=False
        )
    if env == PRODUCTION:
        problems = production_problems(config)
        if problems:
            raise ProductionConfigError(problems)


def serving_environment() -> str:
    """`serve` runs in production mode unless FORMS_ENGINE_ENV says otherwise."""
    return os.environ.get("FORMS_ENGINE_ENV", "").strip() or PRODUCTION


def _effective_config(overrides: Mapping[str, Any]) -> dict[str, Any]:
    return {**{name: getattr(Config, name) for name in dir(Config) if name.isupper()}, **overrides}


def _application(options: dict[str, Any], app: Flask | None, overrides: dict[str, Any]) -> Any:
    from gunicorn.app.base import BaseApplication

    class ServeApplication(BaseApplication):
        def load_config(self) -> None:
            for name, value in options.items():
                self.cfg.set(name, value)

        def load(self) -> Flask:
            if app is not None:  # built in the master (preload)
                return app
            from . import create_app

            return create_app(overrides)

    return ServeApplication(prog="forms-engine serve")


@click.command("serve")
@click.option("--host", help="Address to listen on [HOST, default 127.0.0.1; 0.0.0.0 in a container].")
@click.option("--port", type=int, help="Port to listen on [PORT, default 8000].")
@click.option(
    "--workers", "-w", type=int, help="Worker processes [WEB_CONCURRENCY, default 2 x CPUs + 1, at most 8]."
)
@click.option("--threads", type=int, help="Threads per worker [GUNICORN_THREADS, default 4].")
@click.option(
    "--timeout", type=int, help="Seconds before a silent worker is replaced [GUNICORN_TIMEOUT, default 30]."
)
@click.option(
    "--preload/--no-preload",
    default=None,
    help="Build the app once before forking the workers (the default; GUNICORN_PRELOAD) or in each worker.",
)
def serve_command(
    host: str | None,
    port: int | None,
    workers: int | None,
    threads: int | None,
    timeout: int | None,
    preload: bool | None,
) -> None:
    """Serve the app under gunicorn (gthread workers), configured by environment variables.

    Runs in production mode unless FORMS_ENGINE_ENV=development: it refuses to start with settings
    only fit for development (exit 1). SIGTERM stops it gracefully: requests in hand finish first
    (for up to GUNICORN_GRACEFUL_TIMEOUT seconds)."""
    from . import create_app, logs

    overrides = {"FORMS_ENGINE_ENV": serving_environment()}
    config = _effective_config(overrides)
    try:
        from .gunicorn_conf import settings_from  # reads the environment as it is imported

        options = settings_from(os.environ)
        check_production_settings(config)
        logs.configure_logging(logs.resolve_format(config), config["LOG_LEVEL"])
    except (ProductionConfigError, ValueError) as exc:
        click.echo(f"forms-engine serve: {exc}", err=True)
        sys.exit(1)
    chosen = {"workers": workers, "threads": threads, "timeout": timeout, "preload_app": preload}
    options.update({name: value for name, value in chosen.items() if value is not None})
    if host is not None or port is not None:
        bind_host = host or os.environ.get("HOST", "").strip() or "127.0.0.1"
        bind_port = port or int(os.environ.get("PORT", "").strip() or 8000)
        options["bind"] = [f"[{bind_host}]:{bind_port}" if ":" in bind_host else f"{bind_host}:{bind_port}"]
    logging.getLogger(__name__).info("forms-engine serve: %s mode", overrides["FORMS_ENGINE_ENV"])
    app = create_app(overrides) if options["preload_app"] else None
    _application(options, app, overrides).run()
