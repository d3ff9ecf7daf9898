"""The shared part of the Defra Forms importer: findings, the import's state, and turning Defra's
texts (plain, HTML, Markdown, with Welsh translations) into native texts."""

from __future__ import annotations

import difflib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from ...definitions.loader import RESERVED_NAMES, RESERVED_PATHS
from .defra_conditions import FieldInfo
from .defra_text import UniqueNames, demote_markdown_headings, html_to_markdown, looks_like_html, plain_text

ERROR, WARNING, INFO = "error", "warning", "info"

#: Why well-known Defra settings are not carried over (anything else: no native equivalent).
REASONS = {
    "outputs": "set the native 'deliveries' (team email, webhook) instead",
    "outputEmail": "set the native 'deliveries' (team email) instead",
    "notificationEmail": "set the native 'deliveries' (team email) instead",
    "feedback": "the native service has no feedback form settings",
    "phaseBanner": "the native layout has no phase banner setting",
    "fees": "the native engine takes no payments",
    "payApiKey": "the native engine takes no payments",
    "paymentReferenceFormat": "the native engine takes no payments",
    "skipSummary": "the native journey always ends with check your answers",
    "events": "the native engine calls no web services while a form is filled in",
    "view": "native pages use the engine's own templates",
    "backLinkText": "native back links always read 'Back'",
    "version": "native versions are content hashes, worked out from the definition",
    "classes": "only GOV.UK width classes (govuk-!-width-...) are kept, on components that take them",
}


@dataclass(frozen=True)
class Finding:
    """One thing for the designer to look at: where in the source (a JSON path), how serious
    (error: not imported; warning: needs a designer's eye; info: carried over with a change), and what."""

    path: str
    level: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.level}: {self.message}"


@dataclass
class ImportResult:
    definition: dict[str, Any]
    report: list[Finding]

    def findings(self, level: str) -> list[Finding]:
        return [f for f in self.report if f.level == level]


class DefraImportError(Exception):
    """A file that could not be imported at all (unreadable, or not a Defra Forms definition)."""


# -- the conversion --------------------------------------------------------------------------------


@dataclass
class SourcePage:
    index: int
    path: str  # JSON path in the source
    source: Mapping[str, Any]
    key: str  # the Defra path, normalised as Defra compares paths
    kind: str  # question, summary, status, start, exit, repeat
    native: dict[str, Any] = field(default_factory=dict)
    questions: list[str] = field(default_factory=list)
    repeat: dict[str, Any] | None = None

    @property
    def is_end(self) -> bool:
        return self.kind in ("summary", "status")


@dataclass
class SourceField:
    """A source question, to resolve the references conditions make to it."""

    source_name: str
    source_id: str
    section: str
    title: str
    page_key: str
    info: FieldInfo


@dataclass
class SourceList:
    id: str
    path: str
    items: list[dict[str, Any]]
    by_source_value: dict[str, str]
    by_text: dict[str, str]
    by_item_id: dict[str, Any]


def normalise_path(path: Any) -> str:
    return str(path or "").strip().strip("/")


def is_empty(value: Any) -> bool:
    return value is None or value == "" or value == {} or value == []


def describe(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=False, default=str)
    return text if len(text) <= 80 else text[:77] + "..."


class ConverterBase:
    """The import's state and what every part of the conversion uses."""

    def __init__(self, data: Mapping[str, Any], source_name: str):
        if not isinstance(data, Mapping):
            raise DefraImportError("not a Defra Forms definition: the top level is not an object")
        if "schemaVersion" in data and "paperForm" in data:
            raise DefraImportError("this is already a native form definition, not a Defra Forms definition")
        pages = data.get("pages")
        if not isinstance(pages, list) or not any(isinstance(p, Mapping) and "path" in p for p in pages):
            raise DefraImportError("not a Defra Forms definition: it has no pages with a path")
        self.data = data
        self.source_name = source_name
        self.report: list[Finding] = []
        self.v2 = str(data.get("engine", "")).upper() == "V2" or data.get("schema") == 2
        metadata = data.get("metadata")
        self.metadata: Mapping[str, Any] = metadata if isinstance(metadata, Mapping) else {}
        translations = self.metadata.get("translations")
        welsh = translations.get("cy") if isinstance(translations, Mapping) else None
        self.welsh: Mapping[str, Any] = welsh if isinstance(welsh, Mapping) else {}
        self.used_translations: set[str] = set()
        self.uses_welsh = False
        self.sections: dict[str, str] = {}
        self.section_defs: list[dict[str, Any]] = []
        self.lists: dict[str, SourceList] = {}
        self.list_defs: list[dict[str, Any]] = []
        self.pages: list[SourcePage] = []
        self.fields: list[SourceField] = []
        self.names = UniqueNames(RESERVED_NAMES)
        self.page_ids = UniqueNames()
        self.page_paths = UniqueNames(p.lstrip("/") for p in RESERVED_PATHS)
        self.condition_ids = UniqueNames()
        self.source_conditions: dict[str, tuple[int, Mapping[str, Any]]] = {}
        self.converted: dict[int, str | None] = {}
        self.converting: set[int] = set()
        self.named: dict[str, dict[str, Any]] = {}
        self.pending: list[tuple[dict[str, Any], str, str, str]] = []  # (target, source ref, path, what)

    # -- findings ---------------------------------------------------------------------------------
    def note(self, path: str, level: str, message: str) -> None:
        finding = Finding(path, level, message)
        if finding not in self.report:
            self.report.append(finding)

    def leftovers(
        self,
        source: Mapping[str, Any],
        handled: Iterable[str],
        path: str,
        what: str,
        reasons: Mapping[str, str] | None = None,
    ) -> None:
        """Report every key of `source` with a value that the conversion did not use, and why."""
        handled = set(handled)
        for key, value in source.items():
            if key not in handled and not is_empty(value):
                reason = (reasons or REASONS).get(key, "the native format has no equivalent")
                self.note(
                    f"{path}.{key}",
                    WARNING,
                    f"{what} '{key}' ({describe(value)}) is not carried over: {reason}",
                )

    def as_list(self, value: Any, path: str) -> list[Any]:
        """`value` when it is a list (None: empty); anything else is reported and taken as empty."""
        if value is None:
            return []
        if isinstance(value, list):
            return value
        self.note(path, WARNING, f"not a list ({describe(value)}): ignored")
        return []

    def as_mapping(self, value: Any, path: str) -> Mapping[str, Any]:
        """`value` when it is an object (None: empty); anything else is reported and taken as empty."""
        if value is None:
            return {}
        if isinstance(value, Mapping):
            return value
        self.note(path, WARNING, f"not an object ({describe(value)}): ignored")
        return {}

    # -- text -------------------------------------------------------------------------------------
    def text(self, value: Any, keys: Iterable[str] = ()) -> Any:
        """A native text (a string, or English and Welsh) from a Defra text and its translations."""
        if isinstance(value, Mapping):
            english = value.get("en")
            welsh_inline = value.get("cy")
        else:
            english, welsh_inline = value, None
        if english is None or (isinstance(english, str) and not english.strip()):
            return None
        english_text = str(english).strip()
        welsh_text = str(welsh_inline).strip() if welsh_inline else None
        for key in keys:
            if key in self.welsh:
                self.used_translations.add(key)
                candidate = self.welsh[key]
                if candidate is not None and str(candidate).strip():
                    welsh_text = welsh_text or str(candidate).strip()
        if welsh_text:
            self.uses_welsh = True
            return {"en": english_text, "cy": welsh_text}
        return english_text

    @staticmethod
    def english(text: Any) -> str:
        return str(text.get("en") or "") if isinstance(text, Mapping) else str(text or "")

    def map_text(self, text: Any, change: Any) -> Any:
        """Apply `change` to each language of a native text."""
        if isinstance(text, Mapping):
            return {lang: change(value) for lang, value in text.items()}
        return change(text)

    def markdown(self, value: Any, keys: Iterable[str], path: str) -> Any:
        """Defra content (Markdown, or HTML) as native Markdown, headings under the page's h1."""
        text = self.text(value, keys)
        if text is None:
            return None
        if looks_like_html(self.english(text)):
            text = self.map_text(text, html_to_markdown)
            self.note(path, INFO, "HTML turned into Markdown")
        changed = [False]

        def demote(content: str) -> str:
            new, did = demote_markdown_headings(content.replace("\r\n", "\n"))
            changed[0] = changed[0] or did
            return new

        text = self.map_text(text, demote)
        if changed[0]:
            self.note(path, INFO, "headings moved down a level: the page's title is its only level-1 heading")
        return text if self.english(text).strip() else None

    def plain(self, value: Any, keys: Iterable[str], path: str) -> Any:
        """Defra text that the native format shows as plain text (hints, labels)."""
        text = self.text(value, keys)
        if text is not None and looks_like_html(self.english(text)):
            text = self.map_text(text, plain_text)
            self.note(path, INFO, "HTML tags removed: the native format shows this as plain text")
        return text if text is None or self.english(text) else None

    def section_of(self, value: Any, path: str) -> str | None:
        if is_empty(value):
            return None
        key = str(value)
        if key in self.sections:
            return self.sections[key]
        close = difflib.get_close_matches(key, list(self.sections), n=1, cutoff=0.6)
        if close:
            self.note(
                path, WARNING, f"no section '{key}': taken to be '{close[0]}', the closest name: check it"
            )
            self.sections[key] = self.sections[close[0]]
            return self.sections[close[0]]
        self.note(path, WARNING, f"no section '{key}': the page is carried over without a section")
        return None

    def list_of(self, value: Any, path: str) -> SourceList | None:
        if is_empty(value):
            self.note(path, WARNING, "a choice question without a list is not carried over")
            return None
        key = str(value)
        if key in self.lists:
            return self.lists[key]
        close = difflib.get_close_matches(key, list(self.lists), n=1, cutoff=0.6)
        if close:
            self.note(path, WARNING, f"no list '{key}': taken to be '{close[0]}', the closest name: check it")
            return self.lists[close[0]]
        self.note(path, WARNING, f"no list '{key}': the question is not carried over")
        return None

    def page_keys(self, page: SourcePage, prop: str) -> list[str]:
        keys = [f"pages.{k}.{prop}" for k in (page.source.get("id"), page.key, page.source.get("path")) if k]
        return keys

    @staticmethod
    def component_keys(component: Mapping[str, Any], prop: str) -> list[str]:
        return [f"components.{k}.{prop}" for k in (component.get("id"), component.get("name")) if k]
