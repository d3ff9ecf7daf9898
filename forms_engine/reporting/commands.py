"""`forms-engine register import|export` (the paper-form register) and `forms-engine report` (the
conversion report's headline figures as a table, CSV or JSON)."""

from __future__ import annotations

import csv
import io
import json
import sys
from datetime import datetime
from pathlib import Path

import click
from flask import Flask, current_app
from flask.cli import with_appcontext
from sqlalchemy import func, select

from ..caseworker.models import ORGANISATIONS
from ..definitions.loader import FormRegistry
from ..extensions import db
from .measures import GROUP, Report, build_report, percent, table_rows
from .models import PaperForm
from .register import RegisterError, definition_warnings, export_register, import_register, load_register


def _registry() -> FormRegistry:
    from .. import form_registry

    return form_registry(current_app._get_current_object())  # type: ignore[attr-defined]


@click.group("register")
def register_group() -> None:
    """The paper-form register (docs/reporting.md)."""


@register_group.command("import")
@click.argument("file", type=click.Path(path_type=Path, dir_okay=False))
@click.option(
    "--prune",
    is_flag=True,
    help="Delete register entries (and their paper counts) that the file does not list.",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["json", "csv"]),
    help="The file's format (default: csv for a .csv file, else json).",
)
@click.option(
    "--if-empty",
    is_flag=True,
    help="Import only into an empty register (so a set-up script does not undo later edits).",
)
@with_appcontext
def import_command(file: Path, prune: bool, fmt: str | None, if_empty: bool) -> None:
    """Import a register file (JSON or CSV) into the database, in one transaction.

    Entries are matched by reference: new ones are inserted, changed ones updated, and importing the
    same file again changes nothing. Entries in the database the file does not list are kept and
    named, unless --prune. A file with any problem imports nothing: every problem is printed as
    FILE:LINE: message, and the command exits with status 1."""
    from ..caseworker.audit import cli_actor

    if if_empty and db.session.scalar(select(func.count()).select_from(PaperForm)):
        click.echo(f"{file}: not imported: the register in the database is not empty (--if-empty)")
        return
    try:
        entries = load_register(file, fmt)  # type: ignore[arg-type]
    except RegisterError as error:
        for line in error.lines():
            click.echo(line)
        click.echo(f"{file}: {len(error.problems)} problem(s): nothing imported", err=True)
        sys.exit(1)
    for warning in definition_warnings(entries, _registry()):
        click.echo(f"warning: {file}:{warning.line}: {warning.message}")
    result = import_register(entries, prune=prune, actor=cli_actor())
    click.echo(
        f"{file}: {len(entries)} entries: {len(result.inserted)} inserted, {len(result.updated)} updated, "
        f"{len(result.unchanged)} unchanged"
        + (f", {len(result.removed)} removed ({', '.join(result.removed)})" if result.removed else "")
    )
    if result.not_in_file:
        click.echo(
            f"{len(result.not_in_file)} entries in the database are not in the file and were kept "
            f"(--prune removes them): {', '.join(result.not_in_file)}"
        )


@register_group.command("export")
@click.option("--format", "fmt", type=click.Choice(["json", "csv"]), default="json", show_default=True)
@with_appcontext
def export_command(fmt: str) -> None:
    """Print the register in the database, in the format `register import` reads."""
    click.echo(export_register(fmt), nl=False)  # type: ignore[arg-type]


def _aligned(headers: list[str], rows: list[list[str]], numeric_from: int = 1) -> list[str]:
    widths = [max(len(str(cell)) for cell in column) for column in zip(headers, *rows, strict=True)]

    def line(cells: list[str]) -> str:
        parts = [
            cell.rjust(width) if index >= numeric_from else cell.ljust(width)
            for index, (cell, width) in enumerate(zip(cells, widths, strict=True))
        ]
        return "  ".join(parts).rstrip()

    return [line(headers), "  ".join("-" * w for w in widths), *(line(row) for row in rows)]


def _met(met: bool) -> str:
    return "target met" if met else "target not met"


def headline_lines(report: Report) -> list[str]:
    """The report's headline figures as text: shares against the target, trajectory, each
    organisation, use in the period, and the live forms that do not count (with why)."""
    share, trajectory = report.group, report.trajectory
    scope = report.organisation or GROUP
    lines = [
        f"Paper forms replaced by digital forms: {scope}, {report.period_end.isoformat()}",
        f"Target: {percent(trajectory.target)} of in-scope paper forms "
        f"by {trajectory.target_date.isoformat()}",
        "",
        f"By count:  {share.replaced} of {share.in_scope} paper forms in scope, "
        f"{percent(share.by_count)} ({_met(share.met_by_count)})",
        f"By volume: {share.volume_replaced:,} of {share.volume_in_scope:,} paper forms a year, "
        f"{percent(share.by_volume)} ({_met(share.met_by_volume)})",
    ]
    if trajectory.met_on is not None:
        lines.append(f"Trajectory: target (by count) first met at {trajectory.met_on.isoformat()}")
    if trajectory.pace_per_month is None:
        lines.append("Trajectory: no pace (no paper forms in scope)")
    else:
        pace = f"{trajectory.pace_per_month * 100:+.2f} percentage points a month over the last 12 months"
        if share.met_by_count:
            lines.append(f"Pace: {pace}")
        elif trajectory.projected_on is not None:
            when = "on time" if trajectory.projected_on <= trajectory.target_date else "after the target date"
            lines.append(
                f"Trajectory: {pace}; projected to reach the target on "
                f"{trajectory.projected_on.isoformat()} ({when})"
            )
        else:
            lines.append(f"Trajectory: {pace}; the target is not reached at this pace")
    headers, rows = table_rows(report)["organisations"]
    keep = [0, 1, 2, 3, 4, 5, 6]
    lines += [
        "",
        "By organisation",
        *_aligned([headers[i] for i in keep], [[r[i] for i in keep] for r in rows]),
    ]
    not_counted = report.not_counted
    lines += ["", f"Live digital forms that do not count as replaced: {len(not_counted)}"]
    for form in not_counted:
        lines.append(
            f"  {form.reference} {form.title} ({form.organisation}): does not count, because "
            + "; ".join(form.reasons)
        )
    headers, rows = table_rows(report)["usage"]
    keep = [0, 1, 2, 3, 6, 7, 9]
    lines += [
        "",
        f"Use from {report.period_start.isoformat()} to {report.period_end.isoformat()}",
        *_aligned([headers[i] for i in keep], [[r[i] for i in keep] for r in rows]),
    ]
    return lines


TABLES = ("organisations", "trajectory", "forms", "take-up", "completion", "satisfaction", "usage")


@click.command("report")
@click.option(
    "--organisation",
    type=click.Choice(ORGANISATIONS, case_sensitive=False),
    help="Only this organisation's forms (default: the whole group).",
)
@click.option(
    "--format", "fmt", type=click.Choice(["table", "csv", "json"]), default="table", show_default=True
)
@click.option(
    "--table",
    "table_name",
    type=click.Choice(TABLES),
    default="organisations",
    show_default=True,
    help="With --format csv: which table to print.",
)
@click.option(
    "--date",
    "as_of",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    help="Report as of this date (YYYY-MM-DD; default today).",
)
@with_appcontext
def report_command(organisation: str | None, fmt: str, table_name: str, as_of: datetime | None) -> None:
    """Print the conversion report's headline figures: the share of paper forms replaced against
    the target (by count and by paper volume), its trajectory, each organisation, use in the last
    12 months, and the live forms that do not count as replaced and why."""
    today = as_of.date() if as_of is not None else None
    report = build_report(_registry(), organisation=organisation, today=today)
    if fmt == "json":
        click.echo(json.dumps(report.as_json(), indent=2, ensure_ascii=False))
    elif fmt == "csv":
        headers, rows = table_rows(report)[table_name]
        out = io.StringIO(newline="")
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(headers)
        writer.writerows(rows)
        click.echo(out.getvalue(), nl=False)
    else:
        click.echo("\n".join(headline_lines(report)))


def init_app(app: Flask) -> None:
    """Add the register and report commands to the `forms-engine` command group."""
    app.cli.add_command(register_group)
    app.cli.add_command(report_command)
