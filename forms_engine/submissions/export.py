"""Submissions as CSV: one row per submission with columns derived from the definition, and one table
per repeating section with a row per item. Rows are streamed, so any number of submissions exports in
bounded memory; cells a spreadsheet would run as formulas are neutralised.

Columns come from the definition, never from the answers present, so two exports of one definition
version always have the same headers. Each answer is turned into text by the component handler of the
definition version the submission was made on (`submission_definition`); an export of several versions
uses the columns of the definition it is given (normally the newest) and fills each column from the
answer stored under the same component name (and, in a repeat, the same repeat id), leaving it empty
when that version had no such question.
"""

from __future__ import annotations

import csv
import io
import re
from collections import Counter
from collections.abc import Callable, Hashable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any, Protocol, TextIO

from ..components import ComponentHandler, handler_for, messages
from ..components.choices import CheckboxesField, YesNoField, _ListHandler
from ..definitions.model import Component, FormDefinition, Repeat, build_definition
from .models import Submission

#: Excel's byte order mark: without it Excel reads a UTF-8 CSV as Windows-1252.
BOM = "\ufeff"
#: RFC 4180 line ends, which Excel and LibreOffice both expect.
LINE_END = "\r\n"

#: A cell whose text starts with one of these is run as a formula by spreadsheets (OWASP CSV
#: injection). Full-width forms are included: some spreadsheet locales convert them on entry.
FORMULA_TRIGGERS = frozenset("=+-@\t\r\n\uff1d\uff0b\uff0d\uff20")
#: Cells that are wholly a plain number stay as they are: a spreadsheet reads them as numbers and they
#: cannot hold a formula, so "-12.5" keeps its value (a quoted "'-12.5" would become text).
PLAIN_NUMBER = re.compile(r"-?\d+(\.\d+)?([eE][+-]?\d+)?")

FIXED_COLUMNS = (
    ("reference", "Reference"),
    ("submittedAt", "Submitted at (ISO 8601 UTC)"),
    ("formVersion", "Form version"),
    ("language", "Language"),
)
#: Definitions built from submissions' snapshots, by (slug, version), at most this many at once.
DEFINITION_CACHE_SIZE = 64
#: Cells remembered per column and type of answer (see `_cell_spec`).
MEMO_SIZE = 2048


class SubmissionRecord(Protocol):
    """What exports read of a submission: a stored `Submission`, or a read-only record of one such as
    `exporting.ExportedSubmission` (which streams from the database without the ORM's bookkeeping)."""

    @property
    def reference(self) -> str: ...
    @property
    def form_slug(self) -> str: ...
    @property
    def form_version(self) -> str: ...
    @property
    def definition(self) -> dict[str, Any]: ...
    @property
    def answers(self) -> dict[str, Any]: ...
    @property
    def submitted_at(self) -> datetime: ...
    @property
    def language(self) -> str: ...


@dataclass(frozen=True, slots=True)
class Column:
    """One column of an export: its header and where its value comes from.

    `key` is a stable machine name: a fixed column's name, a component name, or
    `<repeat id>.<item>.<component name>` for a repeat's numbered column.
    """

    header: str
    key: str
    #: The component whose answer fills the column (None for the fixed columns).
    component: str | None = None
    #: For a repeat's numbered columns: the repeat's id and the item number (1, 2, ...).
    repeat: str | None = None
    item: int | None = None


@dataclass(frozen=True, slots=True)
class RepeatTable:
    """The second table of an export for one repeating section: one row per item."""

    repeat_id: str
    title: str
    columns: tuple[Column, ...]


# -- neutralising cells ------------------------------------------------------------------------------
def neutralise(text: str) -> str:
    """`text` made safe to open in a spreadsheet: a cell that would start a formula gets a single quote
    in front (OWASP's advice); the rest of the text is kept as it was. Leading spaces do not hide a
    trigger, since some importers trim them. A cell that is wholly a plain number is left alone."""
    if not text:
        return text
    first = text[0]
    if first == " ":
        first = text.lstrip(" ")[:1]
    if first in FORMULA_TRIGGERS and not PLAIN_NUMBER.fullmatch(text):
        return "'" + text
    return text


# -- definitions and handlers ------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class _Layout:
    """What rows need to know about one definition version, worked out once."""

    definition: FormDefinition
    #: The handler of every question (repeated ones included), by component name.
    handlers: Mapping[str, ComponentHandler]
    #: The repeat each repeated question belongs to, by component name.
    repeat_of: Mapping[str, str]
    columns: tuple[Column, ...]
    tables: tuple[RepeatTable, ...]


_definitions: dict[tuple[str, str], FormDefinition] = {}
_layouts: dict[tuple[str, str], _Layout] = {}


def _remember(cache: dict[Any, Any], key: Hashable, value: Any) -> None:
    if len(cache) >= DEFINITION_CACHE_SIZE:
        cache.clear()
    cache[key] = value


def submission_definition(
    submission: SubmissionRecord, current: FormDefinition | None = None
) -> FormDefinition:
    """The definition version a submission was made on, built from its stored snapshot once per slug
    and version. `current` is used as it is when it is that version (the snapshot is not read then)."""
    if current is not None and (current.slug, current.version) == (
        submission.form_slug,
        submission.form_version,
    ):
        return current
    key = (submission.form_slug, submission.form_version)
    definition = _definitions.get(key)
    if definition is None:
        definition = build_definition(submission.definition)
        _remember(_definitions, key, definition)
    return definition


def _layout(definition: FormDefinition) -> _Layout:
    key = (definition.slug, definition.version)
    layout = _layouts.get(key)
    if layout is None:
        repeat_of = {
            c.name: r.id for r in definition.repeats.values() for c in _repeat_questions(definition, r)
        }
        handlers = {c.name: handler_for(c, definition) for _, c in definition.questions()}
        layout = _Layout(
            definition,
            handlers,
            repeat_of,
            tuple(_build_columns(definition)),
            tuple(_build_tables(definition)),
        )
        _remember(_layouts, key, layout)
    return layout


def question_handlers(definition: FormDefinition) -> Mapping[str, ComponentHandler]:
    """The handler of every question of a definition (repeated ones included), by component name."""
    return _layout(definition).handlers


def _repeat_of_page(definition: FormDefinition) -> dict[str, Repeat]:
    return {page_id: r for r in definition.repeats.values() for page_id in r.page_ids}


def _item_label(repeat: Repeat, number: int) -> str:
    name = str(repeat.item_name)
    return f"{name[:1].upper()}{name[1:]} {number}"


def _unique(columns: list[Column], labels: Mapping[str, str], prefixes: Mapping[str, str]) -> list[Column]:
    """Headers made unique: a question sharing its header with another column gets its component
    name added, "Name (applicantName)"; anything still repeated gets a number."""
    counts = Counter(c.header for c in columns)
    named = []
    for column in columns:
        if counts[column.header] > 1 and column.component is not None:
            label = f"{labels[column.key]} ({column.component})"
            column = replace(column, header=f"{prefixes.get(column.key, '')}{label}")
        named.append(column)
    seen: set[str] = set()
    unique = []
    for column in named:
        header, number = column.header, 2
        while header in seen:
            header, number = f"{column.header} ({number})", number + 1
        seen.add(header)
        unique.append(column if header == column.header else replace(column, header=header))
    return unique


def columns(definition: FormDefinition) -> list[Column]:
    """The columns of a one-row-per-submission export, derived from the definition only: the fixed
    columns, then each question in page order (header: its short title, else its title, in English),
    a repeat's questions numbered once per possible item up to its maximum ("Sett 1: Grid reference")."""
    return list(_layout(definition).columns)


def _build_columns(definition: FormDefinition) -> list[Column]:
    result = [Column(header, name) for name, header in FIXED_COLUMNS]
    labels: dict[str, str] = {}
    prefixes: dict[str, str] = {}
    repeat_of = _repeat_of_page(definition)
    done: set[str] = set()
    for page in definition.pages:
        repeat = repeat_of.get(page.id)
        if repeat is None:
            for component in page.questions:
                labels[component.name] = component.label
                result.append(Column(component.label, component.name, component.name))
            continue
        if repeat.id in done:
            continue
        done.add(repeat.id)
        questions = _repeat_questions(definition, repeat)
        for number in range(1, repeat.max_items + 1):
            prefix = f"{_item_label(repeat, number)}: "
            for component in questions:
                column_key = f"{repeat.id}.{number}.{component.name}"
                labels[column_key] = component.label
                prefixes[column_key] = prefix
                result.append(
                    Column(f"{prefix}{component.label}", column_key, component.name, repeat.id, number)
                )
    return _unique(result, labels, prefixes)


def _repeat_questions(definition: FormDefinition, repeat: Repeat) -> list[Component]:
    return [
        component
        for page_id in repeat.page_ids
        if (page := definition.page_by_id(page_id)) is not None
        for component in page.questions
    ]


def repeat_tables(definition: FormDefinition) -> list[RepeatTable]:
    """For each repeating section, the columns of its one-row-per-item table: Reference, Item number,
    then the repeat's questions in page order."""
    return list(_layout(definition).tables)


def _build_tables(definition: FormDefinition) -> list[RepeatTable]:
    tables = []
    for repeat in definition.repeats.values():
        result = [Column("Reference", "reference"), Column("Item number", "item")]
        labels = {}
        for component in _repeat_questions(definition, repeat):
            labels[component.name] = component.label
            result.append(Column(component.label, component.name, component.name, repeat.id))
        tables.append(RepeatTable(repeat.id, str(repeat.title), tuple(_unique(result, labels, {}))))
    return tables


# -- rows --------------------------------------------------------------------------------------------
def format_time(moment: datetime | None) -> str:
    """A stored time in ISO 8601, UTC, to the second: '2024-05-01T09:30:00Z'."""
    if moment is None:
        return ""
    if moment.tzinfo is None:  # SQLite keeps no time zone; every time stored is UTC
        return moment.isoformat(timespec="seconds") + "Z"
    return moment.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def export_answer(handler: ComponentHandler | None, answer: Any) -> str:
    """One answer as the text of a cell (not yet neutralised): the handler's export, file names for
    uploads; empty when not answered or when the submission's version had no such question."""
    if handler is None or answer is None:
        return ""
    try:
        return handler.export(answer)
    except (TypeError, ValueError, KeyError, AttributeError, IndexError):
        # An answer the handler cannot read (stored by hand, or damaged) is still shown, not lost.
        return str(answer)


def _items(answers: Mapping[str, Any], repeat_id: str) -> list[Mapping[str, Any]]:
    value = answers.get(repeat_id)
    return [item for item in value if isinstance(item, Mapping)] if isinstance(value, list) else []


def _fixed(submission: SubmissionRecord, key: str) -> str:
    if key == "reference":
        return submission.reference
    if key == "submittedAt":
        return format_time(submission.submitted_at)
    if key == "formVersion":
        return submission.form_version
    return submission.language or ""


#: Turns one stored answer (never None) into the text of its cell, already neutralised.
_Cell = Callable[[Any], str]
#: A cell starting with one of these needs a closer look by `neutralise`.
_CHECK_START = FORMULA_TRIGGERS | {" "}


def _safe(text: str) -> str:
    """`neutralise`, skipping the call for the many cells that cannot need it."""
    return neutralise(text) if text and text[0] in _CHECK_START else text


def _empty_cell(answer: Any) -> str:
    return ""


@dataclass(frozen=True, slots=True)
class _CellSpec:
    """How to turn an answer (never None) into its cell: `call(answer)` always works; the rest lets the
    row function skip the call for the usual answers."""

    call: _Cell
    #: The handler's export is the base one: a text answer is its own cell (once neutralised).
    plain: bool = False
    #: Cells of text answers, by answer (a list's items, or remembered cells), or None.
    strings: dict[str, str] | None = None
    #: Cells of whole-number answers, remembered, or None.
    integers: dict[int, str] | None = None


_EMPTY = _CellSpec(_empty_cell)


def _cell_spec(handler: ComponentHandler | None) -> _CellSpec:
    """The cell of an answer to `handler`'s question: `neutralise(export_answer(handler, answer))`.

    Exports are most of the cost of a large export, so the handlers whose export is known (the base
    one: the text of a string answer; a list's item text; Yes/No) get a shortcut for the answers they
    normally hold, checked by the method itself, so that a handler overriding its export always goes
    through it. Every other answer goes through the handler's export; a plain text, number or true/false
    answer's cell is remembered (up to MEMO_SIZE per column and type: dates, numbers and codes
    recur), since an export depends only on the definition and the answer."""
    if handler is None:
        return _EMPTY
    memos: dict[type, dict[Any, str]] = {str: {}, int: {}, float: {}, bool: {}}

    def general(answer: Any) -> str:
        memo = memos.get(type(answer))
        if memo is None:
            return _safe(export_answer(handler, answer))
        cell = memo.get(answer)
        if cell is None:
            cell = _safe(export_answer(handler, answer))
            if len(memo) < MEMO_SIZE:
                memo[answer] = cell
        return cell

    remembered = _CellSpec(general, strings=memos[str], integers=memos[int])
    kind = type(handler)
    if kind.export is ComponentHandler.export:

        def text(answer: Any) -> str:
            return _safe(answer) if type(answer) is str else general(answer)

        return _CellSpec(text, plain=True)
    if isinstance(handler, _ListHandler) and type(handler).text_for is _ListHandler.text_for:
        # text_for takes the first item with the value, in English.
        raw: dict[Any, Any] = {}
        for item in handler.item_list.items:
            raw.setdefault(item.value, item.text.in_language("en"))
        if kind.export is _ListHandler.export:
            cells = {value: _safe(text) for value, text in raw.items() if type(value) is str}

            def choice(answer: Any) -> str:
                if type(answer) is str:
                    found = cells.get(answer)
                    if found is not None:
                        return found
                return general(answer)

            return _CellSpec(choice, strings=cells)
        if kind.export is CheckboxesField.export:

            def choices(answer: Any) -> str:
                if type(answer) is list and answer:
                    try:
                        texts: list[str] = [raw.get(value, value) for value in answer]  # type: ignore[misc]
                        return _safe("; ".join(texts))
                    except TypeError:  # a value that is not text: the handler says what it makes of it
                        pass
                return general(answer)

            return _CellSpec(choices)
        if kind.export is YesNoField.export:
            yes, no = _safe(messages.YES), _safe(messages.NO)

            def yes_no(answer: Any) -> str:
                if answer is True:
                    return yes
                if answer is False:
                    return no
                return general(answer)

            return _CellSpec(yes_no)
    return remembered


def _cell_function(handler: ComponentHandler | None) -> _Cell:
    return _cell_spec(handler).call


@dataclass(frozen=True, slots=True)
class _Block:
    """A repeat's numbered columns: its questions once per item, up to `max_items` items."""

    repeat_id: str
    max_items: int
    #: (component name, cell) of each question, in column order.
    questions: tuple[tuple[str, _CellSpec], ...]


#: A row's plan: a fixed column's key, a run of answer columns as (component name, cell), or a block.
_Step = str | tuple[tuple[str, _CellSpec], ...] | _Block
_Plan = tuple[_Step, ...]
_RowMaker = Callable[[SubmissionRecord], list[str]]
_plans: dict[tuple[str, str], dict[tuple[str, str], tuple[_Plan, _RowMaker]]] = {}


def _plan(definition: FormDefinition, own: _Layout) -> tuple[_Plan, _RowMaker]:
    """How to fill `columns(definition)` from the answers of a submission made on `own`'s version,
    and the function making such a row, worked out once per pair of versions: rows are then made
    without looking anything up by name."""
    key = (definition.slug, definition.version)
    own_key = (own.definition.slug, own.definition.version)
    plans = _plans.get(key)
    if plans is None:
        plans = {}
        _remember(_plans, key, plans)
    found = plans.get(own_key)
    if found is not None:
        return found
    steps: list[_Step] = []
    run: list[tuple[str, _CellSpec]] = []
    blocks: set[str] = set()
    layout = _layout(definition)

    def end_run() -> None:
        if run:
            steps.append(tuple(run))
            run.clear()

    for column in layout.columns:
        name = column.component
        if name is None:
            end_run()
            steps.append(column.key)
        elif column.repeat is None:
            # A question that sat in a repeat in the submission's version has no single answer.
            run.append((name, _cell_spec(None if name in own.repeat_of else own.handlers.get(name))))
        elif column.repeat not in blocks:
            end_run()
            blocks.add(column.repeat)
            questions = tuple(
                (
                    c.component,
                    _cell_spec(
                        own.handlers.get(c.component) if own.repeat_of.get(c.component) == c.repeat else None
                    ),
                )
                for c in layout.columns
                if c.repeat == column.repeat and c.item == 1 and c.component is not None
            )
            steps.append(_Block(column.repeat, definition.repeats[column.repeat].max_items, questions))
    end_run()
    plan = tuple(steps)
    if len(plans) >= DEFINITION_CACHE_SIZE:
        plans.clear()
    plans[own_key] = found = (plan, _row_maker(plan))
    return found


class _Source:
    """Python source for a row function, and the values its names stand for."""

    def __init__(self) -> None:
        self.names: dict[str, Any] = {"S": _CHECK_START, "_safe": _safe, "_fixed": _fixed}

    def bind(self, value: Any) -> str:
        name = f"V{len(self.names)}"
        self.names[name] = value
        return name

    def cell(self, name: str, spec: _CellSpec) -> str:
        """The expression of one answer's cell: no call for a text answer that cannot start a
        formula, nor for an answer whose cell is known (a list item, a remembered cell)."""
        answer, call = self.bind(name), self.bind(spec.call)
        if spec.plain:
            known = f"a if type(a) is str and a[:1] not in S else {call}(a)"
        else:
            tests = []
            if spec.strings is not None:
                tests.append(f"(type(a) is str and {self.bind(spec.strings)}.get(a))")
            if spec.integers is not None:
                tests.append(f"(type(a) is int and {self.bind(spec.integers)}.get(a))")
            known = " or ".join([*tests, f"{call}(a)"])
        return f"'' if (a := get({answer})) is None else {known}"

    def function(self, name: str, argument: str, body: str, cells: list[str]) -> Callable[..., list[str]]:
        source = f"def {name}({argument}):\n{body}    return [\n" + "".join(f"        {c},\n" for c in cells)
        exec(compile(source + "    ]\n", f"<export {name}>", "exec"), self.names)
        made: Callable[..., list[str]] = self.names[name]
        return made


def _block_function(block: _Block) -> Callable[[Mapping[str, Any]], list[str]]:
    """The cells of a repeat's numbered columns: each item's, then empty ones up to the maximum."""
    source = _Source()
    item_cells = source.function(
        "item_cells", "item", "    get = item.get\n", [source.cell(n, spec) for n, spec in block.questions]
    )
    padding = [[""] * (len(block.questions) * (block.max_items - n)) for n in range(block.max_items + 1)]
    repeat_id, most = block.repeat_id, block.max_items

    def cells(answers: Mapping[str, Any]) -> list[str]:
        items = answers.get(repeat_id)
        if type(items) is not list:
            return padding[0]
        made: list[str] = []
        count = 0
        for item in items:
            if isinstance(item, Mapping):
                if count == most:
                    break
                made += item_cells(item)
                count += 1
        made += padding[count]
        return made

    return cells


def _row_maker(plan: _Plan) -> _RowMaker:
    """A function making the row of `plan` from a submission, written out as Python and compiled once
    per pair of versions (as the standard library's dataclasses and namedtuple make their methods): a
    row is then one list display, with no loop over the columns and no call for the usual answers.
    Large exports spend most of their time here. The source holds only names bound to values,
    never text from a definition."""
    source = _Source()
    cells = []
    for step in plan:
        if isinstance(step, str):
            cells.append(f"_safe(_fixed(submission, {source.bind(step)}))")
        elif isinstance(step, _Block):
            cells.append(f"*{source.bind(_block_function(step))}(answers)")
        else:
            cells.extend(source.cell(name, spec) for name, spec in step)
    body = "    answers = submission.answers or {}\n    get = answers.get\n"
    return source.function("make_row", "submission", body, cells)


def submission_row(definition: FormDefinition, submission: SubmissionRecord) -> list[str]:
    """The cells of one submission under `columns(definition)`, each answer exported by the handler
    of the submission's own definition version, matched by component name (and repeat id)."""
    return _plan(definition, _layout(submission_definition(submission, definition)))[1](submission)


def _repeat_table(definition: FormDefinition, repeat_id: str) -> RepeatTable:
    for table in repeat_tables(definition):
        if table.repeat_id == repeat_id:
            return table
    raise KeyError(f"no repeat {repeat_id!r} in {definition.slug}")


def repeat_rows(definition: FormDefinition, repeat_id: str, submission: SubmissionRecord) -> list[list[str]]:
    """The rows of one submission in the table of repeat `repeat_id`: one per item, in order (every item
    is listed, even beyond the maximum of the definition the columns come from)."""
    return repeat_table_rows(_repeat_table(definition, repeat_id), definition, submission)


_repeat_plans: dict[tuple[str, str, str], dict[tuple[str, str], tuple[tuple[str, _Cell], ...]]] = {}


def _repeat_plan(
    table: RepeatTable, definition: FormDefinition, own: _Layout
) -> tuple[tuple[str, _Cell], ...]:
    """(component name, cell) of each question column of a repeat's table (those after Reference and
    Item number), for submissions made on `own`'s version; worked out once per pair of versions."""
    key = (definition.slug, definition.version, table.repeat_id)
    own_key = (own.definition.slug, own.definition.version)
    plans = _repeat_plans.get(key)
    if plans is None:
        plans = {}
        _remember(_repeat_plans, key, plans)
    plan = plans.get(own_key)
    if plan is None:
        plan = tuple(
            (
                name,
                _cell_function(
                    own.handlers.get(name) if own.repeat_of.get(name) == table.repeat_id else None
                ),
            )
            for column in table.columns
            if (name := column.component) is not None
        )
        if len(plans) >= DEFINITION_CACHE_SIZE:
            plans.clear()
        plans[own_key] = plan
    return plan


def repeat_table_rows(
    table: RepeatTable, definition: FormDefinition, submission: SubmissionRecord
) -> list[list[str]]:
    """`repeat_rows` for a table of `repeat_tables(definition)` already in hand."""
    items = _items(submission.answers or {}, table.repeat_id)
    if not items:
        return []
    plan = _repeat_plan(table, definition, _layout(submission_definition(submission, definition)))
    reference = _safe(submission.reference)
    rows = []
    for number, item in enumerate(items, start=1):
        get = item.get
        row = [reference, str(number)]
        row.extend(["" if (answer := get(name)) is None else cell(answer) for name, cell in plan])
        rows.append(row)
    return rows


# -- CSV ---------------------------------------------------------------------------------------------
class _LineWriter:
    """csv.writer writes each row to this; the row's text is collected and handed on as one chunk."""

    def __init__(self) -> None:
        self.text = ""

    def write(self, text: str) -> int:
        self.text = text
        return len(text)


def _chunks(header: Sequence[str], rows: Iterable[Sequence[str]], bom: bool) -> Iterator[str]:
    line = _LineWriter()
    writer = csv.writer(line, lineterminator=LINE_END)
    writer.writerow([neutralise(h) for h in header])
    yield (BOM if bom else "") + line.text
    for row in rows:
        writer.writerow(row)
        yield line.text


def csv_chunks(
    definition: FormDefinition, submissions: Iterable[SubmissionRecord], bom: bool = False
) -> Iterator[str]:
    """The one-row-per-submission CSV as text chunks (the header line, then a line per submission),
    pulled from `submissions` one at a time: suited to a streamed HTTP response."""
    header = [c.header for c in columns(definition)]
    return _chunks(header, (submission_row(definition, s) for s in submissions), bom)


def repeat_csv_chunks(
    definition: FormDefinition, repeat_id: str, submissions: Iterable[SubmissionRecord], bom: bool = False
) -> Iterator[str]:
    """The table of one repeat as CSV text chunks: the header line, then a line per item of each
    submission, pulled from `submissions` one at a time."""
    table = _repeat_table(definition, repeat_id)
    rows = (row for s in submissions for row in repeat_table_rows(table, definition, s))
    return _chunks([c.header for c in table.columns], rows, bom)


def _write(chunks: Iterator[str], out: TextIO) -> int:
    out.write(next(chunks))  # the header line
    rows = 0
    for chunk in chunks:
        out.write(chunk)
        rows += 1
    return rows


def write_csv(
    definition: FormDefinition, submissions: Iterable[SubmissionRecord], out: TextIO, bom: bool = False
) -> int:
    """Write the one-row-per-submission CSV to `out` as the submissions arrive (never the whole file
    in memory; `submissions` may be a generator). `bom` starts it with Excel's byte order mark.
    Returns the number of submissions written."""
    return _write(csv_chunks(definition, submissions, bom), out)


def write_repeat_csv(
    definition: FormDefinition,
    repeat_id: str,
    submissions: Iterable[SubmissionRecord],
    out: TextIO,
    bom: bool = False,
) -> int:
    """Write the table of repeat `repeat_id` (a row per item) to `out`, streamed. Returns the number of
    item rows written."""
    return _write(repeat_csv_chunks(definition, repeat_id, submissions, bom), out)


def answers_csv(submission: Submission) -> bytes:
    """One submission as a CSV file for the team's email: its own definition's columns, a header line
    and one row, UTF-8 with a byte order mark so that Excel opens it correctly, CRLF line ends."""
    out = io.StringIO()
    write_csv(submission_definition(submission), [submission], out, bom=True)
    return out.getvalue().encode("utf-8")
