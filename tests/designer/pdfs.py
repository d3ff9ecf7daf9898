"""Build small fillable PDFs (AcroForm) in the tests themselves, with pypdf's generic objects.

    pdf = FormPdf(pages=2, title="Register your birds")
    pdf.text("applicant_name", (72, 700, 300, 720), tooltip="Your full name", required=True)
    pdf.checkbox("species.chickens", (72, 650, 84, 662), tooltip="Chickens")
    data = pdf.build()

Rectangles are (left, bottom, right, top) in points on an A4 page (595 x 842), y growing upwards.
Dotted names make a field hierarchy: `species.chickens` is the field `chickens` under a field `species`.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from typing import Any

from pypdf import PdfReader, PdfWriter
from pypdf.generic import (
    ArrayObject,
    BooleanObject,
    DecodedStreamObject,
    DictionaryObject,
    FloatObject,
    IndirectObject,
    NameObject,
    NumberObject,
    PdfObject,
    TextStringObject,
)

Rect = tuple[float, float, float, float]

READ_ONLY = 1 << 0
REQUIRED = 1 << 1
MULTILINE = 1 << 12
PASSWORD = 1 << 13
NO_TOGGLE_TO_OFF = 1 << 14
RADIO = 1 << 15
PUSH_BUTTON = 1 << 16
COMBO = 1 << 17
EDIT = 1 << 18
MULTI_SELECT = 1 << 21
COMB = 1 << 24
HIDDEN = 1 << 1


def name(value: str) -> NameObject:
    return NameObject("/" + value)


def text(value: str) -> TextStringObject:
    return TextStringObject(value)


def javascript(source: str) -> DictionaryObject:
    return DictionaryObject({name("S"): name("JavaScript"), name("JS"): text(source)})


class FormPdf:
    """A PDF with blank pages and an AcroForm whose fields are added one call each."""

    def __init__(self, pages: int = 1, title: str | None = None, **info: str):
        self.objects: list[PdfObject] = []
        self.pages_ref = self._reserve()
        self.page_refs = [self._reserve() for _ in range(pages)]
        self.annotations: list[list[IndirectObject]] = [[] for _ in range(pages)]
        self.fields: list[IndirectObject] = []
        self.calculation_order: list[IndirectObject] = []
        self.parents: dict[str, tuple[IndirectObject, DictionaryObject]] = {}
        self.info = {**({"Title": title} if title else {}), **info}
        self.document_javascript: str | None = None
        self.xfa = False
        self.appearance = self._add(self._stream())

    # -- objects ------------------------------------------------------------------------------
    def _reserve(self) -> IndirectObject:
        self.objects.append(DictionaryObject())
        return IndirectObject(len(self.objects), 0, None)

    def _add(self, obj: PdfObject) -> IndirectObject:
        self.objects.append(obj)
        return IndirectObject(len(self.objects), 0, None)

    def _stream(self) -> DecodedStreamObject:
        stream = DecodedStreamObject()
        stream.update(
            {
                name("Type"): name("XObject"),
                name("Subtype"): name("Form"),
                name("BBox"): ArrayObject(
                    [NumberObject(0), NumberObject(0), NumberObject(10), NumberObject(10)]
                ),
            }
        )
        stream.set_data(b"")
        return stream

    def _states(self, on: str) -> DictionaryObject:
        return DictionaryObject(
            {
                name("N"): DictionaryObject({name(on): self.appearance, name("Off"): self.appearance}),
            }
        )

    def _parent(self, full_name: str) -> IndirectObject | None:
        """The field for the part of a dotted name before its last dot, made on first use."""
        if "." not in full_name:
            return None
        parent_name = full_name.rsplit(".", 1)[0]
        if parent_name not in self.parents:
            grandparent = self._parent(parent_name)
            node = DictionaryObject(
                {name("T"): text(parent_name.rsplit(".", 1)[-1]), name("Kids"): ArrayObject()}
            )
            ref = self._add(node)
            if grandparent is not None:
                node[name("Parent")] = grandparent
                self.parents[parent_name.rsplit(".", 1)[0]][1][name("Kids")].append(ref)
            else:
                self.fields.append(ref)
            self.parents[parent_name] = (ref, node)
        return self.parents[parent_name][0]

    def parent_tooltip(self, parent_name: str, tooltip: str) -> None:
        """Give the field `parent_name` (made by a dotted name) a tooltip."""
        self.parents[parent_name][1][name("TU")] = text(tooltip)

    def _widget(self, rect: Rect, page: int, hidden: bool = False) -> DictionaryObject:
        widget = DictionaryObject(
            {
                name("Type"): name("Annot"),
                name("Subtype"): name("Widget"),
                name("Rect"): ArrayObject([FloatObject(v) for v in rect]),
                name("P"): self.page_refs[page],
            }
        )
        if hidden:
            widget[name("F")] = NumberObject(HIDDEN)
        return widget

    def _field(
        self,
        full_name: str,
        field_type: str | None,
        flags: int,
        tooltip: str | None,
        node: DictionaryObject,
        **entries: PdfObject,
    ) -> IndirectObject:
        node[name("T")] = text(full_name.rsplit(".", 1)[-1])
        if field_type:
            node[name("FT")] = name(field_type)
        if flags:
            node[name("Ff")] = NumberObject(flags)
        if tooltip:
            node[name("TU")] = text(tooltip)
        for key, value in entries.items():
            node[name(key)] = value
        ref = self._add(node)
        parent = self._parent(full_name)
        if parent is not None:
            node[name("Parent")] = parent
            self.parents[full_name.rsplit(".", 1)[0]][1][name("Kids")].append(ref)
        else:
            self.fields.append(ref)
        return ref

    def _place(self, ref: IndirectObject, page: int) -> None:
        self.annotations[page].append(ref)

    # -- fields -------------------------------------------------------------------------------
    def text(
        self,
        field_name: str,
        rect: Rect,
        page: int = 0,
        tooltip: str | None = None,
        max_len: int | None = None,
        multiline: bool = False,
        required: bool = False,
        read_only: bool = False,
        comb: bool = False,
        hidden: bool = False,
        flags: int = 0,
        mapping_name: str | None = None,
        format_script: str | None = None,
        calculate_script: str | None = None,
    ) -> IndirectObject:
        """A text field (/Tx) drawn once."""
        flags |= (MULTILINE if multiline else 0) | (REQUIRED if required else 0)
        flags |= (READ_ONLY if read_only else 0) | (COMB if comb else 0)
        entries: dict[str, PdfObject] = {}
        if max_len is not None:
            entries["MaxLen"] = NumberObject(max_len)
        if mapping_name:
            entries["TM"] = text(mapping_name)
        actions = DictionaryObject()
        if format_script:
            actions[name("F")] = javascript(format_script)
        if calculate_script:
            actions[name("C")] = javascript(calculate_script)
        if actions:
            entries["AA"] = actions
        node = self._widget(rect, page, hidden)
        node[name("DA")] = text("/Helv 0 Tf 0 g")
        ref = self._field(field_name, "Tx", flags, tooltip, node, **entries)
        if calculate_script:
            self.calculation_order.append(ref)
        self._place(ref, page)
        return ref

    def text_on_pages(
        self, field_name: str, places: Sequence[tuple[int, Rect]], tooltip: str | None = None
    ) -> None:
        """One text field drawn in several places (one value): a field with widget kids."""
        node = DictionaryObject({name("Kids"): ArrayObject()})
        ref = self._field(field_name, "Tx", 0, tooltip, node)
        for page, rect in places:
            widget = self._widget(rect, page)
            widget[name("Parent")] = ref
            widget_ref = self._add(widget)
            node[name("Kids")].append(widget_ref)
            self._place(widget_ref, page)

    def checkbox(
        self,
        field_name: str,
        rect: Rect,
        page: int = 0,
        tooltip: str | None = None,
        on: str = "Yes",
        required: bool = False,
        read_only: bool = False,
    ) -> IndirectObject:
        """A single check box (/Btn without the radio or push-button flags)."""
        node = self._widget(rect, page)
        node[name("AP")] = self._states(on)
        node[name("AS")] = name("Off")
        flags = (REQUIRED if required else 0) | (READ_ONLY if read_only else 0)
        ref = self._field(field_name, "Btn", flags, tooltip, node, V=name("Off"))
        self._place(ref, page)
        return ref

    def radio_group(
        self,
        field_name: str,
        options: Sequence[tuple[str, Rect]],
        page: int = 0,
        tooltip: str | None = None,
        required: bool = False,
        opt: Sequence[str] | None = None,
        flags: int = 0,
    ) -> IndirectObject:
        """Radio buttons sharing one field: one widget kid per (appearance state, rectangle).
        With `opt`, the field also has an /Opt array of export values, one per kid."""
        node = DictionaryObject({name("Kids"): ArrayObject()})
        flags |= RADIO | NO_TOGGLE_TO_OFF | (REQUIRED if required else 0)
        entries: dict[str, PdfObject] = {"V": name("Off")}
        if opt is not None:
            entries["Opt"] = ArrayObject([text(v) for v in opt])
        ref = self._field(field_name, "Btn", flags, tooltip, node, **entries)
        for state, rect in options:
            widget = self._widget(rect, page)
            widget[name("Parent")] = ref
            widget[name("AP")] = self._states(state)
            widget[name("AS")] = name("Off")
            widget_ref = self._add(widget)
            node[name("Kids")].append(widget_ref)
            self._place(widget_ref, page)
        return ref

    def choice(
        self,
        field_name: str,
        options: Sequence[str | tuple[str, str]],
        rect: Rect,
        page: int = 0,
        tooltip: str | None = None,
        combo: bool = True,
        required: bool = False,
        multi_select: bool = False,
        editable: bool = False,
    ) -> IndirectObject:
        """A combo box (drop-down) or list box: options are text, or (export value, text shown)."""
        opt = ArrayObject(
            [text(o) if isinstance(o, str) else ArrayObject([text(o[0]), text(o[1])]) for o in options]
        )
        flags = (COMBO if combo else 0) | (REQUIRED if required else 0)
        flags |= (MULTI_SELECT if multi_select else 0) | (EDIT if editable else 0)
        node = self._widget(rect, page)
        ref = self._field(field_name, "Ch", flags, tooltip, node, Opt=opt)
        self._place(ref, page)
        return ref

    def signature(self, field_name: str, rect: Rect, page: int = 0, tooltip: str | None = None) -> None:
        node = self._widget(rect, page)
        self._place(self._field(field_name, "Sig", 0, tooltip, node), page)

    def push_button(self, field_name: str, rect: Rect, page: int = 0, script: str | None = None) -> None:
        node = self._widget(rect, page)
        entries: dict[str, PdfObject] = {}
        if script:
            entries["A"] = javascript(script)
        self._place(self._field(field_name, "Btn", PUSH_BUTTON, None, node, **entries), page)

    # -- output -------------------------------------------------------------------------------
    def build(self, acroform: bool = True) -> bytes:
        """The PDF's bytes: a classic cross-reference table, objects numbered in order of creation.
        Without `acroform`, the catalog has no /AcroForm (a PDF that is not a form)."""
        page_dicts = []
        for index, ref in enumerate(self.page_refs):
            page = DictionaryObject(
                {
                    name("Type"): name("Page"),
                    name("Parent"): self.pages_ref,
                    name("MediaBox"): ArrayObject(
                        [NumberObject(0), NumberObject(0), NumberObject(595), NumberObject(842)]
                    ),
                    name("Resources"): DictionaryObject(),
                    name("Annots"): ArrayObject(self.annotations[index]),
                }
            )
            self.objects[ref.idnum - 1] = page
            page_dicts.append(page)
        self.objects[self.pages_ref.idnum - 1] = DictionaryObject(
            {
                name("Type"): name("Pages"),
                name("Kids"): ArrayObject(self.page_refs),
                name("Count"): NumberObject(len(self.page_refs)),
            }
        )
        form = DictionaryObject(
            {name("Fields"): ArrayObject(self.fields), name("NeedAppearances"): BooleanObject(True)}
        )
        if self.calculation_order:
            form[name("CO")] = ArrayObject(self.calculation_order)
        if self.xfa:
            form[name("XFA")] = ArrayObject()
        catalog = DictionaryObject({name("Type"): name("Catalog"), name("Pages"): self.pages_ref})
        if acroform:
            catalog[name("AcroForm")] = form
        if self.document_javascript:
            names = DictionaryObject(
                {
                    name("JavaScript"): DictionaryObject(
                        {name("Names"): ArrayObject([text("init"), javascript(self.document_javascript)])}
                    )
                }
            )
            catalog[name("Names")] = names
        objects = [*self.objects, catalog]
        root = len(objects)
        info_ref = None
        if self.info:
            objects.append(DictionaryObject({name(k): text(v) for k, v in self.info.items()}))
            info_ref = len(objects)
        return _serialise(objects, root, info_ref)


def _serialise(objects: list[PdfObject], root: int, info: int | None) -> bytes:
    out = io.BytesIO()
    out.write(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, obj in enumerate(objects, start=1):
        offsets.append(out.tell())
        out.write(f"{number} 0 obj\n".encode())
        obj.write_to_stream(out)
        out.write(b"\nendobj\n")
    xref = out.tell()
    out.write(f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode())
    for offset in offsets:
        out.write(f"{offset:010d} 00000 n \n".encode())
    trailer = f"trailer\n<< /Size {len(objects) + 1} /Root {root} 0 R"
    if info is not None:
        trailer += f" /Info {info} 0 R"
    out.write(f"{trailer} >>\nstartxref\n{xref}\n%%EOF\n".encode())
    return out.getvalue()


def encrypted(data: bytes, user_password: str, algorithm: str = "RC4-128") -> bytes:
    """`data` encrypted: an empty user password opens it without one (permissions only)."""
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(data)))
    writer.encrypt(user_password=user_password, owner_password="owner-secret", algorithm=algorithm)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def without_fields(pages: int = 1, **info: Any) -> bytes:
    """A PDF with pages and no AcroForm at all."""
    return FormPdf(pages=pages, **info).build(acroform=False)
