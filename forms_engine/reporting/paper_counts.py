"""Monthly paper counts: how many paper copies of a register entry's form arrived in a month, for
digital take-up (online submissions against paper ones still received).

Counts are recorded one at a time on the /reports/paper-counts screens, or in bulk from a CSV file
(columns `reference,month,count`, month as YYYY-MM; lines starting with `#` are comments) on the
upload screen or by `forms-engine paper-counts import FILE`. A file with any problem imports nothing
and every problem is reported with its line; importing the same file again changes nothing. A count
for a month already recorded replaces it, and every change is recorded in the audit log.
"""

from __future__ import annotations

import csv
import re
import sys
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import click
from flask import Flask
from flask.cli import with_appcontext
from sqlalchemy import select

from ..caseworker import audit
from ..caseworker.models import User
from ..extensions import db
from ..submissions.models import utcnow
from .models import PaperCount, PaperForm
from .register import RegisterError, RegisterProblem

#: The columns of a paper-count file, in order.
COLUMNS: tuple[str, ...] = ("reference", "month", "count")
#: The largest count accepted for one form in one month (a typing slip guard, not a real limit).
MAX_COUNT = 10_000_000
_MONTH = re.compile(r"^([0-9]{4})-([0-9]{2})$")
_COUNT = re.compile(r"^[0-9]{1,3}(,[0-9]{3})*$|^[0-9]+$")


#: Something wrong in a paper-count file, at a line (1: the header or the file as a whole).
CountProblem = RegisterProblem


class PaperCountError(RegisterError):
    """A paper-count file that cannot be imported, with every problem found in it."""


@dataclass(frozen=True, slots=True)
class CountRow:
    """One checked line of a paper-count file."""

    reference: str
    month: date
    count: int
    line: int


@dataclass
class CountImport:
    """What an import did, as (reference, month) pairs."""

    inserted: list[tuple[str, date]] = field(default_factory=list)
    updated: list[tuple[str, date]] = field(default_factory=list)
    unchanged: list[tuple[str, date]] = field(default_factory=list)

    def summary(self) -> str:
        return f"{len(self.inserted)} recorded, {len(self.updated)} updated, {len(self.unchanged)} unchanged"


# -- months and counts ----------------------------------------------------------------------------


def parse_month(text: str) -> date | None:
    """The first day of the month `text` names as YYYY-MM, or None."""
    match = _MONTH.match(text.strip())
    if match is None:
        return None
    year, month = int(match.group(1)), int(match.group(2))
    if not 1 <= month <= 12 or year < 1900:
        return None
    return date(year, month, 1)


def this_month(today: date | None = None) -> date:
    return (today or date.today()).replace(day=1)


def parse_count(text: str) -> int | None:
    """A whole number of forms (commas between thousands allowed), or None."""
    cleaned = text.strip()
    if not _COUNT.match(cleaned):
        return None
    return int(cleaned.replace(",", ""))


def month_label(month: date) -> str:
    """'March 2025'."""
    return month.strftime("%B %Y")


# -- who may record for which entries ---------------------------------------------------------------


def may_record(user: User | None, entry: PaperForm, visible_slugs: Iterable[str]) -> bool:
    """Admins record for every entry; anyone else for entries of their organisation and entries
    whose definition they can see (`visible_slugs`: auth.visible_form_slugs for the account)."""
    if user is None or user.disabled:
        return False
    if user.role == "admin":
        return True
    if user.organisation is not None and entry.organisation == user.organisation:
        return True
    return entry.definition_slug is not None and entry.definition_slug in set(visible_slugs)


# -- recording --------------------------------------------------------------------------------------


def _upsert(entry: PaperForm, month: date, count: int, recorded_by: str) -> tuple[str, int | None]:
    """Insert or update one count (not committed): ('inserted'|'updated'|'unchanged', previous)."""
    row = db.session.scalar(
        select(PaperCount).where(PaperCount.paper_form_id == entry.id, PaperCount.month == month)
    )
    if row is None:
        db.session.add(PaperCount(paper_form_id=entry.id, month=month, count=count, recorded_by=recorded_by))
        return "inserted", None
    if row.count == count:
        return "unchanged", row.count
    previous = row.count
    row.count = count
    row.recorded_by = recorded_by
    row.recorded_at = utcnow()
    return "updated", previous


def _actor_name(actor: User | str | None) -> str:
    if isinstance(actor, User):
        return actor.email
    return actor or ""


def record_count(
    entry: PaperForm, month: date, count: int, actor: User | str | None
) -> tuple[str, int | None]:
    """Record (or replace) the count for one entry and month, with an audit event when it changed;
    committed. ('inserted'|'updated'|'unchanged', the previous count if there was one)."""
    try:
        outcome, previous = _upsert(entry, month, count, _actor_name(actor))
        if outcome != "unchanged":
            detail: dict[str, object] = {
                "reference": entry.reference,
                "month": month.isoformat()[:7],
                "count": count,
            }
            if previous is not None:
                detail["previous"] = previous
            audit.record(
                "paper-count-recorded" if outcome == "inserted" else "paper-count-updated",
                object_type="paper-form",
                object_id=entry.reference,
                form_slug=entry.definition_slug,
                detail=detail,
                actor=actor,
            )
        db.session.commit()
    except BaseException:
        db.session.rollback()
        raise
    return outcome, previous


# -- files ------------------------------------------------------------------------------------------


def _data_lines(text: str) -> Iterable[tuple[int, str]]:
    for number, line in enumerate(text.splitlines(), start=1):
        stripped = line.strip()
        if stripped and not stripped.startswith("#"):
            yield number, line


def parse_counts_csv(
    text: str,
    entries: Mapping[str, PaperForm],
    *,
    source: str = "paper counts",
    allowed: Callable[[PaperForm], bool] | None = None,
    today: date | None = None,
) -> list[CountRow]:
    """Check a paper-count CSV against the register (`entries`: reference -> row); its rows, or
    PaperCountError listing every problem with its line. `allowed` refuses entries the person
    importing may not record for (reported like unknown ones, so the file shows nothing more)."""
    numbered = list(_data_lines(text))
    problems: list[CountProblem] = []
    if not numbered:
        raise PaperCountError(
            source, [CountProblem(1, "the file is empty: it needs a header row reference,month,count")]
        )
    header_line, header_text = numbered[0]
    header = [cell.strip().lower() for cell in next(csv.reader([header_text]))]
    if header != list(COLUMNS):
        raise PaperCountError(
            source,
            [
                CountProblem(
                    header_line,
                    f"the header row must be {','.join(COLUMNS)} (found {','.join(header) or 'nothing'})",
                )
            ],
        )
    rows: list[CountRow] = []
    seen: dict[tuple[str, date], int] = {}
    latest = this_month(today)
    folded = {reference.casefold(): entry for reference, entry in entries.items()}
    for line, row_text in numbered[1:]:
        cells = [cell.strip() for cell in next(csv.reader([row_text]))]
        if len(cells) != len(COLUMNS):
            problems.append(
                CountProblem(line, f"expected 3 cells (reference,month,count), found {len(cells)}")
            )
            continue
        reference, month_text, count_text = cells
        entry = folded.get(reference.casefold())
        if entry is None or (allowed is not None and not allowed(entry)):
            problems.append(
                CountProblem(line, f"unknown reference {reference!r}: not in the paper-form register")
            )
        month = parse_month(month_text)
        if month is None:
            problems.append(CountProblem(line, f"month {month_text!r} is not a month in the form YYYY-MM"))
        elif month > latest:
            problems.append(CountProblem(line, f"month {month_text} is in the future"))
        count = parse_count(count_text)
        if count is None:
            problems.append(CountProblem(line, f"count {count_text!r} is not a whole number of 0 or more"))
        elif count > MAX_COUNT:
            problems.append(CountProblem(line, f"count {count:,} is more than {MAX_COUNT:,}"))
        if entry is None or month is None or count is None:
            continue
        key = (entry.reference, month)
        if key in seen:
            problems.append(
                CountProblem(
                    line, f"{entry.reference} {month.isoformat()[:7]} is already counted at line {seen[key]}"
                )
            )
            continue
        seen[key] = line
        rows.append(CountRow(entry.reference, month, count, line))
    if problems:
        raise PaperCountError(source, problems)
    return rows


def import_counts(rows: Iterable[CountRow], actor: User | str | None) -> CountImport:
    """Record every row in one transaction, with one audit event listing what changed; nothing is
    written if anything fails. Rows already recorded with the same count are left alone."""
    result = CountImport()
    changes: list[dict[str, object]] = []
    try:
        entries = {row.reference: row for row in db.session.scalars(select(PaperForm))}
        for row in rows:
            entry = entries[row.reference]
            outcome, previous = _upsert(entry, row.month, row.count, _actor_name(actor))
            key = (row.reference, row.month)
            getattr(result, outcome).append(key)
            if outcome == "updated":
                changes.append(
                    {
                        "reference": row.reference,
                        "month": row.month.isoformat()[:7],
                        "count": row.count,
                        "previous": previous,
                    }
                )
        if result.inserted or result.updated:
            audit.record(
                "paper-counts-import",
                object_type="paper-form-register",
                detail={
                    "recorded": len(result.inserted),
                    "updated": changes,
                    "unchanged": len(result.unchanged),
                },
                actor=actor,
            )
        db.session.commit()
    except BaseException:
        db.session.rollback()
        raise
    return result


def register_by_reference() -> dict[str, PaperForm]:
    return {row.reference: row for row in db.session.scalars(select(PaperForm))}


def import_counts_text(
    text: str,
    actor: User | str | None,
    *,
    source: str = "paper counts",
    allowed: Callable[[PaperForm], bool] | None = None,
    today: date | None = None,
) -> CountImport:
    """Check and import a paper-count CSV; PaperCountError (nothing imported) if it has problems."""
    rows = parse_counts_csv(text, register_by_reference(), source=source, allowed=allowed, today=today)
    return import_counts(rows, actor)


def read_text(data: bytes, source: str) -> str:
    """A file's bytes as text (UTF-8, with or without a byte-order mark); PaperCountError if not."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise PaperCountError(source, [CountProblem(1, f"not UTF-8 text: {exc.reason}")]) from exc


# -- the command ------------------------------------------------------------------------------------


@click.group("paper-counts")
def paper_counts_group() -> None:
    """Monthly counts of paper forms received (for digital take-up)."""


@paper_counts_group.command("import")
@click.argument("file", type=click.Path(path_type=Path, dir_okay=False))
@click.option(
    "--if-empty",
    is_flag=True,
    help="Import only into a database with no paper counts yet (for loading example data once).",
)
@with_appcontext
def import_command(file: Path, if_empty: bool) -> None:
    """Import a CSV of reference,month (YYYY-MM),count. Every problem is printed with its line and
    nothing is imported if there is one; importing the same file again changes nothing."""
    if if_empty and db.session.scalar(select(PaperCount.id).limit(1)) is not None:
        click.echo(f"{file}: not imported (the database already has paper counts)")
        return
    try:
        if not file.is_file():
            raise PaperCountError(str(file), [CountProblem(1, "file not found")])
        text = read_text(file.read_bytes(), str(file))
        result = import_counts_text(text, audit.cli_actor(), source=str(file))
    except PaperCountError as error:
        for line in error.lines():
            click.echo(line, err=True)
        click.echo(f"{file}: nothing imported ({len(error.problems)} problem(s))", err=True)
        sys.exit(1)
    click.echo(f"{file}: {result.summary()}")


def init_app(app: Flask) -> None:
    app.cli.add_command(paper_counts_group)
