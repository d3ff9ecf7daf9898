"""forms-engine: JSON form definitions served as accessible GOV.UK journeys."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import Flask
from jinja2 import ChoiceLoader, FileSystemLoader, PackageLoader, PrefixLoader

from .config import ROOT, Config
from .content import render_markdown
from .definitions.loader import FormRegistry
from .extensions import csrf, db, limiter


def create_app(config: type[Config] | dict[str, Any] | None = None) -> Flask:
    """Build the application: the only place an app is made."""
    app = Flask(
        __name__,
        template_folder=str(ROOT / "templates"),
        static_folder=str(ROOT / "static"),
        static_url_path="/static",
    )
    app.config.from_object(Config)
    if isinstance(config, dict):
        app.config.update(config)
    elif config is not None:
        app.config.from_object(config)
    if app.config.get("HTTPS"):
        app.config["SESSION_COOKIE_SECURE"] = True
    from . import logs
    from .serve import check_production_settings

    check_production_settings(app.config)
    logs.init_app(app)  # first, so its request hooks see each request whole

    app.jinja_loader = ChoiceLoader(
        [
            FileSystemLoader(str(ROOT / "templates")),
            PrefixLoader({"govuk_frontend_jinja": PackageLoader("govuk_frontend_jinja", "templates")}),
        ]
    )
    app.jinja_env.globals["render_markdown"] = render_markdown
    app.jinja_env.add_extension("jinja2.ext.do")
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True

    db.init_app(app)
    csrf.init_app(app)
    from .runner import expiry, limits

    limits.configure(app)  # where rate-limit counters live, and the proxies to trust: before the limiter
    limiter.init_app(app)

    from . import caseworker, cli, health, mail, reporting, schemas_view, security
    from .designer import views as designer_views
    from .runner import views

    mail.init_app(app)
    security.init_app(app)
    health.init_app(app)
    views.init_app(app)
    limits.init_app(app)
    expiry.init_app(app)
    caseworker.init_app(app)
    cli.init_app(app)
    schemas_view.init_app(app)
    designer_views.init_app(app)
    reporting.init_app(app)

    if "forms_engine.registry" not in app.extensions:
        app.extensions["forms_engine.registry"] = FormRegistry.from_directory(
            Path(app.config["FORM_DEFINITIONS_DIR"])
        )
    return app


def form_registry(app: Flask) -> FormRegistry:
    registry: FormRegistry = app.extensions["forms_engine.registry"]
    return registry
