"""`forms-engine submissions export`: a form's submissions as CSV, XLSX, JSON or ZIP, on stdout or in a
file, with a progress bar on stderr."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime
from pathlib import Path
from typing import IO, Any

import click
from flask import current_app
from flask.cli import with_appcontext
from sqlalchemy import select

from ..definitions.model import FormDefinition
from ..extensions import db
from .export import submission_definition
from .exporting import EXPORT_FORMATS, PARALLEL_MINIMUM, count_for_export, export_form
from .models import Submission, UploadedFile

DAY = click.DateTime(formats=["%Y-%m-%d"])
#: The most processes --jobs uses by default.
MAX_JOBS = 4


def _definition(slug: str) -> FormDefinition:
    """The form's current definition; for a form no longer offered, its newest submission's."""
    from .. import form_registry

    current = form_registry(current_app._get_current_object()).get(slug)  # type: ignore[attr-defined]
    if current is not None:
        return current
    newest = db.session.scalars(
        select(Submission).where(Submission.form_slug == slug).order_by(Submission.id.desc()).limit(1)
    ).first()
    if newest is None:
        raise click.ClickException(
            f"unknown form '{slug}': no form with that slug is offered and none of its submissions is stored"
        )
    click.echo(f"'{slug}' is not offered now: columns from its newest submission's definition", err=True)
    return submission_definition(newest)


def _files_for(submission: Any) -> list[UploadedFile]:
    """A submission's uploaded file rows, for the JSON payload's SHA-256 of each file."""
    return list(db.session.scalars(select(UploadedFile).where(UploadedFile.submission_id == submission.id)))


class _Reporter:
    """Progress on stderr: a bar on a terminal; otherwise, when asked for, a line every tenth."""

    def __init__(self, total: int, show: bool | None) -> None:
        self.total = total
        self.done = 0
        self.next_line = max(total // 10, 1)
        terminal = sys.stderr.isatty()
        self.bar: Any = None
        self.lines = bool(show) and not terminal
        if terminal and show is not False:
            self.bar = click.progressbar(length=total, label="Exporting", file=sys.stderr, show_pos=True)
            self.bar.__enter__()

    def __call__(self, count: int) -> None:
        self.done += count
        if self.bar is not None:
            self.bar.update(count)
        elif self.lines and (self.done >= self.next_line or self.done == self.total):
            click.echo(f"exported {self.done} of {self.total}", err=True)
            self.next_line = self.done + max(self.total // 10, 1)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.__exit__(None, None, None)


@click.command("export")
@click.option("--form", "form_slug", required=True, help="The form's slug.")
@click.option(
    "--format",
    "format_",
    type=click.Choice(sorted(EXPORT_FORMATS)),
    default="csv",
    show_default=True,
    help="csv: a row per submission; zip: that CSV and a CSV per repeating section; "
    "xlsx: the same as sheets; json: an array of submission payloads.",
)
@click.option("--since", type=DAY, help="Only submissions sent on or after this day (YYYY-MM-DD, UTC).")
@click.option("--until", type=DAY, help="Only submissions sent on or before this day (YYYY-MM-DD, UTC).")
@click.option(
    "--output",
    "-o",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write to this file (replaced only once the export is complete) instead of stdout.",
)
@click.option(
    "--progress/--no-progress",
    default=None,
    help="Progress on stderr. Default: a bar when stderr is a terminal, nothing otherwise; "
    "--progress without a terminal prints a line every tenth.",
)
@click.option(
    "--jobs",
    "-j",
    type=click.IntRange(min=1),
    default=min(len(os.sched_getaffinity(0)), MAX_JOBS),
    show_default="the processors available, at most 4",
    help=f"Processes sharing a CSV export of {PARALLEL_MINIMUM:,} submissions or more "
    "(each forked from this one, a range of submissions each).",
)
@with_appcontext
def export_command(
    form_slug: str,
    format_: str,
    since: datetime | None,
    until: datetime | None,
    output: Path | None,
    progress: bool | None,
    jobs: int,
) -> None:
    """Export a form's submissions (to stdout unless --output is given) in the order they were stored.

    Columns come from the form's current definition; each submission's answers are read with the
    definition version it was sent on. Cells a spreadsheet would run as formulas are neutralised."""
    first: date | None = since.date() if since else None
    last: date | None = until.date() if until else None
    if first and last and first > last:
        raise click.BadParameter(f"--since {first} is after --until {last}", param_hint="'--since'")
    binary = format_ in ("xlsx", "zip")
    sys.stdout.flush()
    stdout: IO[bytes] = sys.stdout.buffer
    if output is None and binary and stdout.isatty():
        raise click.ClickException(
            f"refusing to write the {format_.upper()} file to the terminal: use --output or a redirection"
        )
    definition = _definition(form_slug)
    total = count_for_export(form_slug, first, last)
    reporter = _Reporter(total, progress)
    files_for = _files_for if format_ == "json" else None

    def run(out: IO[bytes]) -> int:
        return export_form(
            format_, definition, form_slug, out, first, last, None, files_for, reporter, jobs, total
        )

    try:
        if output is None:
            count = run(stdout)
        else:
            with _replacing(output) as file:
                count = run(file)
    finally:
        reporter.close()
    where = str(output) if output else "stdout"
    click.echo(f"exported {count} submission(s) of '{form_slug}' as {format_} to {where}", err=True)


@contextmanager
def _replacing(output: Path) -> Iterator[IO[bytes]]:
    """A temporary file beside `output`, renamed over it once the block completes: a failed export
    never leaves a partial file that looks finished."""
    partial = output.with_name(f".{output.name}.{os.getpid()}.partial")
    try:
        with open(partial, "wb") as file:
            yield file
        os.replace(partial, output)
    finally:
        partial.unlink(missing_ok=True)
