"""`forms-engine map SLUG` (the journey drawn as SVG, or its routes as text) and `forms-engine preview`
(the development server that reloads definitions: see preview.py)."""

from __future__ import annotations

import contextlib
import signal
import tempfile
from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext
from werkzeug.serving import run_simple

from ..definitions.loader import DefinitionError, load_definition
from ..definitions.model import FormDefinition
from .journey_map import journey_graph, render_svg, routes_text


def _definition(form: str) -> FormDefinition:
    """FORM as a path to a definition file, or as the slug of a form in the registry."""
    path = Path(form)
    if path.suffix == ".json" or path.is_file():
        if not path.is_file():
            raise click.ClickException(f"{form}: file not found")
        try:
            return load_definition(path)
        except DefinitionError as exc:
            for problem in exc.problems:
                click.echo(f"{form}: {problem.path}: {problem.message}", err=True)
            raise click.ClickException(f"{form} is not a valid definition") from exc
    from .. import form_registry

    registry = form_registry(current_app._get_current_object())  # type: ignore[attr-defined]
    definition = registry.get(form)
    if definition is not None:
        return definition
    if form in registry.unavailable:
        for problem in registry.unavailable[form]:
            click.echo(f"{form}: {problem.path}: {problem.message}", err=True)
        raise click.ClickException(f"the definition '{form}' is not valid")
    known = ", ".join(sorted(registry.forms)) or "none"
    raise click.ClickException(f"no form '{form}' (forms: {known}); give a slug or a definition file")


@click.command("map")
@click.argument("form")
@click.option(
    "--output",
    "-o",
    type=click.Path(dir_okay=False, writable=True, path_type=Path),
    help="Write to this file instead of printing.",
)
@click.option("--text", "as_text", is_flag=True, help="Every route as text instead of the SVG.")
@with_appcontext
def map_command(form: str, output: Path | None, as_text: bool) -> None:
    """Draw the journey of FORM (a slug, or a definition file) as an SVG: pages as boxes, branches
    as arrows labelled with their conditions, exit pages marked. --text lists every route."""
    graph = journey_graph(_definition(form))
    content = routes_text(graph) if as_text else render_svg(graph)
    if output is None:
        click.echo(content, nl=False)
        return
    try:
        output.write_text(content, encoding="utf-8")
    except OSError as exc:
        raise click.ClickException(f"{output}: cannot write: {exc.strerror or exc}") from None
    click.echo(
        f"{output}: {'routes' if as_text else 'journey map'} of '{graph.slug}', "
        f"{len(graph.nodes)} boxes and {len(graph.edges)} routes",
        err=True,
    )


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


@click.command("preview")
@click.option("--port", default=5050, show_default=True, type=int, help="Port on 127.0.0.1.")
@click.option(
    "--dir",
    "directory",
    default="form_definitions",
    show_default=True,
    type=click.Path(file_okay=False, exists=True, path_type=Path),
    help="Folder of definitions to serve.",
)
def preview_command(port: int, directory: Path) -> None:
    """Serve the definitions in a folder on 127.0.0.1 for designing: each page shows the latest
    saved file, its validation and lint problems on the page itself. Emails go to an outbox in a
    temporary folder; nothing is delivered (no worker runs), and its database is its own."""
    from .preview import create_preview_app

    with tempfile.TemporaryDirectory(prefix="forms-engine-preview-") as folder:
        app = create_preview_app(directory.resolve(), Path(folder))
        click.echo(
            f"Previewing {directory.resolve()} on http://127.0.0.1:{port}/ "
            f"(emails in {Path(folder) / 'outbox'}; press Ctrl+C to stop)",
            err=True,
        )
        # Stopped by a signal too, the temporary folder is removed on the way out.
        signal.signal(signal.SIGTERM, _interrupt)
        # Not app.run(), which does nothing under the `flask` command line that runs this one.
        with contextlib.suppress(KeyboardInterrupt):
            run_simple("127.0.0.1", port, app, use_reloader=False, use_debugger=False, threaded=True)
