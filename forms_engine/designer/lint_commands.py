"""`forms-engine new SLUG` (a definition to start from) and `forms-engine lint PATH...` (content and
accessibility rules, after validation)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from .lint import Finding, LintResult, lint_file
from .scaffold import ORGANISATIONS, scaffold_definition, slug_problem, write_scaffold


@click.command("new")
@click.argument("slug")
@click.option("--title", help="The service's name, such as 'Register your poultry'.")
@click.option(
    "--organisation",
    type=click.Choice(ORGANISATIONS),
    default="Defra",
    show_default=True,
    help="The organisation owning the paper form.",
)
@click.option("--paper-reference", help="The paper form's reference, such as IRA82.")
@click.option(
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    help="File to write (default: SLUG.json in the current folder). Never overwritten.",
)
def new_command(
    slug: str, title: str | None, organisation: str, paper_reference: str | None, output: Path | None
) -> None:
    """Write a new form definition for SLUG: valid, with a start page, an example question and check
    answers; every detail to fill in says TODO, and `forms-engine lint` fails until none is left."""
    problem = slug_problem(slug)
    if problem:
        raise click.BadParameter(problem, param_hint="SLUG")
    path = output or Path(f"{slug}.json")
    data = scaffold_definition(slug, title, organisation, paper_reference)
    try:
        write_scaffold(path, data)
    except FileExistsError:
        click.echo(f"{path}: already exists; not overwritten (choose another --output)", err=True)
        sys.exit(1)
    except OSError as exc:
        click.echo(f"{path}: cannot write: {exc.strerror}", err=True)
        sys.exit(1)
    click.echo(f"{path}: new form '{slug}' ({organisation}). Fill in every TODO, then run:")
    click.echo(f"  forms-engine lint {path}")


def _counts(result: LintResult) -> str:
    errors, warnings, silenced = len(result.errors), len(result.warnings), len(result.silenced)
    text = f"{errors} error{'s' * (errors != 1)}, {warnings} warning{'s' * (warnings != 1)}"
    if silenced:
        text += f", {silenced} silenced"
    if not result.valid:
        text += " (not linted: the definition is not valid)"
    return text


def _shown(result: LintResult, verbose: bool) -> list[Finding]:
    return [*result.findings, *result.silenced] if verbose else list(result.findings)


@click.command("lint")
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option(
    "--format",
    "output_format",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
    help="text: one finding a line; json: an object with every file's findings.",
)
@click.option("--strict", is_flag=True, help="Fail on warnings too, not only on errors.")
@click.option("--verbose", "-v", is_flag=True, help="Also list silenced findings, with their reasons.")
def lint_command(paths: tuple[Path, ...], output_format: str, strict: bool, verbose: bool) -> None:
    """Validate form definitions, then check them against content and accessibility rules.

    Prints each finding as `PATH: $.json.path: RULE level: message (fix: ...)`, then a count per file.
    Validation problems are FE000 errors. Exit status 1 when any file has an error (with --strict, any
    finding at all), else 0. Rules and their levels: docs/reference.md."""
    results = {path: lint_file(path) for path in paths}
    failed = any(result.failed(strict) for result in results.values())
    if output_format == "json":
        files = [
            {
                "file": str(path),
                "valid": result.valid,
                "errors": len(result.errors),
                "warnings": len(result.warnings),
                "silenced": len(result.silenced),
                "findings": [f.as_json() for f in _shown(result, verbose)],
            }
            for path, result in results.items()
        ]
        summary = {
            "files": files,
            "errors": sum(len(r.errors) for r in results.values()),
            "warnings": sum(len(r.warnings) for r in results.values()),
            "silenced": sum(len(r.silenced) for r in results.values()),
            "failed": failed,
        }
        click.echo(json.dumps(summary, indent=2, ensure_ascii=False))
    else:
        for path, result in results.items():
            for finding in _shown(result, verbose):
                click.echo(f"{path}: {finding}")
            click.echo(f"{path}: {_counts(result)}")
    sys.exit(1 if failed else 0)
