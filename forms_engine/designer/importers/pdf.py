"""Draft a native form definition from the form fields of a fillable (AcroForm) PDF, with a report of
what needs a designer's eye: `forms-engine import pdf FILE.pdf`.

The draft asks one question per page, in the order the fields appear on the paper (page, then top to
bottom, then left to right), labelled from the fields' tooltips or names. It is a starting point: the
report says what was guessed, what was left out and which placeholders to fill in.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import click

from ...definitions.loader import RESERVED_NAMES, RESERVED_PATHS, RESERVED_SLUGS, validate_definition_data
from .pdf_fields import (
    COMB,
    COMBO,
    DO_NOT_SPELL_CHECK,
    EDIT,
    FILE_SELECT,
    MULTI_SELECT,
    MULTILINE,
    NO_EXPORT,
    PASSWORD,
    PUSH_BUTTON,
    RADIO,
    READ_ONLY,
    REQUIRED,
    PdfField,
    PdfForm,
    PdfImportError,
    read_form,
)
from .pdf_names import (
    DATE_PARTS,
    address_part,
    autocomplete,
    camel,
    humanise,
    is_generic,
    looks_like,
    lower_words,
    name_words,
    slugify,
    words,
)

__all__ = ["Finding", "ImportResult", "PdfImportError", "import_pdf", "pdf_command"]

#: GOV.UK: radios for a short list, a select only when there are too many options to show at once.
MAX_RADIOS = 7
#: Marks every placeholder a designer must replace; search the draft for it.
TODO = "TODO"
#: Where a form-level finding is reported instead of a field name.
FORM = "(form)"
#: Levels of a finding: a decision made, something to check, something not carried over.
INFO, WARNING, DROPPED = "info", "warning", "dropped"

ORGANISATIONS = (
    ("APHA", ("animal and plant health agency", "apha")),
    ("NE", ("natural england",)),
    ("EA", ("environment agency",)),
    ("RPA", ("rural payments agency", "rpa")),
    ("MMO", ("marine management organisation", "mmo")),
    ("Defra", ("department for environment", "defra")),
)
#: A paper form's reference such as IRA82, A24, RLE1 or WML-A2.
REFERENCE = re.compile(r"\b([A-Z]{1,5}-?[0-9]{1,4}[A-Z]{0,2})\b")
PLACEHOLDER_OPTION = re.compile(r"^\W*(please\s+)?(select|choose|pick)\b.*$|^\W*$", re.IGNORECASE)
POSTCODE_REGEX = r"(?i)\s*[A-Z]{1,2}[0-9][A-Z0-9]?\s*[0-9][A-Z]{2}\s*"
DECLARATION_WORDS = {"declare", "declaration", "agree", "confirm", "consent", "certify", "undertake"}
YES_NO = {"yes": True, "y": True, "no": False, "n": False}
#: How a question of each type usually starts, for the finding that suggests rewording a label.
QUESTION_EXAMPLES = {
    "YesNoField": "Are you …? or Do you …?",
    "CheckboxesField": "Which … do you …? Select all that apply",
    "RadiosField": "Which … do you …?",
    "SelectField": "Which … do you …?",
    "DatePartsField": "When did you …? or What is your date of birth?",
    "MonthYearField": "When did you …?",
    "NumberField": "How many … do you …?",
    "UkAddressField": "What is your address?",
    "EmailAddressField": "What is your email address?",
    "TelephoneNumberField": "What is your telephone number?",
    "FileUploadField": "Upload your …",
}


@dataclass(frozen=True)
class Finding:
    """Something in the PDF or the draft that needs a designer's eye."""

    field: str
    level: str
    message: str

    def __str__(self) -> str:
        return f"{self.field}: {self.level}: {self.message}"


@dataclass
class ImportResult:
    """A draft definition that passes validate_definition_data, and the report on it."""

    definition: dict[str, Any]
    report: list[Finding]


@dataclass
class _Item:
    """A field to ask about, placed where its first visible widget is on the paper."""

    field: PdfField
    page: float
    top: float
    left: float
    height: float

    @property
    def kind(self) -> str:
        f = self.field
        if f.type == "Btn":
            if f.has(RADIO) or len({s for w in f.widgets for s in w.states}) > 1:
                return "radio"
            return "checkbox"
        return {"Tx": "text", "Ch": "choice"}.get(f.type or "", "other")

    @property
    def tokens(self) -> list[str]:
        return lower_words(" ".join(name_words(self.field.name)), self.field.tooltip)


@dataclass
class _Question:
    """One question of the draft, before it gets its unique names."""

    type: str
    words: list[str]
    title: str
    sources: list[str]
    optional: bool
    options: dict[str, Any] = field(default_factory=dict)
    items: list[tuple[str, str]] = field(default_factory=list)
    content: str | None = None
    errors: dict[str, str] = field(default_factory=dict)


class _Drafter:
    def __init__(self, form: PdfForm, file_name: str | None):
        self.form = form
        self.file_name = file_name
        self.report: list[Finding] = []
        #: Field names in the order they appear on paper.
        self.order: list[str] = []

    def note(self, where: str, level: str, message: str) -> None:
        self.report.append(Finding(where, level, message))

    def ordered_report(self) -> list[Finding]:
        """The form's findings first, then the fields' in the order the fields appear on paper."""
        position = {name: index for index, name in enumerate(self.order)}
        return sorted(
            self.report,
            key=lambda f: -1 if f.field == FORM else position.get(f.field, len(position)),
        )

    # -- which fields, in which order ----------------------------------------------------------
    def items(self) -> list[_Item]:
        """Fields that can become questions, in visual order; the others are reported."""
        counts = Counter(f.name for f in self.form.fields)
        for name, count in counts.items():
            if count > 1:
                self.note(
                    name or "(no name)",
                    WARNING,
                    f"{count} separate fields share this name (PDF readers treat them as one value): "
                    "each became its own question; merge or rename them",
                )
        placed: list[_Item] = []
        for f in self.form.fields:
            # Hidden fields are placed too (by their hidden widgets), so that their findings come in order.
            widgets = [w for w in f.widgets if not w.hidden] or f.widgets
            shown = [w for w in widgets if w.page is not None]
            if shown:
                first = min(shown, key=lambda w: (w.page or 0, -w.rect[3], w.rect[0]))
                top, height = first.rect[3], first.rect[3] - first.rect[1]
                placed.append(_Item(f, float(first.page or 0), top, first.rect[0], height))
            elif widgets:
                self.note(f.name, WARNING, "not found on any page: asked at the end")
                placed.append(_Item(f, float("inf"), 0.0, 0.0, 0.0))
            else:
                self.note(f.name, DROPPED, "not drawn on any page: not asked")
        ordered = _visual_order(placed)
        self.order = [item.field.name or "(no name)" for item in ordered]
        return [item for item in ordered if self._keep(item)]

    def _keep(self, item: _Item) -> bool:
        f = item.field
        name = f.name or "(no name)"
        if f.type == "Sig":
            self.note(
                name,
                DROPPED,
                "signature field: not carried over; add a DeclarationField (for example 'I declare "
                "that the information I have given is true') or a declaration on check answers",
            )
            return False
        if f.type not in ("Tx", "Btn", "Ch"):
            self.note(name, DROPPED, f"field of unknown type '{f.type or 'none'}': not carried over")
            return False
        if f.type == "Btn" and f.has(PUSH_BUTTON):
            actions = sorted({*f.actions.values(), *("JavaScript" for _ in f.scripts)})
            what = f" ({', '.join(actions)})" if actions else ""
            self.note(name, DROPPED, f"push button{what}: a button, not a question; not carried over")
            return False
        if f.calculated:
            self.note(
                name,
                DROPPED,
                "calculated by the PDF from other fields (JavaScript): not asked; work it out when "
                "processing submissions if it is needed",
            )
            return False
        if all(w.hidden for w in f.widgets):
            self.note(name, DROPPED, "hidden in the PDF: not asked (check whether it is needed)")
            return False
        if f.has(READ_ONLY):
            self.note(name, DROPPED, "read-only: people cannot fill it in on the PDF, so it is not asked")
            return False
        return True

    # -- questions -----------------------------------------------------------------------------
    def questions(self, items: list[_Item]) -> list[_Question]:
        drafted: list[_Question] = []
        index = 0
        while index < len(items):
            item = items[index]
            for group in (self._checkbox_group, self._date_group, self._address_group):
                taken = group(items, index)
                if taken is not None:
                    question, count = taken
                    drafted.append(question)
                    index += count
                    break
            else:
                question = self._single(item)
                drafted.append(question)
                index += 1
            self._question_findings(drafted[-1])
        return drafted

    def _question_findings(self, question: _Question) -> None:
        where = question.sources[0]
        if question.type != "DeclarationField" and not question.title.rstrip().endswith("?"):
            example = QUESTION_EXAMPLES.get(question.type, "What is your …?")
            self.note(
                where,
                WARNING,
                f"'{question.title}' is a label, not a question: reword it as one (such as '{example}')",
            )

    def _label(self, f: PdfField) -> tuple[str, str]:
        """(label, where it came from: tooltip, name or placeholder) for a field."""
        if f.tooltip:
            return f.tooltip, "tooltip"
        label = humanise(name_words(f.name))
        if is_generic(f.name) or not label:
            return f"{TODO}: question for PDF field '{f.name}'", "placeholder"
        return label, "name"

    def _labelled(self, f: PdfField) -> str:
        label, source = self._label(f)
        name = f.name or "(no name)"
        if source == "placeholder":
            self.note(
                name,
                WARNING,
                "unlabelled: no tooltip and a generated name; write the question from the paper form",
            )
        elif source == "name":
            self.note(name, WARNING, f"no tooltip: label '{label}' made from the field name")
        return label

    def _base_words(self, f: PdfField) -> list[str]:
        """Words the answer name and page path are made from: the mapping name (/TM), which is what
        the PDF exports the value as, or the field name."""
        return words(f.mapping_name) if f.mapping_name else name_words(f.name) or ["field"]

    def _single(self, item: _Item) -> _Question:
        f = item.field
        name = f.name or "(no name)"
        if len([w for w in f.widgets if not w.hidden]) > 1 and item.kind in ("text", "choice"):
            self.note(name, INFO, f"drawn {len(f.widgets)} times in the PDF (one value): asked once")
        if f.has(NO_EXPORT):
            self.note(name, INFO, "marked 'do not export' in the PDF: it may be for the filler's own use")
        self._script_findings(f)
        if item.kind == "text":
            return self._text(f, item.tokens)
        if item.kind == "radio":
            return self._radios(f)
        if item.kind == "checkbox":
            return self._checkbox(f, item.tokens)
        return self._choice(f)

    def _script_findings(self, f: PdfField) -> None:
        for trigger, script in f.scripts.items():
            if _known_script(script):
                continue
            self.note(
                f.name,
                DROPPED,
                f"JavaScript {trigger} action: not carried over; check what it does on the PDF and add "
                "the same rule to the question (options, regex)",
            )

    def _text(self, f: PdfField, tokens: list[str]) -> _Question:
        name = f.name or "(no name)"
        title = self._labelled(f)
        question = _Question("TextField", self._base_words(f), title, [name], not f.has(REQUIRED))
        script = " ".join(f.scripts.values())
        if f.has(PASSWORD):
            self.note(name, WARNING, "password field in the PDF: never ask for passwords in a form")
        if f.has(FILE_SELECT):
            question.type = "FileUploadField"
            question.options = {"accept": ["pdf", "jpeg", "png"]}
            self.note(
                name,
                WARNING,
                "file-select field: drafted as a file upload (PDF, JPG or PNG): check the types",
            )
            return question
        if f.has(MULTILINE):
            question.type = "MultilineTextField"
            if f.max_len:
                question.options["maxLength"] = min(f.max_len, 100000)
            return question
        kind, reason = _script_kind(script)
        if kind is None:
            kind, reason = looks_like(tokens), "its name or tooltip"
        if kind is not None:
            self._typed(question, kind, f, script)
            what = "TextField with a UK postcode pattern" if kind == "postcode" else question.type
            self.note(name, WARNING, f"type guessed from {reason}: {what}; check it")
            return question
        if f.max_len:
            question.options["maxLength"] = min(f.max_len, 10000)
            if f.max_len <= 10:
                question.options["classes"] = "govuk-!-width-one-quarter"
            elif f.max_len <= 20:
                question.options["classes"] = "govuk-!-width-one-third"
        if f.has(COMB) and f.max_len:
            question.options["spellcheck"] = False
            self.note(
                name,
                WARNING,
                f"comb field of {f.max_len} boxes: probably a code of exactly {f.max_len} characters; "
                "add minLength, or a regex with an example and errors.format, if so",
            )
        if f.has(DO_NOT_SPELL_CHECK):
            question.options["spellcheck"] = False
        token = autocomplete(tokens)
        if token:
            question.options["autocomplete"] = token
        return question

    def _typed(self, question: _Question, kind: str, f: PdfField, script: str) -> None:
        types = {
            "email": "EmailAddressField",
            "nino": "NationalInsuranceNumberField",
            "phone": "TelephoneNumberField",
            "postcode": "TextField",
            "date": "DatePartsField",
            "month-year": "MonthYearField",
            "number": "NumberField",
            "percent": "NumberField",
        }
        question.type = types[kind]
        if kind == "postcode":
            question.options = {
                "regex": POSTCODE_REGEX,
                "example": "SW1A 2AA",
                "autocomplete": "postal-code",
                "classes": "govuk-!-width-one-quarter",
            }
            question.errors = {"format": "Enter a real postcode"}
        elif kind == "date" and {"birth", "dob"} & set(lower_words(f.name, f.tooltip)):
            question.options = {"latest": "today"}
        elif kind in ("number", "percent"):
            question.options = _number_options(script, kind)

    def _choice_items(
        self, name: str, options: Sequence[tuple[str, str]], prompts: bool = True
    ) -> list[tuple[str, str]]:
        """(value, text) list items from (export value, text shown) pairs: values unique and at most
        200 characters; with `prompts`, blanks and 'Select one' entries (a drop-down's prompt) dropped."""
        items: list[tuple[str, str]] = []
        seen: set[str] = set()
        for export, shown in options:
            text = shown or export
            if prompts and PLACEHOLDER_OPTION.match(text) and PLACEHOLDER_OPTION.match(export):
                if text.strip():
                    self.note(name, INFO, f"option '{text}' is a prompt, not an answer: left out")
                continue
            value = export if 0 < len(export) <= 200 else slugify(words(export), 200) or "option"
            if value in seen:
                self.note(name, WARNING, f"option value '{value}' appears twice: kept once")
                continue
            seen.add(value)
            items.append((value, text))
        return items

    def _radios(self, f: PdfField) -> _Question:
        name = f.name or "(no name)"
        title = self._labelled(f)
        question = _Question("RadiosField", self._base_words(f), title, [name], not f.has(REQUIRED))
        options: list[tuple[str, str]] = []
        for index, widget in enumerate(f.widgets):
            # With /Opt (one entry per kid, in order), the appearance states are often just indexes:
            # the export value is the /Opt entry.
            opt = f.options[index] if index < len(f.options) and f.options[index][0] else None
            if widget.hidden or not (opt or widget.states):
                continue
            if opt is not None:
                options.append(opt)
            else:
                options.extend((state, _option_text(state)) for state in widget.states)
        if not f.has(RADIO):
            self.note(
                name,
                INFO,
                "check boxes sharing one name with different values (only one can be ticked): "
                "drafted as radios",
            )
        items = self._choice_items(name, options)
        if not items:
            self.note(name, WARNING, "radio buttons without values: drafted as a yes/no question")
            question.type = "YesNoField"
            return question
        if all(is_generic(value) or value.isdigit() for value, _ in items):
            self.note(name, WARNING, "options have no meaningful names: write them from the paper form")
        if {value.lower() for value, _ in items} <= set(YES_NO) and len(items) == 2:
            question.type = "YesNoField"
            self.note(name, INFO, "radio buttons Yes and No: drafted as a yes/no question")
            return question
        question.items = items
        return question

    def _checkbox(self, f: PdfField, tokens: list[str]) -> _Question:
        name = f.name or "(no name)"
        label, source = self._label(f)
        if f.has(REQUIRED) or set(tokens) & DECLARATION_WORDS:
            content = label if source == "tooltip" else f"{TODO}: the declaration text from the paper form"
            if source != "tooltip":
                self.note(name, WARNING, "declaration without a tooltip: write its text from the paper form")
            self.note(
                name, WARNING, "single check box drafted as a declaration (one they must agree to): check it"
            )
            return _Question(
                "DeclarationField", self._base_words(f), "Declaration", [name], False, content=content
            )
        title = self._labelled(f)
        self.note(
            name,
            INFO,
            "single check box drafted as a yes/no question (on paper an empty box means no, so an "
            "answer is required)",
        )
        return _Question("YesNoField", self._base_words(f), title, [name], False)

    def _choice(self, f: PdfField) -> _Question:
        name = f.name or "(no name)"
        title = self._labelled(f)
        question = _Question("SelectField", self._base_words(f), title, [name], not f.has(REQUIRED))
        items = self._choice_items(name, f.options)
        if not items:
            self.note(name, WARNING, "choice field without options: drafted as a text question")
            question.type = "TextField"
            return question
        question.items = items
        kind = "drop-down" if f.has(COMBO) else "list box"
        if f.has(EDIT):
            self.note(
                name,
                WARNING,
                "the PDF also lets people type their own answer: add an 'Other' option and a text question",
            )
        if f.has(MULTI_SELECT):
            question.type = "CheckboxesField"
            self.note(name, INFO, f"{kind} allowing several choices: drafted as check boxes")
        elif len(items) <= MAX_RADIOS:
            question.type = "RadiosField"
            self.note(
                name,
                INFO,
                f"{kind} with {len(items)} options: drafted as radios (GOV.UK: show short lists as radios)",
            )
        else:
            self.note(
                name,
                INFO,
                f"{kind} with {len(items)} options: kept as a select (more than {MAX_RADIOS}, too many "
                "for radios); GOV.UK advises against selects where possible: consider an autocomplete",
            )
        return question

    # -- groups of fields that make one question ---------------------------------------------
    def _checkbox_group(self, items: list[_Item], start: int) -> tuple[_Question, int] | None:
        """Single check boxes next to each other sharing a parent (`species.chickens`) or a first
        word (`Species_Chickens`): one checkboxes question."""
        key = _group_key(items[start])
        if key is None:
            return None
        run = [items[start]]
        for item in items[start + 1 :]:
            if _group_key(item) != key:
                break
            run.append(item)
        if len(run) < 2:
            return None
        fields = [item.field for item in run]
        if fields[0].parent:
            prefix = name_words(fields[0].parent)
            rests = [name_words(f.partial) or [f.partial] for f in fields]
        else:
            all_words = [name_words(f.name) for f in fields]
            common = _common_prefix(all_words)
            prefix, rests = all_words[0][:common], [w[common:] for w in all_words]
        names = [f.name for f in fields]
        title = fields[0].parent_tooltip or humanise(prefix) or f"{TODO}: question for PDF fields {names[0]}…"
        if not fields[0].parent_tooltip:
            self.note(
                names[0], WARNING, f"no tooltip for the group: label '{title}' made from the field names"
            )
        options = [
            (slugify(rest, 200) or f"option-{i + 1}", f.tooltip or humanise(rest) or f.name)
            for i, (f, rest) in enumerate(zip(fields, rests, strict=True))
        ]
        question = _Question(
            "CheckboxesField",
            prefix,
            title,
            names,
            not any(f.has(REQUIRED) for f in fields),
        )
        question.items = self._choice_items(names[0], options, prompts=False)
        self.note(
            names[0],
            WARNING,
            f"{len(fields)} check boxes ({', '.join(names)}) grouped into one checkboxes question: "
            "check the grouping",
        )
        for f in fields:
            self._script_findings(f)
        return question, len(run)

    def _date_group(self, items: list[_Item], start: int) -> tuple[_Question, int] | None:
        """Day, month and year boxes next to each other with the same name before the part
        (`dob_day`, `dob_month`, `dob_year`): one date question."""
        parts: dict[str, _Item] = {}
        prefix: list[str] | None = None
        count = 0
        for item in items[start : start + 3]:
            tokens = name_words(item.field.name)
            part = DATE_PARTS.get(tokens[-1].lower()) if item.kind == "text" and tokens else None
            if part is None or part in parts or (prefix is not None and tokens[:-1] != prefix):
                break
            prefix = tokens[:-1]
            parts[part] = item
            count += 1
        if set(parts) == {"day", "month", "year"}:
            kind = "DatePartsField"
        elif set(parts) == {"month", "year"}:
            kind = "MonthYearField"
        else:
            return None
        fields = [items[start + i].field for i in range(count)]
        first = fields[0]
        title = first.parent_tooltip or (humanise(prefix or []) if prefix else "Date")
        names = [f.name for f in fields]
        question = _Question(kind, prefix or ["date"], title, names, not any(f.has(REQUIRED) for f in fields))
        if kind == "DatePartsField" and "birth" in lower_words(humanise(prefix or [])):
            question.options = {"latest": "today"}
        for f in fields:
            self._script_findings(f)
        self.note(names[0], WARNING, f"boxes {', '.join(names)} drafted as one {kind}: check it")
        return question, count

    def _address_group(self, items: list[_Item], start: int) -> tuple[_Question, int] | None:
        """Address lines, town, county and postcode next to each other: one UK address question."""
        run: list[tuple[str, _Item]] = []
        for item in items[start:]:
            part = address_part(item.tokens) if item.kind == "text" else None
            if part is None or (part in ("town", "county", "postcode") and part in {p for p, _ in run}):
                break
            if run and item.page != run[0][1].page:
                break
            run.append((part, item))
            if part == "postcode":
                break
        found = {part for part, _ in run}
        if len(run) < 2 or "line" not in found or not found & {"postcode", "town"}:
            return None
        fields = [item.field for _, item in run]
        names = [f.name for f in fields]
        all_words = [name_words(f.name) for f in fields]
        prefix = [
            w for w in all_words[0][: _common_prefix(all_words)] if w.lower() not in ("address", "line")
        ]
        first = fields[0]
        # A tooltip such as 'Address of the premises' names the whole address; 'Address line 1' or
        # 'Building and street' do not.
        tooltip = lower_words(first.tooltip)
        if "address" in tooltip and not {"line", "1", "one"} & set(tooltip):
            title = first.tooltip or ""
        else:
            title = humanise([*prefix, "address"])
        for f in fields:
            self._script_findings(f)
        question = _Question(
            "UkAddressField",
            [*prefix, "address"],
            title,
            names,
            not any(f.has(REQUIRED) for f in fields),
        )
        self.note(
            names[0],
            WARNING,
            f"fields {', '.join(names)} drafted as one UK address question (lines, town, county, "
            "postcode): check it",
        )
        return question, len(run)

    # -- the definition ------------------------------------------------------------------------
    def definition(self, questions: list[_Question], slug: str | None) -> dict[str, Any]:
        title = self._title()
        pages: list[dict[str, Any]] = []
        lists: list[dict[str, Any]] = []
        names = _Unique(RESERVED_NAMES)
        paths = _Unique({p.lstrip("/") for p in RESERVED_PATHS})
        list_ids = _Unique(set())
        for question in questions:
            name = names.take(camel(question.words), question.sources[0], self, "answer name", join="")
            path = paths.take(
                slugify(question.words) or "question", question.sources[0], self, "page path", join="-"
            )
            page_id = path if path[0].isalpha() else f"page-{path}"
            component: dict[str, Any] = {
                "id": name,
                "type": question.type,
                "name": name,
                "title": question.title,
            }
            if question.type == "DeclarationField":
                component["content"] = question.content
            if question.optional:
                component["optional"] = True
            if question.items:
                list_id = list_ids.take(f"{name[:56]}Options", question.sources[0], self, "list id", join="")
                component["list"] = list_id
                lists.append(
                    {
                        "id": list_id,
                        "items": [{"text": text, "value": value} for value, text in question.items],
                    }
                )
            if question.options:
                component["options"] = question.options
            if question.errors:
                component["errors"] = question.errors
            pages.append(
                {"id": page_id, "path": f"/{path}", "title": question.title, "components": [component]}
            )
        definition: dict[str, Any] = {
            "schemaVersion": 1,
            "slug": self._slug(slug, title),
            "title": title,
            "paperForm": self._paper_form(title),
            "service": {
                "contact": {
                    "name": f"{TODO}: the team that handles this form",
                    "email": "todo-team-address@example.gov.uk",
                },
                "privacyNoticeUrl": "https://www.gov.uk/TODO-privacy-notice",
                "whatHappensNext": f"{TODO}: say what happens after the form is sent, and how long it takes.",
            },
            "startPage": {
                "content": f"{TODO}: say what this service is for, who can use it and what they need.\n\n"
                f"Drafted from the fillable PDF {self.file_name or 'form'}."
            },
        }
        if lists:
            definition["lists"] = lists
        definition["pages"] = pages
        self.note(
            FORM,
            WARNING,
            f"service contact, privacy notice, what happens next and start page are {TODO} placeholders: "
            "fill them in",
        )
        emails = [
            p["components"][0]["name"] for p in pages if p["components"][0]["type"] == "EmailAddressField"
        ]
        if len(emails) == 1:
            self.note(
                FORM,
                INFO,
                f"to email people a confirmation, set confirmationEmailComponent to '{emails[0]}'",
            )
        return definition

    def _title(self) -> str:
        raw = self.form.info.get("title")
        if raw:
            cleaned = re.sub(r"^Microsoft (Word|Excel) - ", "", raw)
            cleaned = re.sub(r"\.(docx?|xlsx?|pdf|odt)$", "", cleaned, flags=re.IGNORECASE).strip()
            if cleaned:
                self.note(
                    FORM,
                    WARNING,
                    f"title '{cleaned}' from the PDF's metadata: make it a service name that says "
                    "what people do, such as 'Register your birds'",
                )
                return cleaned
        if self.file_name:
            title = humanise(words(Path(self.file_name).stem)) or f"{TODO}: service name"
            self.note(
                FORM, WARNING, f"no title in the PDF's metadata: title '{title}' made from the file name"
            )
            return title
        self.note(FORM, WARNING, "no title in the PDF's metadata: the title is a placeholder")
        return f"{TODO}: service name"

    def _slug(self, slug: str | None, title: str) -> str:
        if slug is not None:
            return slug
        made = slugify(words(title.removeprefix(f"{TODO}: ")), 80) or "imported-pdf-form"
        return f"{made}-form" if made in RESERVED_SLUGS else made

    def _paper_form(self, title: str) -> dict[str, str]:
        sources = [
            self.form.info.get("title") or "",
            self.file_name or "",
            self.form.info.get("subject") or "",
        ]
        reference = next(
            (
                m.group(1)
                for s in sources
                for m in [REFERENCE.search(Path(s).stem if s == self.file_name else s)]
                if m
            ),
            None,
        )
        if reference:
            self.note(
                FORM,
                WARNING,
                f"paper form reference '{reference}' guessed from the title or file name: check it",
            )
        else:
            reference = TODO
            self.note(
                FORM, WARNING, f"paper form reference is a {TODO} placeholder: add the form's reference"
            )
        text = " ".join(self.form.info.values()).lower()
        organisation = next(
            (org for org, phrases in ORGANISATIONS if any(re.search(rf"\b{p}\b", text) for p in phrases)),
            None,
        )
        if organisation:
            self.note(
                FORM, WARNING, f"organisation '{organisation}' guessed from the PDF's metadata: check it"
            )
        else:
            organisation = "Defra"
            self.note(FORM, WARNING, "organisation is a placeholder ('Defra'): set the form's owner")
        return {
            "reference": reference,
            "title": title.removeprefix(f"{TODO}: "),
            "organisation": organisation,
        }


class _Unique:
    """Hands out names not used before (nor reserved), numbering repeats: name, name2, name3."""

    def __init__(self, reserved: set[str] | frozenset[str]):
        self.used = set(reserved)

    def take(self, wanted: str, where: str, drafter: _Drafter, what: str, join: str) -> str:
        candidate, number = wanted, 1
        while candidate in self.used:
            number += 1
            suffix = f"{join}{number}"
            limit = 64 - len(suffix)
            candidate = f"{wanted[:limit]}{suffix}"
        if candidate != wanted:
            drafter.note(where, INFO, f"{what} '{wanted}' is already taken: used '{candidate}'")
        self.used.add(candidate)
        return candidate


def _visual_order(items: list[_Item]) -> list[_Item]:
    """Page by page, rows from the top (fields whose tops are within a few points of each other
    are one row), each row left to right."""
    ordered: list[_Item] = []
    by_top = sorted(items, key=lambda i: (i.page, -i.top, i.left))
    row: list[_Item] = []
    for item in by_top:
        if row and item.page == row[0].page and row[0].top - item.top <= _tolerance(row[0]):
            row.append(item)
            continue
        ordered.extend(sorted(row, key=lambda i: i.left))
        row = [item]
    ordered.extend(sorted(row, key=lambda i: i.left))
    return ordered


def _tolerance(item: _Item) -> float:
    return min(max(item.height / 2, 2.0), 10.0)


def _group_key(item: _Item) -> tuple[str, str] | None:
    """What a single check box is grouped by: its parent field, or its name's first word."""
    if item.kind != "checkbox" or item.field.has(REQUIRED):
        return None
    f = item.field
    if f.parent:
        return ("parent", f.parent)
    tokens = name_words(f.name)
    if len(tokens) < 2 or is_generic(f.name):
        return None
    return ("word", tokens[0].lower())


def _common_prefix(word_lists: list[list[str]]) -> int:
    """How many leading words all lists share, leaving each at least one word of its own."""
    count = 0
    shortest = min(len(words) for words in word_lists)
    while count < shortest - 1 and len({w[count].lower() for w in word_lists}) == 1:
        count += 1
    return count


def _option_text(state: str) -> str:
    """The text for a radio button's appearance state: 'free_range' -> 'Free range', 'Yes' stays."""
    if re.search(r"_|[a-z][A-Z]", state) or state.islower():
        return humanise(words(state)) or state
    return state


SCRIPT_KINDS = (
    (re.compile(r"AFDate_(?:Format|Keystroke)(?:Ex)?\(\s*[\"']([^\"']*)[\"']"), "date"),
    (re.compile(r"AFDate_(?:Format|Keystroke)\(\s*\d"), "date"),
    (re.compile(r"AFNumber_(?:Format|Keystroke)\("), "number"),
    (re.compile(r"AFPercent_(?:Format|Keystroke)\("), "percent"),
    (re.compile(r"AFSpecial_(?:Format|Keystroke)\(\s*[01]\s*\)"), "postcode"),
    (re.compile(r"AFSpecial_(?:Format|Keystroke)\(\s*2\s*\)"), "phone"),
    (re.compile(r"AFRange_Validate\("), "number"),
)
RANGE = re.compile(
    r"AFRange_Validate\(\s*(true|false)\s*,\s*(-?[\d.]+)\s*,\s*(true|false)\s*,\s*(-?[\d.]+)\s*\)"
)


def _script_kind(script: str) -> tuple[str | None, str]:
    """The kind of answer Acrobat's standard format scripts (AFDate_FormatEx ...) say a field takes."""
    for pattern, kind in SCRIPT_KINDS:
        match = pattern.search(script)
        if match:
            if kind == "date" and match.groups() and "d" not in match.group(1).lower():
                kind = "month-year"
            return kind, f"its script ({match.group(0).split('(')[0]})"
    return None, ""


def _known_script(script: str) -> bool:
    """True for Acrobat's standard format, keystroke and range scripts, which the type carries over."""
    return _script_kind(script)[0] is not None


def _number_options(script: str, kind: str) -> dict[str, Any]:
    options: dict[str, Any] = {}
    decimals = re.search(r"AF(?:Number|Percent)_(?:Format|Keystroke)\(\s*(\d+)", script)
    if decimals and 0 < int(decimals.group(1)) <= 6:
        options["decimals"] = int(decimals.group(1))
    if kind == "percent":
        options["suffix"] = "%"
    bounds = RANGE.search(script)
    if bounds:
        low, high = float(bounds.group(2)), float(bounds.group(4))
        if bounds.group(1) == "true":
            options["min"] = int(low) if low.is_integer() else low
        if bounds.group(3) == "true":
            options["max"] = int(high) if high.is_integer() else high
    return options


def _form_findings(drafter: _Drafter, form: PdfForm) -> None:
    for note in form.notes:
        drafter.note(FORM, WARNING, f"while reading the PDF: {note}")
    if form.xfa:
        drafter.note(
            FORM,
            WARNING,
            "the PDF also holds an XFA (LiveCycle) form: only its AcroForm fields were read, and "
            "they may differ from what Adobe Reader shows",
        )
    if form.document_javascript:
        drafter.note(FORM, DROPPED, "the PDF has document JavaScript: not carried over")


def slug_problem(slug: str) -> str | None:
    """Why `slug` cannot be a form's slug, or None when it can."""
    if re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", slug) and len(slug) <= 80 and slug not in RESERVED_SLUGS:
        return None
    return (
        f"'{slug}' cannot be a slug: use lower-case letters, digits and single hyphens "
        f"(at most 80 characters), and not one of {', '.join(sorted(RESERVED_SLUGS))}"
    )


def _check_slug(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    problem = slug_problem(value) if value is not None else None
    if problem:
        raise click.BadParameter(problem)
    return value


def import_pdf(path_or_bytes: str | Path | bytes, slug: str | None = None) -> ImportResult:
    """Draft a definition from a fillable PDF (a path or its bytes) and report what needs checking.

    Raises PdfImportError for a file that cannot be read, is not a PDF, is encrypted with a password,
    has no form fields, or has none that can become a question (its `report` says why).
    """
    if isinstance(path_or_bytes, bytes):
        data, file_name = path_or_bytes, None
    else:
        path = Path(path_or_bytes)
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise PdfImportError(f"cannot read the file: {exc.strerror or exc}") from exc
        file_name = path.name
    problem = slug_problem(slug) if slug is not None else None
    if problem:
        raise PdfImportError(problem)
    form = read_form(data)
    drafter = _Drafter(form, file_name)
    _form_findings(drafter, form)
    questions = drafter.questions(drafter.items())
    if not questions:
        raise PdfImportError(
            "none of the PDF's form fields can become a question (see the report)", drafter.ordered_report()
        )
    definition = drafter.definition(questions, slug)
    problems = validate_definition_data(definition)
    if problems:
        raise PdfImportError(
            "the drafted definition is not valid (a fault in the importer; please report it): "
            + "; ".join(str(p) for p in problems)
        )
    return ImportResult(definition, drafter.ordered_report())


@click.command("pdf")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--slug",
    callback=_check_slug,
    help="URL name of the drafted form (default: made from the PDF's title).",
)
@click.option(
    "--output",
    "-o",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write the definition to this file instead of standard output.",
)
@click.option("--force", is_flag=True, help="Overwrite the --output file if it exists.")
def pdf_command(file: Path, slug: str | None, output: Path | None, force: bool) -> None:
    """Draft a form definition from the form fields of a fillable PDF FILE.

    The definition (JSON) goes to standard output or --output; the report of what needs a designer's
    eye goes to standard error, one line per finding: `field name: level: message` (levels: info,
    warning, dropped). Exits 1 when no definition could be drafted."""
    if output is not None and output.exists() and not force:
        raise click.ClickException(f"{output} already exists: use --force to replace it")
    try:
        result = import_pdf(file, slug=slug)
    except RecursionError:
        raise click.ClickException(f"{file}: its form fields are nested too deeply to read") from None
    except PdfImportError as exc:
        for finding in exc.report:
            click.echo(str(finding), err=True)
        raise click.ClickException(f"{file}: {exc}") from None
    for finding in result.report:
        click.echo(str(finding), err=True)
    text = json.dumps(result.definition, indent=2, ensure_ascii=False) + "\n"
    if output is None:
        click.echo(text, nl=False)
        return
    try:
        output.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise click.ClickException(f"{output}: cannot write: {exc.strerror or exc}") from None
    click.echo(
        f"{output}: drafted '{result.definition['slug']}', {len(result.definition['pages'])} pages, "
        f"{len(result.report)} findings",
        err=True,
    )
