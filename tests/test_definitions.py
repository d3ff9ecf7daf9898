"""Form definitions: every example loads; schema and cross-reference problems are all reported, each
at its JSON path; the model's texts and content-hash versions."""

from __future__ import annotations

import copy
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import wtforms

from forms_engine.components import REGISTRY
from forms_engine.config import ROOT
from forms_engine.definitions.loader import (
    RESERVED_NAMES,
    RESERVED_PATHS,
    TOO_DEEP,
    DefinitionError,
    FormRegistry,
    Problem,
    definition_schema,
    load_definition,
    parse_definition_file,
    validate_definition_data,
)
from forms_engine.definitions.model import Text, build_definition, definition_version

FORM_DEFINITIONS = ROOT / "form_definitions"
DATA = Path(__file__).parent / "data"
ALL_COMPONENTS = json.loads((DATA / "all-components.json").read_text())
Data = dict[str, Any]


def problems_in(mutate: Callable[[Data], object]) -> list[str]:
    data = copy.deepcopy(ALL_COMPONENTS)
    mutate(data)
    return [str(p) for p in validate_definition_data(data)]


def components_of(data: Data, page: int) -> list[Data]:
    components: list[Data] = data["pages"][page]["components"]
    return components


# -- every example form ---------------------------------------------------------------------------


def test_every_file_in_form_definitions_loads_and_validates() -> None:
    paths = sorted(FORM_DEFINITIONS.glob("*.json"))
    assert paths, "no example definitions found"
    for path in paths:
        data = parse_definition_file(path)
        assert validate_definition_data(data) == [], path.name
        definition = load_definition(path)
        assert definition.questions(), path.name
        for page in definition.pages:
            for component in page.components:
                assert component.type in REGISTRY
    registry = FormRegistry.from_directory(FORM_DEFINITIONS)
    assert registry.unavailable == {}
    assert len(registry.forms) == len(paths)


def test_the_test_definitions_are_valid() -> None:
    for path in sorted(DATA.glob("*.json")):
        load_definition(path)


# -- schema problems ------------------------------------------------------------------------------


def test_schema_problems_are_all_reported_each_at_its_json_path() -> None:
    def break_several_things(data: Data) -> None:
        components_of(data, 0)[1:] = [{"id": "x", "type": "Slider", "name": "x", "title": "X"}]
        components_of(data, 1)[0]["options"] = {"maxLength": "long", "colour": "red"}
        del components_of(data, 2)[0]["title"]
        data["pages"][3]["path"] = "no-leading-slash"
        del data["service"]["privacyNoticeUrl"]

    assert problems_in(break_several_things) == [
        "$.pages[0].components[1].type: 'Slider' is not one of "
        + repr(definition_schema()["$defs"]["component"]["properties"]["type"]["enum"]),
        "$.pages[1].components[0].options: Unknown properties are not allowed ('colour' was unexpected)",
        "$.pages[1].components[0].options.maxLength: 'long' is not of type 'integer'",
        "$.pages[2].components[0]: 'title' is a required property",
        "$.pages[3].path: 'no-leading-slash' does not match '^/[a-z0-9]+(-[a-z0-9]+)*$'",
        "$.service: 'privacyNoticeUrl' is a required property",
    ]


def test_schema_problems_are_in_document_order_with_pages_compared_as_numbers() -> None:
    def break_pages(data: Data) -> None:
        data["pages"][10]["id"] = "Not an id!"
        data["pages"][2]["id"] = "Not an id either!"

    paths = [p.split(":")[0] for p in problems_in(break_pages)]
    assert paths == ["$.pages[2].id", "$.pages[10].id"]


@pytest.mark.parametrize(
    ("mutate", "expected"),
    [
        (
            lambda d: d.update(title={"cy": "Teitl"}),
            "$.title: must be a non-empty string or an object of translations with an 'en' string",
        ),
        (
            lambda d: d.update(title=""),
            "$.title: must be a non-empty string or an object of translations with an 'en' string",
        ),
        (lambda d: d.update(extra=True), "$: Unknown properties are not allowed ('extra' was unexpected)"),
        (lambda d: d.update(pages=[]), "$.pages: [] should be non-empty"),
        (lambda d: d.pop("slug"), "$: 'slug' is a required property"),
        (
            lambda d: d["paperForm"].update(organisation="MI5"),
            "$.paperForm.organisation: 'MI5' is not one of ['APHA', 'EA', 'NE', 'RPA', 'MMO', 'Defra']",
        ),
        (
            lambda d: components_of(d, 9)[0].pop("list"),
            "$.pages[9].components[0]: 'list' is a required property",
        ),
        (
            lambda d: components_of(d, 6)[0]["options"].update(latest="yesterday"),
            "$.pages[6].components[0].options.latest: 'yesterday' does not match "
            "'^([0-9]{4}-[0-9]{2}-[0-9]{2}|today|[+-][0-9]{1,4}[dmy])$'",
        ),
        (
            lambda d: components_of(d, 15)[1].update(optional=True),
            "$.pages[15].components[1].optional: 'optional' is not allowed for this component type",
        ),
        (
            lambda d: components_of(d, 15)[3].update(hint="A hint"),
            "$.pages[15].components[3].hint: 'hint' is not allowed for this component type",
        ),
        (
            lambda d: components_of(d, 2)[0]["options"].update(maxLength=10),
            "$.pages[2].components[0].options: {'maxWords': 5, 'maxLength': 10} should not be valid "
            "under {'required': ['maxLength', 'maxWords']}",
        ),
    ],
)
def test_schema_problems_name_the_path_and_say_what_is_wrong(
    mutate: Callable[[Data], object], expected: str
) -> None:
    assert problems_in(mutate) == [expected]


def test_a_definition_that_is_not_an_object_is_one_problem_at_the_root() -> None:
    assert [str(p) for p in validate_definition_data([])] == ["$: [] is not of type 'object'"]


def test_the_schema_component_types_are_exactly_the_registered_handlers() -> None:
    schema_types = definition_schema()["$defs"]["component"]["properties"]["type"]["enum"]
    assert len(schema_types) == len(set(schema_types))
    assert set(schema_types) == set(REGISTRY)


# -- cross-reference problems ---------------------------------------------------------------------


def _set(target: Callable[[Data], Data], **values: Any) -> Callable[[Data], None]:
    return lambda data: target(data).update(values)


def _first_component(page: int, index: int = 0) -> Callable[[Data], Data]:
    return lambda data: components_of(data, page)[index]


def _page(page: int) -> Callable[[Data], Data]:
    return lambda data: data["pages"][page]


def _options(page: int, index: int = 0) -> Callable[[Data], Data]:
    return lambda data: components_of(data, page)[index].setdefault("options", {})


REFERENCE_PROBLEMS = [
    (
        "duplicate page id",
        _set(_page(1), id="full-name"),
        ["$.pages[1].id: duplicate page id 'full-name' (first used at $.pages[0].id)"],
    ),
    (
        "duplicate page path",
        _set(_page(2), path="/full-name"),
        ["$.pages[2].path: duplicate page path '/full-name' (first used at $.pages[0].path)"],
    ),
    (
        "duplicate component id",
        _set(_first_component(3), id="full-name"),
        [
            "$.pages[3].components[0].id: duplicate component id 'full-name' "
            "(first used at $.pages[0].components[0].id)"
        ],
    ),
    (
        "duplicate component name",
        _set(_first_component(14, 2), name="fullName"),
        [
            "$.pages[14].components[2].name: duplicate component name 'fullName' "
            "(first used at $.pages[0].components[0].name)"
        ],
    ),
    (
        "unknown list",
        _set(_first_component(9), list="shapes"),
        ["$.pages[9].components[0].list: unknown list 'shapes'"],
    ),
    (
        "unknown section",
        _set(_page(3), section="elsewhere"),
        ["$.pages[3].section: unknown section 'elsewhere'"],
    ),
    (
        "list on a text field",
        _set(_first_component(0), list="colours"),
        ["$.pages[0].components[0].list: TextField does not use a list"],
    ),
    (
        "list on a yes/no field",
        _set(_first_component(8), list="colours"),
        ["$.pages[8].components[0].list: YesNoField does not use a list"],
    ),
    (
        "reserved path",
        _set(_page(4), path="/check-answers"),
        ["$.pages[4].path: '/check-answers' is used by the engine; choose another path"],
    ),
    (
        "reserved name",
        _set(_first_component(1), name="csrf_token"),
        ["$.pages[1].components[0].name: 'csrf_token' is used by the engine; choose another name"],
    ),
    (
        "form attribute as a name",
        _set(_first_component(1), name="meta"),
        ["$.pages[1].components[0].name: 'meta' is used by the engine; choose another name"],
    ),
    (
        "confirmation email component unknown",
        lambda d: d.update(confirmationEmailComponent="nope"),
        ["$.confirmationEmailComponent: unknown component 'nope'"],
    ),
    (
        "confirmation email component not an email field",
        lambda d: d.update(confirmationEmailComponent="phone"),
        ["$.confirmationEmailComponent: 'phone' is a TelephoneNumberField, not an EmailAddressField"],
    ),
    (
        "regex without errors.format",
        _set(_options(1), regex=r"\d+", example="123"),
        ["$.pages[1].components[0].errors: a regex needs an error message under errors.format"],
    ),
    (
        "regex without an example",
        lambda d: components_of(d, 1)[0].update(options={"regex": r"\d+"}, errors={"format": "Enter digits"}),
        ["$.pages[1].components[0].options: a regex needs an example of a valid answer"],
    ),
    (
        "regex with an example that does not match",
        lambda d: components_of(d, 1)[0].update(
            options={"regex": r"\d+", "example": "12a"}, errors={"format": "Enter digits"}
        ),
        ["$.pages[1].components[0].options.example: the example does not match the regex"],
    ),
    (
        "regex that is not a pattern",
        lambda d: components_of(d, 1)[0].update(
            options={"regex": "(", "example": "("}, errors={"format": "Enter digits"}
        ),
        [
            "$.pages[1].components[0].options.regex: not a valid pattern: "
            "missing ), unterminated subpattern at position 0"
        ],
    ),
    (
        "min greater than max",
        _set(_options(3), min=10, max=5),
        ["$.pages[3].components[0].options.min: min is greater than max"],
    ),
    (
        "minLength greater than maxLength",
        _set(_options(0), minLength=30),
        ["$.pages[0].components[0].options.minLength: minLength is greater than maxLength"],
    ),
    (
        "minSelected greater than maxSelected",
        _set(_options(10), minSelected=3, maxSelected=2),
        ["$.pages[10].components[0].options.minSelected: minSelected is greater than maxSelected"],
    ),
    (
        "minSelected more than the items",
        _set(_options(10), minSelected=5),
        ["$.pages[10].components[0].options.minSelected: minSelected is more than the 4 items in the list"],
    ),
    (
        "a date that does not exist",
        _set(_options(6), earliest="2023-02-30"),
        ["$.pages[6].components[0].options.earliest: '2023-02-30' is not a real date"],
    ),
    (
        "earliest after latest",
        _set(_options(7), earliest="2024-01-01", latest="2023-01-01"),
        ["$.pages[7].components[0].options.earliest: earliest is after latest"],
    ),
    (
        "relative earliest after relative latest",
        _set(_options(7), earliest="+1y", latest="today"),
        ["$.pages[7].components[0].options.earliest: earliest is after latest"],
    ),
    (
        "duplicate list item value",
        lambda d: d["lists"][0]["items"].append({"text": "Crimson", "value": "red"}),
        [
            "$.lists[0].items[3].value: duplicate list item value 'red' "
            "(first used at $.lists[0].items[0].value)"
        ],
    ),
    (
        "duplicate section id",
        lambda d: d["sections"].append({"id": "about", "title": "Again"}),
        ["$.sections[1].id: duplicate section id 'about' (first used at $.sections[0].id)"],
    ),
    (
        "english not first",
        lambda d: d.update(languages=["cy", "en"]),
        ["$.languages[0]: English ('en') must be the first language"],
    ),
]


@pytest.mark.parametrize(
    ("mutate", "expected"),
    [(mutate, expected) for _, mutate, expected in REFERENCE_PROBLEMS],
    ids=[name for name, _, _ in REFERENCE_PROBLEMS],
)
def test_cross_reference_problems_are_reported_at_their_path(
    mutate: Callable[[Data], object], expected: list[str]
) -> None:
    assert problems_in(mutate) == expected


def test_every_cross_reference_problem_is_reported_not_just_the_first() -> None:
    def break_everything(data: Data) -> None:
        for _, mutate, _ in REFERENCE_PROBLEMS:
            mutate(data)

    found = problems_in(break_everything)
    # Later mutations overwrite some earlier ones; every remaining kind is reported.
    assert len(found) >= 15
    for fragment in (
        "duplicate page id",
        "duplicate page path",
        "unknown section",
        "does not use a list",
        "is used by the engine",
        "not a real date",
        "earliest is after latest",
        "English ('en') must be the first language",
    ):
        assert any(fragment in problem for problem in found), fragment


def test_the_reserved_names_cover_every_public_attribute_of_a_wtforms_form() -> None:
    public = {name for name in dir(wtforms.Form) if not name.startswith("_")}
    assert public <= RESERVED_NAMES


def test_the_runners_own_pages_are_reserved_paths() -> None:
    assert {"/start", "/check-answers", "/confirmation"} <= RESERVED_PATHS


# -- files ----------------------------------------------------------------------------------------


def test_invalid_json_is_reported_with_its_line_and_column(tmp_path: Path) -> None:
    path = tmp_path / "broken.json"
    path.write_text('{\n  "slug": "broken",\n  "title": \n}\n')
    with pytest.raises(DefinitionError) as caught:
        load_definition(path)
    assert caught.value.problems == [Problem("$", "invalid JSON at line 4 column 1: Expecting value")]


def test_a_file_that_is_not_utf8_is_reported(tmp_path: Path) -> None:
    path = tmp_path / "latin1.json"
    path.write_bytes('{"title": "Caf\u00e9"}'.encode("latin-1"))
    with pytest.raises(DefinitionError) as caught:
        load_definition(path)
    assert caught.value.problems[0].message.startswith("not UTF-8 text")


def test_a_definition_error_lists_every_problem(tmp_path: Path) -> None:
    data = copy.deepcopy(ALL_COMPONENTS)
    data["pages"][1]["id"] = "full-name"
    data["pages"][2]["path"] = "/full-name"
    path = tmp_path / "two-problems.json"
    path.write_text(json.dumps(data))
    with pytest.raises(DefinitionError) as caught:
        load_definition(path)
    assert [p.path for p in caught.value.problems] == ["$.pages[1].id", "$.pages[2].path"]
    assert str(caught.value) == f"{path}: 2 problem(s)"


def test_a_bad_file_makes_only_that_form_unavailable(tmp_path: Path) -> None:
    (tmp_path / "good.json").write_text(json.dumps(ALL_COMPONENTS))
    (tmp_path / "bad.json").write_text("{")
    duplicate = copy.deepcopy(ALL_COMPONENTS) | {"title": "Same slug"}
    (tmp_path / "same-slug.json").write_text(json.dumps(duplicate))
    registry = FormRegistry.from_directory(tmp_path)
    assert list(registry.forms) == ["all-components"]
    assert set(registry.unavailable) == {"bad", "same-slug"}
    assert registry.unavailable["same-slug"] == [
        Problem("$.slug", "slug 'all-components' is already used by another file")
    ]


def test_a_file_nested_too_deeply_to_check_makes_only_that_form_unavailable(tmp_path: Path) -> None:
    """JSON nested past Python's recursion limit, or a condition hundreds of `not`s deep, is a problem
    of that file: the service still starts with its other forms."""
    (tmp_path / "good.json").write_text(json.dumps(ALL_COMPONENTS))
    (tmp_path / "deep-json.json").write_text("[" * 100_000 + "]" * 100_000)
    deep = copy.deepcopy(ALL_COMPONENTS) | {"slug": "deep-condition"}
    condition: dict[str, Any] = {"component": "fullName", "op": "answered"}
    for _ in range(max(400, sys.getrecursionlimit() * 2 // 5)):  # a few calls a level
        condition = {"not": condition}
    deep["pages"][1]["condition"] = condition
    (tmp_path / "deep-condition.json").write_text(json.dumps(deep))
    registry = FormRegistry.from_directory(tmp_path)
    assert list(registry.forms) == ["all-components"]
    assert registry.unavailable == {"deep-json": [TOO_DEEP], "deep-condition": [TOO_DEEP]}


# -- the model ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "language", "expected"),
    [
        ("Your name", "en", "Your name"),
        ("Your name", "cy", "Your name"),
        ({"en": "Your name", "cy": "Eich enw"}, "cy", "Eich enw"),
        ({"en": "Your name", "cy": "Eich enw"}, "en", "Your name"),
        ({"en": "Your name"}, "cy", "Your name"),
        ({"en": "Your name", "cy": "Eich enw"}, "fr", "Your name"),
    ],
)
def test_text_is_shown_in_a_language_falling_back_to_english(
    value: str | dict[str, str], language: str, expected: str
) -> None:
    text = Text(value)
    assert text.in_language(language) == expected
    assert str(text) == "Your name"


def test_translated_titles_reach_the_model() -> None:
    data = copy.deepcopy(ALL_COMPONENTS)
    data["languages"] = ["en", "cy"]
    data["pages"][0]["title"] = {"en": "Your name", "cy": "Eich enw"}
    definition = build_definition(data)
    assert definition.pages[0].title == "Your name"
    assert definition.pages[0].title.in_language("cy") == "Eich enw"
    assert definition.languages == ("en", "cy")


def test_the_version_is_a_hash_of_the_content() -> None:
    same = json.loads(json.dumps(ALL_COMPONENTS))
    reordered = dict(reversed(list(copy.deepcopy(ALL_COMPONENTS).items())))
    changed = copy.deepcopy(ALL_COMPONENTS)
    changed["pages"][0]["title"] = "What is your name?"

    version = build_definition(ALL_COMPONENTS).version
    assert len(version) == 64 and int(version, 16) >= 0
    assert build_definition(same).version == version
    assert definition_version(reordered) == version
    assert build_definition(changed).version != version


def test_loading_the_same_file_twice_gives_the_same_version(tmp_path: Path) -> None:
    path = tmp_path / "form.json"
    path.write_text(json.dumps(ALL_COMPONENTS, indent=2))
    first = load_definition(path)
    path.write_text(json.dumps(ALL_COMPONENTS))
    assert load_definition(path).version == first.version
