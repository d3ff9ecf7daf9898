"""The designer commands: `forms-engine import defra|pdf` (and the others each module registers)."""

from __future__ import annotations

import click
from flask import Flask

from .importers.defra import defra_command
from .importers.pdf import pdf_command
from .lint_commands import lint_command, new_command
from .map_commands import map_command, preview_command
from .reference import reference_command


@click.group("import")
def import_group() -> None:
    """Draft native form definitions from other formats (Defra Forms definitions, fillable PDFs)."""


def init_app(app: Flask) -> None:
    """Add the designer commands to the `forms-engine` command group."""
    # Each importer registers its subcommand here, one line each.
    import_group.add_command(defra_command)
    import_group.add_command(pdf_command)
    app.cli.add_command(import_group)
    app.cli.add_command(new_command)
    app.cli.add_command(lint_command)
    app.cli.add_command(reference_command)
    app.cli.add_command(map_command)
    app.cli.add_command(preview_command)
