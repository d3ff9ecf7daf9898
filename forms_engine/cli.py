"""The `forms-engine` command: a Flask CLI group over the app factory, plus the engine's commands."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click
from flask import Flask
from flask.cli import FlaskGroup, with_appcontext
from sqlalchemy import select

from .definitions.loader import DefinitionError, definition_warnings, load_definition
from .extensions import db


def _create_app() -> Flask:
    from . import create_app

    return create_app()


@click.group(cls=FlaskGroup, create_app=_create_app)
def main() -> None:
    """forms-engine: JSON form definitions served as accessible GOV.UK journeys."""


def _add_serve_command() -> None:
    # On the group itself, not app.cli: `serve` builds the app its own way (production mode by
    # default) and reports a refusal in one line rather than as the group's failure to load the app.
    from .serve import serve_command

    main.add_command(serve_command)


_add_serve_command()


@click.command("validate")
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
def validate_command(paths: tuple[Path, ...]) -> None:
    """Check form definitions: print every problem as PATH: $.json.path: message.

    Warnings (such as text missing a translation into a language the form declares) are printed as
    `warning: PATH: $.json.path: message` and do not fail the check."""
    failed = False
    for path in paths:
        if not path.is_file():
            click.echo(f"{path}: $: file not found", err=False)
            failed = True
            continue
        try:
            definition = load_definition(path)
        except DefinitionError as exc:
            failed = True
            for problem in exc.problems:
                click.echo(f"{path}: {problem.path}: {problem.message}")
            continue
        questions = len(definition.questions())
        click.echo(
            f"{path}: valid - '{definition.slug}' ({definition.paper_form.reference}, "
            f"{definition.paper_form.organisation}), {len(definition.pages)} pages, "
            f"{questions} questions, version {definition.version[:12]}"
        )
        for warning in definition_warnings(dict(definition.source)):
            click.echo(f"warning: {path}: {warning.path}: {warning.message}")
    sys.exit(1 if failed else 0)


@click.group("db")
def db_group() -> None:
    """Database schema (Alembic migrations)."""


@db_group.command("upgrade")
@click.option("--revision", default="head", show_default=True)
@with_appcontext
def db_upgrade(revision: str) -> None:
    """Apply migrations up to REVISION."""
    from flask import current_app

    from .database import upgrade_database

    upgrade_database(current_app._get_current_object(), revision)  # type: ignore[attr-defined]
    click.echo(f"database at revision {revision}")


@db_group.command("downgrade")
@click.argument("revision")
@with_appcontext
def db_downgrade(revision: str) -> None:
    """Revert migrations down to REVISION (use 'base' for an empty database)."""
    from flask import current_app

    from .database import downgrade_database

    downgrade_database(current_app._get_current_object(), revision)  # type: ignore[attr-defined]
    click.echo(f"database at revision {revision}")


@click.group("submissions")
def submissions_group() -> None:
    """Stored submissions."""


@submissions_group.command("list")
@click.option("--form", "form_slug", help="Only submissions of this form (its slug).")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON array.")
@with_appcontext
def submissions_list(form_slug: str | None, as_json: bool) -> None:
    """List stored submissions, newest last."""
    from .submissions.models import Submission

    query = select(Submission).order_by(Submission.submitted_at, Submission.id)
    if form_slug:
        query = query.where(Submission.form_slug == form_slug)
    rows = [s.as_json() for s in db.session.scalars(query)]
    if as_json:
        click.echo(json.dumps(rows, indent=2, ensure_ascii=False))
        return
    for row in rows:
        click.echo(f"{row['reference']}  {row['form']}  {row['submitted_at']}")
    click.echo(f"{len(rows)} submission(s)")


@click.command("forms")
@with_appcontext
def forms_command() -> None:
    """List the forms this service would offer, and any it cannot load."""
    from flask import current_app

    from . import form_registry

    registry = form_registry(current_app._get_current_object())  # type: ignore[attr-defined]
    for definition in registry.forms.values():
        click.echo(f"{definition.slug}: {len(definition.pages)} pages ({definition.paper_form.reference})")
    for name, problems in registry.unavailable.items():
        click.echo(f"{name}: UNAVAILABLE ({len(problems)} problem(s))")


def init_app(app: Flask) -> None:
    from .caseworker.commands import users_group
    from .caseworker.retention import purge_command
    from .submissions.commands import deliveries_group, worker_command
    from .submissions.export_command import export_command

    submissions_group.add_command(export_command)

    for command in (
        validate_command,
        db_group,
        submissions_group,
        forms_command,
        worker_command,
        deliveries_group,
        users_group,
        purge_command,
    ):
        app.cli.add_command(command)

    from .designer import commands as designer_commands

    designer_commands.init_app(app)

    from .reporting import commands as reporting_commands

    reporting_commands.init_app(app)

    from .reporting import paper_counts

    paper_counts.init_app(app)
