"""Read the form fields of a fillable (AcroForm) PDF with pypdf into plain records: full names, types,
flags, tooltips, options and where each widget sits, with anything odd met on the way.

Nothing here decides what a field becomes in a definition: `pdf.py` does.
"""

from __future__ import annotations

import io
import logging
import warnings
from dataclasses import dataclass, field
from typing import Any

from pypdf import PdfReader
from pypdf.errors import DependencyError, PdfReadWarning, PyPdfError
from pypdf.generic import (
    ArrayObject,
    ByteStringObject,
    DictionaryObject,
    IndirectObject,
    NameObject,
    NullObject,
    StreamObject,
    TextStringObject,
)

# Field flags (/Ff), PDF 32000-1:2008 tables 221, 226, 228 and 230 (bit n is 1 << (n - 1)).
READ_ONLY = 1 << 0
REQUIRED = 1 << 1
NO_EXPORT = 1 << 2
MULTILINE = 1 << 12
PASSWORD = 1 << 13
NO_TOGGLE_TO_OFF = 1 << 14
RADIO = 1 << 15
PUSH_BUTTON = 1 << 16
COMBO = 1 << 17
EDIT = 1 << 18
FILE_SELECT = 1 << 20
MULTI_SELECT = 1 << 21
DO_NOT_SPELL_CHECK = 1 << 22
COMB = 1 << 24

# Annotation flags (/F) that keep a widget off the screen (table 165).
HIDDEN = 1 << 1
NO_VIEW = 1 << 5

#: Additional-action triggers of a field (/AA, table 196) and a widget (table 194), as a person says them.
TRIGGERS = {
    "/K": "keystroke",
    "/F": "format",
    "/V": "validate",
    "/C": "calculate",
    "/E": "cursor enters",
    "/X": "cursor exits",
    "/D": "mouse down",
    "/U": "mouse up",
    "/Fo": "focus",
    "/Bl": "blur",
    "/PO": "page opens",
    "/PC": "page closes",
    "/PV": "page visible",
    "/PI": "page invisible",
}
#: How deep a field tree may go before the rest is ignored (real forms use a handful of levels).
MAX_DEPTH = 32
#: What pypdf raises on a damaged file: its own errors, and Python's when a repair goes wrong.
DAMAGED = (PyPdfError, ValueError, KeyError, IndexError, TypeError, AttributeError, RecursionError)


class PdfImportError(Exception):
    """A PDF whose form fields cannot be read: not a PDF, encrypted, damaged, or without fields.
    `report` holds the findings made before the import had to stop, if any."""

    def __init__(self, message: str, report: list[Any] | None = None):
        super().__init__(message)
        self.report: list[Any] = list(report or [])


@dataclass(frozen=True)
class Widget:
    """One place a field is drawn: its page (0-based; None when on no page) and rectangle."""

    page: int | None
    #: (left, bottom, right, top) in PDF units, y growing upwards.
    rect: tuple[float, float, float, float]
    #: Appearance states other than Off: the values a check box or radio button sets when ticked.
    states: tuple[str, ...]
    hidden: bool


@dataclass
class PdfField:
    """A terminal field (one that holds a value) with what is inherited from its ancestors."""

    name: str
    partial: str
    #: Full name of the parent field, for fields inside a hierarchy such as `species.chickens`.
    parent: str | None
    parent_tooltip: str | None
    type: str | None
    flags: int
    tooltip: str | None
    mapping_name: str | None
    max_len: int | None
    #: (export value, text shown) from /Opt.
    options: tuple[tuple[str, str], ...]
    widgets: list[Widget]
    #: Trigger ("format", "calculate", ...) -> JavaScript, from the field's and its widgets' actions.
    scripts: dict[str, str] = field(default_factory=dict)
    #: Other actions on the widgets (submit, reset, links): trigger -> action type.
    actions: dict[str, str] = field(default_factory=dict)
    calculated: bool = False

    def has(self, flag: int) -> bool:
        return bool(self.flags & flag)


@dataclass
class PdfForm:
    """What a PDF's AcroForm holds."""

    fields: list[PdfField]
    page_count: int
    #: Document information: title, author, subject, creator, producer (the ones present).
    info: dict[str, str]
    xfa: bool = False
    document_javascript: bool = False
    #: Problems met while reading (loops in the field tree, pypdf's repairs), for the report.
    notes: list[str] = field(default_factory=list)


def _resolve(value: Any) -> Any:
    """The object behind an indirect reference (pypdf's dict.get does not follow them)."""
    if isinstance(value, IndirectObject):
        value = value.get_object()
    return None if isinstance(value, NullObject) else value


def _get(node: Any, key: str) -> Any:
    if not isinstance(node, DictionaryObject):
        return None
    return _resolve(dict.get(node, NameObject(key)))


def _text(value: Any) -> str | None:
    """A PDF text or byte string (or name) as a stripped str; None when absent or blank."""
    value = _resolve(value)
    if isinstance(value, TextStringObject):
        text = str(value)
    elif isinstance(value, ByteStringObject):
        text = bytes(value).decode("latin-1")
    elif isinstance(value, NameObject):
        text = str(value)[1:]
    elif isinstance(value, str):
        text = value
    else:
        return None
    text = " ".join(text.replace("\x00", "").split())
    return text or None


def _int(value: Any) -> int | None:
    value = _resolve(value)
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return int(value)


def _script(action: Any) -> str | None:
    """The JavaScript of an action dictionary, or None when it is another kind of action."""
    if _text(_get(action, "/S")) != "JavaScript":
        return None
    source = _get(action, "/JS")
    if isinstance(source, StreamObject):
        return source.get_data().decode("latin-1")
    return _text(source) or ""


@dataclass
class _Inherited:
    """What a field passes to its kids (PDF table 220: /FT and /Ff; table 229: /MaxLen), and its own
    /Opt."""

    type: str | None = None
    flags: int = 0
    max_len: int | None = None
    options: tuple[tuple[str, str], ...] = ()


def _options(value: Any) -> tuple[tuple[str, str], ...] | None:
    value = _resolve(value)
    if not isinstance(value, ArrayObject):
        return None
    options = []
    for entry in value:
        entry = _resolve(entry)
        if isinstance(entry, ArrayObject) and len(entry) >= 2:
            export, shown = _text(entry[0]), _text(entry[1])
        else:
            export = shown = _text(entry)
        options.append((export or "", shown or export or ""))
    return tuple(options)


class _Reader:
    """Walks /AcroForm /Fields, kids first, keeping page numbers of widgets."""

    def __init__(self, reader: PdfReader):
        self.reader = reader
        self.notes: list[str] = []
        self.fields: list[PdfField] = []
        self.seen: set[int] = set()
        self.page_of_object: dict[int, int] = {}
        self.page_of_annotation: dict[int, int] = {}
        for index, page in enumerate(reader.pages):
            if page.indirect_reference is not None:
                self.page_of_object[page.indirect_reference.idnum] = index
            annotations = _get(page, "/Annots")
            if isinstance(annotations, ArrayObject):
                for annotation in annotations:
                    if isinstance(annotation, IndirectObject):
                        self.page_of_annotation[annotation.idnum] = index
        root = reader.trailer["/Root"]
        self.acroform = _get(root, "/AcroForm")
        calculation_order = _get(self.acroform, "/CO")
        self.calculated = {ref.idnum for ref in (calculation_order or []) if isinstance(ref, IndirectObject)}

    def walk(self, reference: Any, parent: PdfField | None, inherited: _Inherited, depth: int) -> None:
        if isinstance(reference, IndirectObject):
            if reference.idnum in self.seen:
                self.notes.append(f"the field tree refers to object {reference.idnum} twice: ignored again")
                return
            self.seen.add(reference.idnum)
        node = _resolve(reference)
        if not isinstance(node, DictionaryObject):
            return
        if depth > MAX_DEPTH:
            self.notes.append(f"fields nested more than {MAX_DEPTH} levels deep were ignored")
            return
        partial = _text(_get(node, "/T")) or ""
        parent_name = parent.name if parent is not None else ""
        name = f"{parent_name}.{partial}" if parent_name and partial else (partial or parent_name)
        flags, max_len = _int(_get(node, "/Ff")), _int(_get(node, "/MaxLen"))
        here = _Inherited(
            type=_text(_get(node, "/FT")) or inherited.type,
            flags=inherited.flags if flags is None else flags,
            max_len=inherited.max_len if max_len is None else max_len,
            # /Opt is not inheritable (PDF table 228): a parent's list is not its kids'.
            options=_options(_get(node, "/Opt")) or (),
        )
        kids = _get(node, "/Kids")
        kids = list(kids) if isinstance(kids, ArrayObject) else []
        # Kids with a name are fields of their own; kids without one are this field's widgets.
        field_kids = [kid for kid in kids if _get(_resolve(kid), "/T") is not None]
        widget_kids = [kid for kid in kids if _get(_resolve(kid), "/T") is None]
        record = PdfField(
            name=name,
            partial=partial,
            parent=parent.name if parent is not None and parent.name else None,
            parent_tooltip=parent.tooltip if parent is not None else None,
            type=here.type,
            flags=here.flags or 0,
            tooltip=_text(_get(node, "/TU")),
            mapping_name=_text(_get(node, "/TM")),
            max_len=here.max_len,
            options=here.options,
            widgets=[],
        )
        if field_kids:
            for kid in field_kids:
                self.walk(kid, record, here, depth + 1)
            if widget_kids:
                self.notes.append(f"'{name}' has both fields and widgets as kids: its widgets were ignored")
            return
        self._collect_actions(node, record)
        if isinstance(reference, IndirectObject) and reference.idnum in self.calculated:
            record.calculated = True
        own_widgets = widget_kids or ([reference] if _get(node, "/Rect") is not None else [])
        for widget in own_widgets:
            if isinstance(widget, IndirectObject) and widget is not reference:
                self.seen.add(widget.idnum)
            record.widgets.append(self._widget(widget))
            self._collect_actions(_resolve(widget), record)
        self.fields.append(record)

    def _collect_actions(self, node: Any, record: PdfField) -> None:
        additional = _get(node, "/AA")
        triggers = [(key, _get(additional, key)) for key in TRIGGERS if _get(additional, key) is not None]
        if _get(node, "/A") is not None:
            triggers.append(("/A", _get(node, "/A")))
        for key, action in triggers:
            what = TRIGGERS.get(key, "activate")
            script = _script(action)
            if script is not None:
                record.scripts[what] = script
                if key == "/C":
                    record.calculated = True
            elif _text(_get(action, "/S")):
                record.actions[what] = _text(_get(action, "/S")) or ""

    def _widget(self, reference: Any) -> Widget:
        node = _resolve(reference)
        page: int | None = None
        if isinstance(reference, IndirectObject):
            page = self.page_of_annotation.get(reference.idnum)
        page_ref = dict.get(node, NameObject("/P")) if isinstance(node, DictionaryObject) else None
        if page is None and isinstance(page_ref, IndirectObject):
            page = self.page_of_object.get(page_ref.idnum)
        rect = _get(node, "/Rect")
        numbers = [float(_resolve(v)) for v in rect] if isinstance(rect, ArrayObject) else []
        if len(numbers) == 4:
            left, right = sorted((numbers[0], numbers[2]))
            bottom, top = sorted((numbers[1], numbers[3]))
        else:
            left = bottom = right = top = 0.0
        appearances = _get(_get(node, "/AP"), "/N")
        states: tuple[str, ...] = ()
        if isinstance(appearances, DictionaryObject):
            states = tuple(str(key)[1:] for key in appearances if str(key) != "/Off")
        flags = _int(_get(node, "/F")) or 0
        return Widget(page, (left, bottom, right, top), states, bool(flags & (HIDDEN | NO_VIEW)))


def _open(data: bytes) -> PdfReader:
    if b"%PDF-" not in data[:1024]:
        raise PdfImportError("not a PDF file (it does not start with a %PDF header)")
    try:
        reader = PdfReader(io.BytesIO(data), strict=False)
    except DAMAGED as exc:
        raise PdfImportError(f"not a readable PDF: {exc}") from exc
    if reader.is_encrypted:
        # Many forms are encrypted only to stop editing, with an empty password to open them.
        try:
            opened = reader.decrypt("")
        except DependencyError as exc:
            raise PdfImportError(
                "the PDF is encrypted with AES, which needs the 'cryptography' package to read: "
                "install it, or ask for an unencrypted copy of the form"
            ) from exc
        except PyPdfError as exc:
            raise PdfImportError(f"the PDF is encrypted and could not be opened: {exc}") from exc
        if not opened:
            raise PdfImportError(
                "the PDF is encrypted with a password: ask for a copy without a password to open it"
            )
    return reader


class _LogCollector(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        try:
            self.messages.append(record.getMessage())
        except (TypeError, ValueError):  # pypdf sometimes passes arguments its message cannot take
            self.messages.append(str(record.msg))


def read_form(data: bytes) -> PdfForm:
    """The form fields of a PDF, in the order of /AcroForm /Fields.

    pypdf repairs damaged files as it reads and says so through logging and PdfReadWarning: both
    become notes in the result (for the report) rather than noise on the console or test failures.
    Raises PdfImportError when the fields cannot be read at all.
    """
    collector = _LogCollector()
    logger = logging.getLogger("pypdf")
    propagate = logger.propagate
    logger.addHandler(collector)
    logger.propagate = False
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", PdfReadWarning)
            form = _read(data)
    finally:
        logger.removeHandler(collector)
        logger.propagate = propagate
    for warning in caught:
        if issubclass(warning.category, PdfReadWarning):
            collector.messages.append(str(warning.message))
        else:  # anything else (such as a deprecation) is for the developers to see
            warnings.warn_explicit(warning.message, warning.category, warning.filename, warning.lineno)
    form.notes.extend(f"pypdf: {message}" for message in dict.fromkeys(collector.messages))
    return form


def _read(data: bytes) -> PdfForm:
    reader = _open(data)
    try:
        walker = _Reader(reader)
        acroform = walker.acroform
        fields = _get(acroform, "/Fields")
        for reference in fields if isinstance(fields, ArrayObject) else []:
            walker.walk(reference, None, _Inherited(), 0)
        info = {}
        metadata = reader.metadata
        for key in ("/Title", "/Author", "/Subject", "/Creator", "/Producer", "/Keywords"):
            value = _text(metadata.get(key)) if metadata is not None else None
            if value:
                info[key[1:].lower()] = value
        names = _get(reader.trailer["/Root"], "/Names")
        form = PdfForm(
            fields=walker.fields,
            page_count=len(reader.pages),
            info=info,
            xfa=_get(acroform, "/XFA") is not None,
            document_javascript=_get(names, "/JavaScript") is not None,
            notes=walker.notes,
        )
    except PdfImportError:
        raise
    except DAMAGED as exc:
        raise PdfImportError(f"the PDF is damaged and its form fields could not be read ({exc})") from exc
    if not form.fields:
        if form.xfa:
            raise PdfImportError(
                "the PDF is an XFA (LiveCycle) form without AcroForm fields: open it in Adobe "
                "software and save it as a fillable AcroForm PDF, or transcribe it by hand"
            )
        raise PdfImportError("the PDF has no form fields: it is not a fillable form")
    return form
