"""The paper-form register file: read it (JSON with its schema, or CSV with the same columns), check
it, import it into the database in one transaction, and export the database back to either format.

Every problem found in a file is reported with the line it is on, all at once, and a file with any
problem imports nothing. An import matches entries to rows by reference: it inserts new ones, updates
changed ones, leaves the same ones alone (so importing a file twice changes nothing the second time),
and reports rows the file does not mention without deleting them, unless asked to prune.
"""

from __future__ import annotations

import csv
import io
import json
import re
from bisect import bisect_right
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any, Literal

from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError
from sqlalchemy import delete, select

from ..config import ROOT
from ..definitions.loader import FormRegistry
from ..extensions import db
from .models import PaperCount, PaperForm

#: The illustrative register shipped with the engine (in a folder of its own, so the form registry,
#: which loads every *.json directly in form_definitions/, does not take it for a form definition).
DEFAULT_REGISTER = ROOT / "form_definitions" / "register" / "paper-form-register.json"

#: The register's fields in file order: JSON keys, which are also the CSV column names.
FIELDS: tuple[str, ...] = (
    "reference",
    "title",
    "organisation",
    "annualVolume",
    "status",
    "definitionSlug",
    "liveDate",
    "withdrawnDate",
    "notes",
)
REQUIRED: tuple[str, ...] = ("reference", "title", "organisation", "annualVolume", "status")
Format = Literal["json", "csv"]


@dataclass(frozen=True, slots=True)
class RegisterProblem:
    """Something wrong in a register file, at a line (1 for the file as a whole)."""

    line: int
    message: str

    def __str__(self) -> str:
        return f"{self.line}: {self.message}"


class RegisterError(Exception):
    """A register file that cannot be imported, with every problem found in it."""

    def __init__(self, source: str, problems: list[RegisterProblem]):
        super().__init__(f"{source}: {len(problems)} problem(s)")
        self.source = source
        self.problems = problems

    def lines(self) -> list[str]:
        """Each problem as `SOURCE:LINE: message`."""
        return [f"{self.source}:{p.line}: {p.message}" for p in self.problems]


@dataclass(frozen=True, slots=True)
class RegisterEntry:
    """One checked register entry, and the line of the file it starts on."""

    reference: str
    title: str
    organisation: str
    annual_volume: int
    status: str
    definition_slug: str | None = None
    live_date: date | None = None
    withdrawn_date: date | None = None
    notes: str = ""
    line: int = 0

    def values(self) -> dict[str, Any]:
        """The columns of a PaperForm row this entry sets."""
        return {
            "title": self.title,
            "organisation": self.organisation,
            "annual_volume": self.annual_volume,
            "status": self.status,
            "definition_slug": self.definition_slug,
            "live_date": self.live_date,
            "withdrawn_date": self.withdrawn_date,
            "notes": self.notes,
        }


@dataclass
class ImportResult:
    """What an import did: references inserted, updated, unchanged, and the rows the file does not
    mention (removed when pruning, else left as they were)."""

    inserted: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    not_in_file: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return bool(self.inserted or self.updated or self.removed)


# -- the schema -------------------------------------------------------------------------------------


@cache
def register_schema() -> dict[str, Any]:
    """The published JSON Schema (draft 2020-12) for register files."""
    text = resources.files(__package__).joinpath("schema/paper-form-register.schema.json").read_text()
    schema: dict[str, Any] = json.loads(text)
    return schema


@cache
def _validator() -> Draft202012Validator:
    schema = register_schema()
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema)


_DATE_SHAPE = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")


def _schema_message(error: ValidationError) -> str:
    path = list(error.absolute_path)
    name = path[2] if len(path) >= 3 and isinstance(path[2], str) else None
    value = error.instance
    if error.validator == "enum" and name == "organisation":
        allowed = ", ".join(map(str, error.validator_value))
        return f"organisation: unknown organisation {value!r} (use one of {allowed})"
    if error.validator == "enum" and name == "status":
        allowed = ", ".join(map(str, error.validator_value))
        return f"status: unknown status {value!r} (use one of {allowed})"
    if error.validator == "pattern" and name in ("liveDate", "withdrawnDate"):
        return f"{name}: {value!r} is not a date in the form YYYY-MM-DD"
    if error.validator == "pattern" and name == "definitionSlug":
        return f"definitionSlug: {value!r} is not a slug (lower-case letters and digits joined by hyphens)"
    if error.validator == "pattern" and name == "reference":
        return (
            f"reference: {value!r} may hold only letters, digits, spaces and . / ( ) _ - "
            "and must start with a letter or digit"
        )
    if error.validator == "additionalProperties" and isinstance(value, Mapping):
        known = error.schema.get("properties", {}) if isinstance(error.schema, Mapping) else {}
        extra = ", ".join(repr(key) for key in value if key not in known)
        return f"unknown properties: {extra}" if ", " in extra else f"unknown property {extra}"
    if error.validator == "required":
        return f"missing {error.message.split(' is a required')[0]}"
    return f"{name}: {error.message}" if name else error.message


# -- line numbers -----------------------------------------------------------------------------------

_NUMBER_OR_WORD = re.compile(r"-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][-+]?\d+)?|true|false|null")
_SPACE = re.compile(r"[ \t\n\r]*")
_DECODER = json.JSONDecoder()
JsonPath = tuple[str | int, ...]


def json_lines(text: str) -> dict[JsonPath, int]:
    """The line each value of a valid JSON text starts on (an object member: the line of its key),
    by path, such as ("entries", 3, "liveDate")."""
    starts = [0] + [m.end() for m in re.finditer(r"\n", text)]
    lines: dict[JsonPath, int] = {}

    def space(pos: int) -> int:
        match = _SPACE.match(text, pos)
        return match.end() if match else pos

    def value(pos: int, path: JsonPath) -> int:
        pos = space(pos)
        lines.setdefault(path, bisect_right(starts, pos))
        char = text[pos]
        if char == "{":
            pos = space(pos + 1)
            if text[pos] == "}":
                return pos + 1
            while True:
                key_line = bisect_right(starts, pos)
                key, pos = _DECODER.raw_decode(text, pos)
                lines[(*path, key)] = key_line
                pos = space(pos) + 1  # the colon
                pos = space(value(pos, (*path, key)))
                if text[pos] == "}":
                    return pos + 1
                pos = space(pos + 1)  # the comma
        if char == "[":
            pos = space(pos + 1)
            if text[pos] == "]":
                return pos + 1
            index = 0
            while True:
                pos = space(value(pos, (*path, index)))
                index += 1
                if text[pos] == "]":
                    return pos + 1
                pos += 1
        if char == '"':
            return _DECODER.raw_decode(text, pos)[1]
        match = _NUMBER_OR_WORD.match(text, pos)
        if match is None:  # not reached for text json.loads accepted
            raise ValueError(f"unexpected {char!r} at offset {pos}")
        return match.end()

    value(0, ())
    return lines


def _line_of(path: Sequence[str | int], lines: Mapping[JsonPath, int]) -> int:
    """The line of the deepest part of `path` the file has (a missing key: its object's line)."""
    for end in range(len(path), -1, -1):
        found = lines.get(tuple(path[:end]))
        if found is not None:
            return found
    return 1


# -- reading and checking ---------------------------------------------------------------------------


def _real_date(value: Any) -> date | None:
    if not isinstance(value, str) or not _DATE_SHAPE.match(value):
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        return None


def _entry_label(entry: Any) -> str:
    reference = entry.get("reference") if isinstance(entry, Mapping) else None
    return f"entry {reference!r}: " if isinstance(reference, str) and reference else "entry: "


def cross_field_problems(entries: Sequence[Any], lines: Mapping[JsonPath, int]) -> list[RegisterProblem]:
    """Problems the schema cannot express: unique references and definition slugs, real dates, a
    live date for live-digital entries, a withdrawn date after the live date."""
    problems: list[RegisterProblem] = []
    references: dict[str, int] = {}
    slugs: dict[str, tuple[str, int]] = {}
    for index, entry in enumerate(entries):
        if not isinstance(entry, Mapping):
            continue
        line = _line_of(("entries", index), lines)
        label = _entry_label(entry)

        def problem(
            key: str, message: str, *, line: int = line, label: str = label, index: int = index
        ) -> None:
            problems.append(
                RegisterProblem(_line_of(("entries", index, key), lines) if key else line, label + message)
            )

        reference = entry.get("reference")
        if isinstance(reference, str) and reference:
            folded = reference.casefold()
            if folded in references:
                problem(
                    "reference", f"duplicate reference {reference!r} (first at line {references[folded]})"
                )
            else:
                references[folded] = line
        slug = entry.get("definitionSlug")
        if isinstance(slug, str) and slug:
            if slug in slugs:
                other, other_line = slugs[slug]
                problem(
                    "definitionSlug",
                    f"definition {slug!r} is already linked to {other!r} (line {other_line}); "
                    "one definition replaces one paper form",
                )
            else:
                slugs[slug] = (str(reference), line)
        dates: dict[str, date | None] = {}
        for key in ("liveDate", "withdrawnDate"):
            raw = entry.get(key)
            dates[key] = _real_date(raw)
            if isinstance(raw, str) and _DATE_SHAPE.match(raw) and dates[key] is None:
                problem(key, f"{key}: {raw!r} is not a real date")
        if entry.get("status") == "live-digital" and "liveDate" not in entry:
            problem("status", "a live-digital entry needs a liveDate (when it went live)")
        if "withdrawnDate" in entry and "liveDate" not in entry:
            problem(
                "withdrawnDate", "withdrawnDate needs a liveDate (a form is withdrawn after it went live)"
            )
        live, withdrawn = dates["liveDate"], dates["withdrawnDate"]
        if live is not None and withdrawn is not None and withdrawn <= live:
            problem(
                "withdrawnDate",
                f"withdrawnDate {withdrawn.isoformat()} must be after liveDate {live.isoformat()}",
            )
    return problems


def _entry(data: Mapping[str, Any], line: int) -> RegisterEntry:
    return RegisterEntry(
        reference=data["reference"],
        title=data["title"],
        organisation=data["organisation"],
        annual_volume=data["annualVolume"],
        status=data["status"],
        definition_slug=data.get("definitionSlug"),
        live_date=_real_date(data.get("liveDate")),
        withdrawn_date=_real_date(data.get("withdrawnDate")),
        notes=data.get("notes", ""),
        line=line,
    )


def check_register_data(data: Any, lines: Mapping[JsonPath, int], source: str) -> list[RegisterEntry]:
    """Check parsed register data (schema, then cross-field checks); its entries, or RegisterError
    listing every problem in line order."""
    errors = list(_validator().iter_errors(data))
    problems = [RegisterProblem(_line_of(list(e.absolute_path), lines), _located(e, data)) for e in errors]
    entries = data.get("entries") if isinstance(data, Mapping) else None
    if isinstance(entries, list):
        problems += cross_field_problems(entries, lines)
    if problems:
        problems.sort(key=lambda p: p.line)
        raise RegisterError(source, problems)
    assert isinstance(entries, list)
    return [_entry(item, _line_of(("entries", i), lines)) for i, item in enumerate(entries)]


def _located(error: ValidationError, data: Any) -> str:
    path = list(error.absolute_path)
    if len(path) >= 2 and path[0] == "entries" and isinstance(path[1], int):
        return _entry_label(data["entries"][path[1]]) + _schema_message(error)
    if not path and error.validator == "type":
        return "the register must be a JSON object with an 'entries' list"
    return _schema_message(error)


def parse_register_json(text: str, source: str = "register") -> list[RegisterEntry]:
    """Check a register in JSON; its entries, or RegisterError."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise RegisterError(
            source, [RegisterProblem(exc.lineno, f"invalid JSON (column {exc.colno}): {exc.msg}")]
        ) from exc
    return check_register_data(data, json_lines(text), source)


def parse_register_csv(text: str, source: str = "register") -> list[RegisterEntry]:
    """Check a register in CSV (a header row of the JSON keys, then one entry a row; empty cells are
    left out); its entries, or RegisterError."""
    reader = csv.DictReader(io.StringIO(text, newline=""))
    header = reader.fieldnames or []
    problems = []
    unknown = [name for name in header if name not in FIELDS]
    if unknown:
        problems.append(RegisterProblem(1, f"unknown columns: {', '.join(map(repr, unknown))}"))
    missing = [name for name in REQUIRED if name not in header]
    if missing:
        problems.append(RegisterProblem(1, f"missing columns: {', '.join(map(repr, missing))}"))
    if problems:
        raise RegisterError(source, problems)
    entries: list[dict[str, Any]] = []
    lines: dict[JsonPath, int] = {(): 1, ("entries",): 1}
    start = reader.line_num + 1
    for row in reader:
        index = len(entries)
        entry: dict[str, Any] = {}
        for name in FIELDS:
            cell = row.get(name)
            if cell is None or cell == "":
                continue
            entry[name] = _csv_number(cell) if name == "annualVolume" else cell
            lines[("entries", index, name)] = start
        if None in row:  # more cells than columns
            problems.append(RegisterProblem(start, f"{_entry_label(entry)}more cells than columns"))
        lines[("entries", index)] = start
        entries.append(entry)
        start = reader.line_num + 1
    try:
        found = check_register_data({"entries": entries}, lines, source)
    except RegisterError as error:
        error.problems = sorted([*problems, *error.problems], key=lambda p: p.line)
        raise
    if problems:
        raise RegisterError(source, problems)
    return found


def _csv_number(cell: str) -> int | str:
    text = cell.strip().replace(",", "")
    return int(text) if re.fullmatch(r"-?\d+", text) else cell


def load_register(path: Path, fmt: Format | None = None) -> list[RegisterEntry]:
    """Read and check a register file (CSV when it ends in .csv, else JSON); RegisterError listing
    every problem with its line."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError as exc:
        raise RegisterError(str(path), [RegisterProblem(1, "file not found")]) from exc
    except UnicodeDecodeError as exc:
        raise RegisterError(str(path), [RegisterProblem(1, f"not UTF-8 text: {exc.reason}")]) from exc
    fmt = fmt or ("csv" if path.suffix.lower() == ".csv" else "json")
    if fmt == "csv":
        return parse_register_csv(text, str(path))
    return parse_register_json(text, str(path))


def definition_warnings(entries: Iterable[RegisterEntry], registry: FormRegistry) -> list[RegisterProblem]:
    """Entries linked to a published definition that names a different paper form or organisation
    (not fatal: the register is the authority, but one of the two is probably wrong)."""
    warnings = []
    for entry in entries:
        definition = registry.get(entry.definition_slug) if entry.definition_slug else None
        if definition is None:
            continue
        paper = definition.paper_form
        if paper.reference != entry.reference:
            warnings.append(
                RegisterProblem(
                    entry.line,
                    f"entry {entry.reference!r}: definition {entry.definition_slug!r} is for paper form "
                    f"{paper.reference!r}",
                )
            )
        if paper.organisation != entry.organisation:
            warnings.append(
                RegisterProblem(
                    entry.line,
                    f"entry {entry.reference!r}: definition {entry.definition_slug!r} belongs to "
                    f"{paper.organisation}, not {entry.organisation}",
                )
            )
    return warnings


# -- importing and exporting ------------------------------------------------------------------------


def import_register(
    entries: Sequence[RegisterEntry], *, prune: bool = False, actor: str | None = None
) -> ImportResult:
    """Bring the PaperForm rows in line with checked entries, in one transaction (needs an app
    context): insert new references, update changed ones; rows the file does not mention are kept
    (listed in `not_in_file`) or, with `prune`, deleted with their paper counts. Recorded in the audit
    log when anything changed. Nothing is written if anything fails."""
    result = ImportResult()
    try:
        existing = {row.reference: row for row in db.session.scalars(select(PaperForm))}
        for entry in entries:
            values = entry.values()
            row = existing.get(entry.reference)
            if row is None:
                db.session.add(PaperForm(reference=entry.reference, **values))
                result.inserted.append(entry.reference)
            elif any(getattr(row, name) != value for name, value in values.items()):
                for name, value in values.items():
                    setattr(row, name, value)
                result.updated.append(entry.reference)
            else:
                result.unchanged.append(entry.reference)
        in_file = {entry.reference for entry in entries}
        result.not_in_file = sorted(reference for reference in existing if reference not in in_file)
        if prune and result.not_in_file:
            ids = [existing[reference].id for reference in result.not_in_file]
            db.session.execute(delete(PaperCount).where(PaperCount.paper_form_id.in_(ids)))
            db.session.execute(delete(PaperForm).where(PaperForm.id.in_(ids)))
            result.removed, result.not_in_file = result.not_in_file, []
        if result.changed:
            from ..caseworker import audit

            audit.record(
                "register-import",
                object_type="paper-form-register",
                detail={
                    "inserted": len(result.inserted),
                    "updated": len(result.updated),
                    "unchanged": len(result.unchanged),
                    "removed": result.removed,
                },
                actor=actor,
            )
        db.session.commit()
    except BaseException:
        db.session.rollback()
        raise
    return result


def register_rows() -> list[PaperForm]:
    """Every register row, by organisation (in ORGANISATIONS order) then reference."""
    from ..caseworker.models import ORGANISATIONS

    rows = list(db.session.scalars(select(PaperForm)))
    order = {code: i for i, code in enumerate(ORGANISATIONS)}
    rows.sort(key=lambda row: (order.get(row.organisation, len(order)), row.reference))
    return rows


def entry_json(row: PaperForm) -> dict[str, Any]:
    """A register row as a register file entry (optional keys left out when empty)."""
    data: dict[str, Any] = {
        "reference": row.reference,
        "title": row.title,
        "organisation": row.organisation,
        "annualVolume": row.annual_volume or 0,
        "status": row.status,
    }
    if row.definition_slug:
        data["definitionSlug"] = row.definition_slug
    if row.live_date is not None:
        data["liveDate"] = row.live_date.isoformat()
    if row.withdrawn_date is not None:
        data["withdrawnDate"] = row.withdrawn_date.isoformat()
    data["notes"] = row.notes or ""
    return data


def export_register(fmt: Format = "json", *, today: date | None = None) -> str:
    """The database's register in the file format `register import` reads (JSON or CSV)."""
    entries = [entry_json(row) for row in register_rows()]
    if fmt == "csv":
        out = io.StringIO(newline="")
        writer = csv.DictWriter(out, fieldnames=FIELDS, lineterminator="\n")
        writer.writeheader()
        writer.writerows(entries)
        return out.getvalue()
    on = (today or date.today()).isoformat()
    document = {
        "description": f"Paper-form register exported from the forms-engine database on {on}.",
        "entries": entries,
    }
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"
