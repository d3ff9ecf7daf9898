"""The sample Defra Forms definitions beside the repository (../shared/defra-forms/, data only, never
copied here): finding them, importing them into a folder the app serves, and the answers with which
walks through an imported form reach every one of its pages.

Walks are worked out with the journey core (no HTTP): starting from every question's example answer,
each question a condition depends on is tried with each of its other answers (every list item, yes and
no, the values conditions compare text with) until every page has been on some walk's path and one
walk reaches check answers. A repeat gets as many items as it needs (its minimum, at least one).
"""

from __future__ import annotations

import json
from collections import deque
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

import forms_engine.config
from forms_engine.definitions import conditions
from forms_engine.definitions.loader import validate_definition_data
from forms_engine.definitions.model import FormDefinition
from forms_engine.designer.importers.defra import ImportResult, convert_defra, load_defra_file
from forms_engine.journey import CompiledPage, RepeatSection, journey_for
from forms_engine.journey.repeats import done_key

SAMPLES = Path(forms_engine.config.ROOT).parent / "shared" / "defra-forms"
NO_SAMPLES = (
    f"no sample Defra Forms definitions at {SAMPLES} (../shared/defra-forms beside the repository): "
    "the tests that import them are skipped"
)
SUFFIXES = (".json", ".yaml", ".yml")


def sample_files() -> list[Path]:
    if not SAMPLES.is_dir():
        return []
    return sorted(p for p in SAMPLES.iterdir() if p.suffix.lower() in SUFFIXES)


def sample_params() -> list[Any]:
    """One pytest parameter per sample file, or a single skipped one when the folder is absent."""
    files = sample_files()
    if not files:
        return [pytest.param(None, id="no-samples", marks=pytest.mark.skip(reason=NO_SAMPLES))]
    return [pytest.param(path, id=path.name) for path in files]


def import_sample(path: Path) -> ImportResult:
    return convert_defra(load_defra_file(path), path.name)


def import_samples(folder: Path) -> dict[str, str]:
    """Import every sample into `folder` as <slug>.json; returns the slug of each sample file's name."""
    folder.mkdir(parents=True, exist_ok=True)
    slugs = {}
    for path in sample_files():
        definition = import_sample(path).definition
        assert validate_definition_data(definition) == [], path.name
        (folder / f"{definition['slug']}.json").write_text(json.dumps(definition, indent=2), encoding="utf-8")
        slugs[path.name] = definition["slug"]
    return slugs


@dataclass(frozen=True)
class Walk:
    """Answers that differ from the examples (form data by field name), the pages the walk goes
    through (slugs, with `repeat/<id>` for a repeat's summary) and whether it reaches check answers."""

    overrides: dict[str, list[str]]
    pages: tuple[str, ...]
    complete: bool


def page_data(compiled: CompiledPage, overrides: dict[str, list[str]]) -> dict[str, list[str]]:
    example = compiled.example()
    return {**example, **{k: v for k, v in overrides.items() if k in example}}


def repeat_items(section: RepeatSection) -> int:
    return max(section.repeat.min_items, 1)


def _simulate(definition: FormDefinition, overrides: dict[str, list[str]]) -> tuple[Walk, list[str]] | None:
    """The walk these answers make, and the questions it asks; None when an answer is refused."""
    journey = journey_for(definition)
    answers: dict[str, Any] = {}
    visited: list[str] = []
    asked: list[str] = []
    path = journey.pages_on_path(answers)
    step: Any = path[0] if path else None
    # Like the runner: from each page to the next on the path (content pages included).
    for _ in range(4 * len(journey.pages) + 10):
        if step is None:
            return Walk(overrides, tuple(visited), True), asked
        if isinstance(step, RepeatSection):
            items = []
            for _index in range(repeat_items(step)):
                item: dict[str, Any] = {}
                for page in step.pages:
                    result = page.validate(page_data(page, overrides), {**answers, **item})
                    if not result.is_valid:
                        return None
                    item.update(result.answers)
                    asked += [h.name for h in page.questions]
                    if page.page.slug not in visited:
                        visited.append(page.page.slug)
                items.append(item)
            answers[step.repeat.id] = items
            answers[done_key(step.repeat.id)] = True
            visited.append(f"repeat/{step.repeat.id}")
        else:
            visited.append(step.page.slug)
            if step.page.exit:
                return Walk(overrides, tuple(visited), False), asked
            result = step.validate(page_data(step, overrides), answers)
            if not result.is_valid:
                return None
            answers.update(result.answers)
            asked += [h.name for h in step.questions]
        step = journey.next_page(step, answers)
    raise AssertionError(f"{definition.slug}: the walk does not end")


def _compared_values(definition: FormDefinition) -> dict[str, list[Any]]:
    """For each question, the values conditions compare it with."""
    found: dict[str, list[Any]] = {}
    sources = list(definition.conditions.values())
    sources += [p.condition for p in definition.pages if p.condition]
    sources += [c.condition for p in definition.pages for c in p.components if c.condition]
    sources += [i.condition for lst in definition.lists.values() for i in lst.items if i.condition]
    for condition in sources:
        for leaf, _ in conditions.walk(condition, "$"):
            if "component" not in leaf:
                continue
            values = leaf.get("value")
            for value in values if isinstance(values, list) else [values]:
                if value is not None:
                    found.setdefault(leaf["component"], []).append(value)
                if isinstance(value, (int, float)) and not isinstance(value, bool):
                    found[leaf["component"]] += [value + 1, value - 1]
    return found


def _alternatives(definition: FormDefinition, compared: dict[str, list[Any]]) -> dict[str, list[list[str]]]:
    """Other answers to try for each question a condition depends on."""
    options: dict[str, list[list[str]]] = {}
    for _page, component in definition.questions():
        if component.name not in compared:
            continue
        if component.type == "YesNoField":
            options[component.name] = [["yes"], ["no"]]
        elif component.list_id is not None:
            options[component.name] = [[item.value] for item in definition.lists[component.list_id].items]
        elif component.type in ("TextField", "MultilineTextField", "NumberField", "EmailAddressField"):
            values = [v for v in compared[component.name] if not isinstance(v, bool)]
            options[component.name] = [[str(v)] for v in dict.fromkeys(values)]
    return options


def covering_walks(definition: FormDefinition, limit: int = 300) -> list[Walk]:
    """Walks that between them go through every page, the first complete one first."""
    alternatives = _alternatives(definition, _compared_values(definition))
    every_page = {p.page.slug for p in journey_for(definition).pages}
    walks: list[Walk] = []
    covered: set[str] = set()
    queue: deque[dict[str, list[str]]] = deque([{}])
    seen: set[frozenset[tuple[str, tuple[str, ...]]]] = {frozenset()}
    for _ in range(limit):
        if not queue:
            break
        overrides = queue.popleft()
        simulated = _simulate(definition, overrides)
        if simulated is None:
            continue
        walk, asked = simulated
        first_complete = walk.complete and not any(w.complete for w in walks)
        if first_complete or not set(walk.pages) <= covered:
            walks.append(walk)
            covered |= set(walk.pages)
        if every_page <= covered and any(w.complete for w in walks):
            break
        for name in dict.fromkeys(asked):
            for value in alternatives.get(name, []):
                changed = {**overrides, name: value}
                key = frozenset((k, tuple(v)) for k, v in changed.items())
                if key not in seen:
                    seen.add(key)
                    queue.append(changed)
    return sorted(walks, key=lambda w: not w.complete)
