"""Lint rules: each rule has a definition that triggers it and a near miss that does not; silencing
with and without a reason; `forms-engine lint` output (text and JSON) and exit codes; the example
forms pass with no errors."""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from forms_engine.cli import main
from forms_engine.config import ROOT
from forms_engine.definitions.loader import definition_warnings, validate_definition_data
from forms_engine.designer.lint import (
    RULES,
    Finding,
    check_definition,
    lint_definition,
    lint_file,
)
from forms_engine.designer.lint_commands import lint_command

EXAMPLES = sorted((ROOT / "form_definitions").glob("*.json"))
Data = dict[str, Any]
Mutate = Callable[[Data], object]


def question(name: str, title: str, kind: str = "TextField", **extra: Any) -> Data:
    return {"id": name, "type": kind, "name": name, "title": title, **extra}


BASE: Data = {
    "schemaVersion": 1,
    "slug": "register-your-bees",
    "title": "Register your bees",
    "paperForm": {"reference": "BEE1", "title": "Bee registration", "organisation": "APHA"},
    "service": {
        "contact": {"name": "Bee team", "email": "bees@example.gov.uk"},
        "privacyNoticeUrl": "https://www.gov.uk/privacy",
        "whatHappensNext": "We will email you within 10 working days.",
    },
    "startPage": {"content": "Use this service to register where you keep bees."},
    "lists": [
        {
            "id": "hiveTypes",
            "items": [
                {"text": "National", "value": "national"},
                {"text": "Langstroth", "value": "langstroth"},
                {"text": "Top bar", "value": "top-bar"},
            ],
        }
    ],
    "pages": [
        {
            "id": "name",
            "path": "/name",
            "title": "What is your full name?",
            "components": [
                question(
                    "fullName",
                    "What is your full name?",
                    shortTitle="Your name",
                    hint="As it appears on your bank statements.",
                )
            ],
        },
        {
            "id": "in-england",
            "path": "/in-england",
            "title": "Are your hives in England?",
            "components": [
                question(
                    "inEngland", "Are your hives in England?", "YesNoField", shortTitle="Hives in England"
                )
            ],
        },
        {
            "id": "not-england",
            "path": "/not-england",
            "title": "You cannot use this service",
            "exit": True,
            "condition": {"component": "inEngland", "op": "is", "value": False},
            "components": [
                {
                    "id": "notEngland",
                    "type": "Markdown",
                    "name": "notEngland",
                    "content": "Register with the [Welsh bee service](https://www.gov.wales/bees) instead.",
                }
            ],
        },
        {
            "id": "hive-type",
            "path": "/hive-type",
            "title": "What type of hive do you use?",
            "components": [
                question(
                    "hiveType",
                    "What type of hive do you use?",
                    "RadiosField",
                    shortTitle="Hive type",
                    list="hiveTypes",
                )
            ],
        },
        {
            "id": "hives",
            "path": "/hives",
            "title": "How many hives do you have?",
            "components": [
                question(
                    "hives",
                    "How many hives do you have?",
                    "NumberField",
                    shortTitle="Number of hives",
                    options={"min": 1, "max": 500},
                )
            ],
        },
    ],
}


def mutated(mutate: Mutate) -> Data:
    data = copy.deepcopy(BASE)
    mutate(data)
    return data


def findings_for(mutate: Mutate) -> list[Finding]:
    data = mutated(mutate)
    assert validate_definition_data(data) == []
    return lint_definition(data)


def page(data: Data, index: int) -> Data:
    result: Data = data["pages"][index]
    return result


def component(data: Data, page_index: int, index: int = 0) -> Data:
    result: Data = data["pages"][page_index]["components"][index]
    return result


def set_at(data: Data, path: str, value: Any) -> None:
    """Set the value at a simple JSON path such as `$.pages[2].components[0].title`."""
    parts: list[str | int] = [
        int(index) if index else name for index, name in re.findall(r"\[(\d+)\]|\.([^.\[]+)", path)
    ]
    target: Any = data
    for part in parts[:-1]:
        target = target[part]
    target[parts[-1]] = value


def extra_page(page_id: str, components: list[Data], **extra: Any) -> Data:
    return {
        "id": page_id,
        "path": f"/{page_id}",
        "title": "About your bees",
        "components": components,
        **extra,
    }


def content(name: str, text: str, kind: str = "Markdown", **extra: Any) -> Data:
    return {"id": name, "type": kind, "name": name, "content": text, **extra}


# -- each rule: a definition that triggers it ------------------------------------------------------


def _welsh_declared(data: Data) -> None:
    data["languages"] = ["en", "cy"]


def _placeholder(data: Data) -> None:
    component(data, 0)["options"] = {"placeholder": "Jane Smith"}


def _vague_regex_message(data: Data) -> None:
    component(data, 0).update(options={"regex": "[A-Z]+", "example": "AB"}, errors={"format": "Invalid"})


def _generic_labels(data: Data) -> None:
    data["pages"].insert(
        1,
        extra_page(
            "contact", [question("contactName", "Name"), question("contactPhone", "Telephone number")]
        ),
    )


def _duplicate_labels(data: Data) -> None:
    data["pages"].insert(
        1,
        extra_page(
            "keepers",
            [
                question("keeperOne", "Beekeeper's full name", shortTitle="First beekeeper"),
                question("keeperTwo", "Beekeeper's full name", shortTitle="Second beekeeper"),
            ],
        ),
    )


def _unreachable(data: Data) -> None:
    page(data, 3)["condition"] = {"component": "inEngland", "op": "is", "value": False}


def _dead_end(data: Data) -> None:
    data["pages"].append(
        extra_page(
            "top-bar-size",
            [question("barLength", "How long are the top bars?", shortTitle="Bar length")],
            condition={"component": "hiveType", "op": "is", "value": "top-bar"},
        )
    )
    data["pages"].append(
        {
            **extra_page(
                "no-top-bars", [content("noTopBars", "Top bar hives are registered on paper form BEE2.")]
            ),
            "exit": True,
            "condition": {"component": "hiveType", "op": "is", "value": "top-bar"},
        }
    )


def _never_sent(data: Data) -> None:
    data["pages"].append(
        {**extra_page("closed", [content("closed", "Registration is closed until spring.")]), "exit": True}
    )


def _empty_exit(data: Data) -> None:
    component(data, 2)["condition"] = {"component": "fullName", "op": "answered"}


def _two_questions(data: Data) -> None:
    page(data, 0)["components"].append(question("email", "Beekeeper's email address", "EmailAddressField"))


def _no_short_title(data: Data) -> None:
    del component(data, 4)["shortTitle"]


def _unused_silence(data: Data) -> None:
    data["lint"] = {"silence": [{"rule": "FE302", "path": "$.pages[0]", "reason": "Asked together on paper"}]}


def _unknown_rule_silenced(data: Data) -> None:
    data["lint"] = {"silence": [{"rule": "FE999", "reason": "A rule that does not exist"}]}


POSITIVE: list[tuple[str, Mutate, str]] = [
    (
        "FE101",
        lambda d: component(d, 0).update(hint="What is your full name"),
        "$.pages[0].components[0].hint",
    ),
    (
        "FE101",
        lambda d: component(d, 0).update(title="Full name", hint="What is your name?"),
        "$.pages[0].components[0].hint",
    ),
    (
        "FE101",
        lambda d: component(d, 0).update(title=" ", hint="Your name"),
        "$.pages[0].components[0].title",
    ),
    ("FE102", _placeholder, "$.pages[0].components[0].options.placeholder"),
    ("FE103", _vague_regex_message, "$.pages[0].components[0].errors.format"),
    (
        "FE103",
        lambda d: component(d, 4).update(errors={"required": "Required"}),
        "$.pages[4].components[0].errors.required",
    ),
    ("FE104", _generic_labels, "$.pages[1].components[0].title"),
    (
        "FE104",
        lambda d: page(d, 0).update(
            title="The beekeeper",
            components=[
                content("intro", "Tell us about the main beekeeper.", "InsetText"),
                question("name", "Name"),
            ],
        ),
        "$.pages[0].components[1].title",
    ),
    ("FE105", _duplicate_labels, "$.pages[1].components[1].title"),
    (
        "FE106",
        lambda d: component(d, 4).update(shortTitle="hive type"),
        "$.pages[4].components[0].shortTitle",
    ),
    ("FE107", _welsh_declared, "$.title"),
    ("FE107", _welsh_declared, "$.pages[0].components[0].hint"),
    (
        "FE108",
        lambda d: component(d, 2).update(
            content="Register with the Welsh service: [click here](https://www.gov.wales)."
        ),
        "$.pages[2].components[0].content",
    ),
    (
        "FE108",
        lambda d: component(d, 2).update(
            type="Html", content='<p>See <a href="https://www.gov.wales">Read more</a></p>'
        ),
        "$.pages[2].components[0].content",
    ),
    (
        "FE108",
        lambda d: d["service"].update(whatHappensNext="We will email you. [More](https://x.gov.uk)"),
        "$.service.whatHappensNext",
    ),
    (
        "FE109",
        lambda d: component(d, 0).update(title="WHAT IS YOUR FULL NAME?"),
        "$.pages[0].components[0].title",
    ),
    ("FE109", lambda d: d["lists"][0]["items"][2].update(text="TOP BAR"), "$.lists[0].items[2].text"),
    ("FE201", _unreachable, "$.pages[3].condition"),
    (
        "FE201",
        lambda d: page(d, 4).update(
            condition={
                "all": [
                    {"component": "hiveType", "op": "isNot", "value": "national"},
                    {"component": "hiveType", "op": "noneOf", "value": ["langstroth", "top-bar"]},
                ]
            }
        ),
        "$.pages[4].condition",
    ),
    (
        "FE201",
        lambda d: d["pages"].append(
            extra_page(
                "many",
                [content("many", "You keep a lot of hives.")],
                condition={"all": [{"component": "hives", "op": "greaterThan", "value": 500}]},
            )
        ),
        "$.pages[5].condition",
    ),
    ("FE202", _dead_end, "$.pages[5]"),
    ("FE203", _never_sent, "$.pages"),
    ("FE204", _empty_exit, "$.pages[2].components"),
    ("FE301", lambda d: component(d, 0).update(title="Full name"), "$.pages[0].components[0].title"),
    ("FE302", _two_questions, "$.pages[0].components"),
    (
        "FE303",
        lambda d: component(d, 4).update(title="How many hives " + "x" * 120 + "?"),
        "$.pages[4].components[0].title",
    ),
    ("FE304", _no_short_title, "$.pages[4].components[0].title"),
    (
        "FE401",
        lambda d: d["service"]["contact"].update(name="TODO: the team's name"),
        "$.service.contact.name",
    ),
    (
        "FE401",
        lambda d: d["startPage"].update(content={"en": "Use this service. todo"}),
        "$.startPage.content.en",
    ),
    ("FE402", _unused_silence, "$.lint.silence[0]"),
    ("FE402", _unknown_rule_silenced, "$.lint.silence[0].rule"),
]


@pytest.mark.parametrize(("rule", "mutate", "path"), POSITIVE, ids=[f"{r}-{p}" for r, _, p in POSITIVE])
def test_each_rule_reports_its_finding_at_the_json_path(rule: str, mutate: Mutate, path: str) -> None:
    result = check_definition(mutated(mutate))
    found = [f for f in result.findings if f.rule == rule and f.path == path]
    assert found, [str(f) for f in result.findings]
    finding = found[0]
    assert finding.level == RULES[rule].level
    assert finding.category == RULES[rule].category
    assert finding.message
    assert finding.fix


def test_every_rule_has_a_case_that_triggers_it() -> None:
    assert {rule for rule, _, _ in POSITIVE} | {"FE000"} == set(RULES)


# -- and a near miss that does not ------------------------------------------------------------------


def _welsh_everywhere(data: Data) -> None:
    data["languages"] = ["en", "cy"]
    for warning in definition_warnings(data):
        value = data
        for index, name in re.findall(r"\[(\d+)\]|\.([^.\[]+)", warning.path):
            value = value[int(index)] if index else value[name]
        english = value if isinstance(value, str) else value["en"]
        set_at(data, warning.path, {"en": english, "cy": f"Cymraeg: {english}"})


def _labelled_on_their_own(data: Data) -> None:
    data["pages"].insert(
        1,
        extra_page(
            "contact",
            [
                question("contactName", "Beekeeper's full name"),
                question("contactPhone", "Beekeeper's telephone number"),
            ],
        ),
    )


def _reachable_condition(data: Data) -> None:
    page(data, 3)["condition"] = {"component": "inEngland", "op": "is", "value": True}


def _many_checkboxes(data: Data) -> None:
    """A condition on the last of many options that conditions mention is still seen to hold."""
    items = [{"text": f"Flower {i}", "value": f"f{i}"} for i in range(9)]
    data["lists"].append({"id": "flowers", "items": items})
    forage = question("forage", "Which flowers do your bees forage on?", "CheckboxesField", list="flowers")
    data["pages"].append(extra_page("forage", [{**forage, "shortTitle": "Forage"}]))
    for i in range(9):
        data["pages"].append(
            extra_page(
                f"flower-{i}",
                [content(f"flower{i}", f"Flower {i} needs a note.")],
                condition={
                    "all": [{"component": "forage", "op": "contains", "value": f"f{i}"}]
                    + ([{"component": "forage", "op": "contains", "value": "f0"}] if i == 8 else [])
                },
            )
        )


def _exit_decided_elsewhere(data: Data) -> None:
    _dead_end(data)
    data["pages"][-1]["condition"] = {"component": "hives", "op": "greaterThan", "value": 400}


NEGATIVE: list[tuple[str, Mutate]] = [
    ("FE101", lambda d: component(d, 0).update(hint="Is it the name on your passport? Use that one.")),
    (
        "FE101",
        lambda d: component(d, 0).update(
            hint="Use the name on your passport: we check it against our records."
        ),
    ),
    ("FE102", lambda d: component(d, 0).update(hint="For example, Jane Smith")),
    (
        "FE103",
        lambda d: component(d, 0).update(
            options={"regex": "[A-Z]+", "example": "AB"},
            errors={"format": "Enter your name in capital letters, like JANE SMITH"},
        ),
    ),
    ("FE104", _labelled_on_their_own),
    (
        "FE104",
        lambda d: page(d, 0)["components"].append(
            content("help", "We only use your name for this.", "InsetText")
        ),
    ),
    ("FE105", _labelled_on_their_own),
    ("FE106", lambda d: component(d, 4).update(shortTitle="Hive count")),
    ("FE107", _welsh_everywhere),
    (
        "FE108",
        lambda d: component(d, 2).update(
            content="Read [how to register bees in Wales](https://www.gov.wales)."
        ),
    ),
    ("FE109", lambda d: component(d, 0).update(title="What is your CPH number?")),
    ("FE109", lambda d: d.update(title="Register your bees with APHA")),
    ("FE201", _reachable_condition),
    (
        "FE201",
        lambda d: d["pages"].append(
            extra_page(
                "a-few",
                [content("aFew", "You keep between 5 and 5.5 hives.")],
                condition={
                    "all": [
                        {"component": "hives", "op": "greaterThan", "value": 5},
                        {"component": "hives", "op": "lessThan", "value": 5.5},
                    ]
                },
            )
        ),
    ),
    ("FE201", _many_checkboxes),
    ("FE202", _exit_decided_elsewhere),
    ("FE203", _exit_decided_elsewhere),
    ("FE204", lambda d: component(d, 2).pop("condition", None)),
    ("FE301", lambda d: component(d, 0).update(title="Enter your full name")),
    (
        "FE301",
        lambda d: component(d, 0).update(
            title="Upload a photo of your hives", type="FileUploadField", options={"accept": ["jpeg"]}
        ),
    ),
    (
        "FE301",
        lambda d: component(d, 1).update(
            type="DeclarationField", title="Declaration", content="I keep bees."
        ),
    ),
    (
        "FE302",
        lambda d: page(d, 0)["components"].append(
            content("help", "We only use your name for this.", "Details", title="Why we ask")
        ),
    ),
    ("FE303", lambda d: component(d, 4).update(title="How many hives " + "x" * 104 + "?")),
    ("FE304", lambda d: page(d, 0)["components"].extend([question("keeperPhone", "Telephone number")])),
    ("FE401", lambda d: d["startPage"].update(content="Tell us what you do today with your bees.")),
    (
        "FE402",
        lambda d: (
            _two_questions(d)
            or d.update(lint={"silence": [{"rule": "FE302", "reason": "Asked together on paper"}]})
        ),
    ),
]


@pytest.mark.parametrize(("rule", "mutate"), NEGATIVE, ids=[f"{r}-{i}" for i, (r, _) in enumerate(NEGATIVE)])
def test_a_near_miss_does_not_trigger_the_rule(rule: str, mutate: Mutate) -> None:
    assert [str(f) for f in findings_for(mutate) if f.rule == rule] == []


def test_every_rule_has_a_near_miss() -> None:
    assert {rule for rule, _ in NEGATIVE} | {"FE000"} == set(RULES)


def test_the_base_definition_is_clean() -> None:
    assert lint_definition(copy.deepcopy(BASE)) == []


def test_findings_come_in_document_order_with_rule_level_path_message_and_fix() -> None:
    def several(data: Data) -> None:
        component(data, 4).update(title="HOW MANY HIVES DO YOU HAVE?")
        component(data, 0).update(hint="What is your full name?")
        data["service"]["contact"]["name"] = "TODO"

    findings = findings_for(several)
    assert [(f.path, f.rule) for f in findings] == [
        ("$.service.contact.name", "FE401"),
        ("$.pages[0].components[0].hint", "FE101"),
        ("$.pages[4].components[0].title", "FE109"),
    ]
    assert str(findings[1]) == (
        "$.pages[0].components[0].hint: FE101 error: the hint repeats the label: screen readers read both "
        "(fix: remove the hint, or use it for help answering the question (format, where to find the "
        "information))"
    )
    assert findings[1].as_json() == {
        "rule": "FE101",
        "level": "error",
        "category": "accessibility",
        "path": "$.pages[0].components[0].hint",
        "message": "the hint repeats the label: screen readers read both",
        "fix": findings[1].fix,
        "silenced": None,
    }


def test_lint_definition_needs_a_valid_definition_and_check_definition_takes_anything() -> None:
    data = mutated(lambda d: d.pop("title"))
    with pytest.raises(ValueError, match="valid definition"):
        lint_definition(data)
    result = check_definition(data)
    assert not result.valid
    assert [(f.rule, f.path) for f in result.findings] == [("FE000", "$")]
    assert result.failed()
    assert check_definition("not a definition").findings[0].rule == "FE000"


def test_rules_have_documented_levels_errors_for_accessibility_journey_and_scaffold() -> None:
    for rule in RULES.values():
        expected = "warning" if rule.category in ("content", "lint") else "error"
        assert rule.level == expected, rule.id
        assert re.fullmatch(r"FE\d{3}", rule.id)


# -- silencing -----------------------------------------------------------------------------------------


def test_a_silence_with_a_reason_moves_the_finding_to_silenced() -> None:
    reason = "The paper form asks for name and email together"

    def silenced(data: Data) -> None:
        _two_questions(data)
        data["lint"] = {"silence": [{"rule": "FE302", "path": "$.pages[0]", "reason": reason}]}

    assert findings_for(silenced) == []
    data = mutated(silenced)
    everything = lint_definition(data, include_silenced=True)
    assert [(f.rule, f.path, f.silenced) for f in everything] == [("FE302", "$.pages[0].components", reason)]
    assert str(everything[0]).startswith("$.pages[0].components: FE302 silenced: ")
    assert str(everything[0]).endswith(f"(reason: {reason})")
    result = check_definition(data)
    assert result.findings == [] and len(result.silenced) == 1 and not result.failed(strict=True)


def test_a_silence_without_a_path_covers_the_whole_definition_and_a_path_only_its_own_part() -> None:
    def two_pages_of_two(data: Data) -> None:
        _two_questions(data)
        page(data, 4)["components"].append(
            question("apiaries", "How many apiaries do you have?", shortTitle="Apiaries")
        )

    everywhere = mutated(two_pages_of_two)
    everywhere["lint"] = {"silence": [{"rule": "FE302", "reason": "Our paper form pairs questions"}]}
    assert lint_definition(everywhere) == []
    one_page = mutated(two_pages_of_two)
    one_page["lint"] = {
        "silence": [{"rule": "FE302", "path": "$.pages[4]", "reason": "Hives and apiaries go together"}]
    }
    assert [(f.rule, f.path) for f in lint_definition(one_page)] == [("FE302", "$.pages[0].components")]
    # $.pages[1] is not a prefix of $.pages[10] or of $.pages[4].
    other = mutated(two_pages_of_two)
    other["lint"] = {
        "silence": [{"rule": "FE302", "path": "$.pages[1]", "reason": "Not the right page at all"}]
    }
    assert {f.rule for f in lint_definition(other)} == {"FE302", "FE402"}


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        ({"rule": "FE302"}, "'reason' is a required property"),
        ({"rule": "FE302", "reason": ""}, "is too short"),
        ({"rule": "FE302", "reason": "          "}, "does not match"),
        ({"rule": "302", "reason": "A good enough reason"}, "does not match"),
        ({"rule": "FE302", "path": "pages[0]", "reason": "A good enough reason"}, "does not match"),
        ({"rule": "FE302", "reason": "A good enough reason", "until": "2030"}, "Unknown properties"),
    ],
)
def test_a_silence_needs_a_rule_and_a_reason(entry: Data, message: str) -> None:
    data = mutated(_two_questions)
    data["lint"] = {"silence": [entry]}
    problems = validate_definition_data(data)
    assert problems, entry
    assert all(p.path.startswith("$.lint.silence[0]") for p in problems)
    assert any(message in p.message for p in problems), problems
    result = check_definition(data)
    assert result.failed() and {f.rule for f in result.findings} == {"FE000"}


# -- the example forms ---------------------------------------------------------------------------------


@pytest.mark.parametrize("path", EXAMPLES, ids=[p.stem for p in EXAMPLES])
def test_the_example_forms_have_no_lint_errors(path: Path) -> None:
    result = lint_file(path)
    assert result.valid
    assert [str(f) for f in result.errors] == []
    assert all(f.silenced for f in result.silenced)


# -- forms-engine lint ---------------------------------------------------------------------------------


def lint(*args: object) -> Result:
    """The command itself (test_lint_is_a_forms_engine_command checks it is registered)."""
    return CliRunner().invoke(lint_command, [*map(str, args)])


def write(folder: Path, name: str, data: Any) -> Path:
    path = folder / name
    path.write_text(json.dumps(data, indent=2))
    return path


def test_lint_prints_each_finding_with_path_rule_level_message_and_fix_and_exits_1_on_errors(
    tmp_path: Path,
) -> None:
    path = write(
        tmp_path, "bees.json", mutated(lambda d: component(d, 0).update(hint="What is your full name?"))
    )
    result = lint(path)
    assert result.exit_code == 1
    assert result.output.splitlines() == [
        f"{path}: $.pages[0].components[0].hint: FE101 error: the hint repeats the label: screen readers "
        "read both (fix: remove the hint, or use it for help answering the question (format, where to find "
        "the information))",
        f"{path}: 1 error, 0 warnings",
    ]


def test_warnings_alone_exit_0_and_fail_with_strict(tmp_path: Path) -> None:
    path = write(tmp_path, "bees.json", mutated(_two_questions))
    relaxed = lint(path)
    assert relaxed.exit_code == 0, relaxed.output
    assert relaxed.output.splitlines()[0].startswith(f"{path}: $.pages[0].components: FE302 warning: ")
    assert relaxed.output.splitlines()[-1] == f"{path}: 0 errors, 1 warning"
    assert lint("--strict", path).exit_code == 1


def test_more_than_one_question_on_a_page_is_reported_as_not_grouped_in_a_fieldset() -> None:
    (finding,) = [f for f in findings_for(_two_questions) if f.rule == "FE302"]
    assert "2 questions, not grouped in a fieldset" in finding.message
    assert "FE104" in finding.fix and "silence" in finding.fix
    assert "fieldset" in RULES["FE302"].summary


def test_a_clean_file_exits_0_even_when_strict(tmp_path: Path) -> None:
    path = write(tmp_path, "bees.json", BASE)
    result = lint("--strict", path)
    assert result.exit_code == 0
    assert result.output.splitlines() == [f"{path}: 0 errors, 0 warnings"]


def test_validation_problems_are_fe000_errors_and_exit_1(tmp_path: Path) -> None:
    path = write(tmp_path, "bad.json", mutated(_placeholder))
    result = lint(path)
    assert result.exit_code == 1
    lines = result.output.splitlines()
    assert lines[0].startswith(f"{path}: $.pages[0].components[0].options: FE000 error: Unknown properties")
    assert lines[1].startswith(
        f"{path}: $.pages[0].components[0].options.placeholder: FE102 error: placeholder"
    )
    assert lines[-1] == f"{path}: 2 errors, 0 warnings (not linted: the definition is not valid)"
    missing = lint(tmp_path / "missing.json")
    assert missing.exit_code == 1
    assert missing.output.splitlines()[0].startswith(
        f"{tmp_path / 'missing.json'}: $: FE000 error: file not found"
    )
    broken = tmp_path / "broken.json"
    broken.write_text("{")
    assert "invalid JSON at line 1" in lint(broken).output


def test_custom_validation_without_an_error_message_fails_lint_where_the_message_belongs(
    tmp_path: Path,
) -> None:
    """A regex with no errors.format message is refused by validation (FE000), so lint fails on it;
    with a vague message it is FE103; with a message saying what to enter it is clean."""
    no_message = mutated(lambda d: component(d, 0).update(options={"regex": "[A-Z]+", "example": "AB"}))
    result = lint(write(tmp_path, "no-message.json", no_message))
    assert result.exit_code == 1
    assert result.output.splitlines()[0].startswith(
        f"{tmp_path / 'no-message.json'}: $.pages[0].components[0].errors: FE000 error: "
        "a regex needs an error message under errors.format"
    )
    vague = lint(write(tmp_path, "vague.json", mutated(_vague_regex_message)))
    assert vague.exit_code == 1 and "$.pages[0].components[0].errors.format: FE103 error" in vague.output
    clear = mutated(
        lambda d: component(d, 0).update(
            options={"regex": "[A-Z]+", "example": "AB"},
            errors={"format": "Enter your full name in capital letters, like JANE SMITH"},
        )
    )
    assert lint(write(tmp_path, "clear.json", clear)).exit_code == 0


def test_verbose_lists_silenced_findings_with_their_reasons(tmp_path: Path) -> None:
    data = mutated(_two_questions)
    data["lint"] = {"silence": [{"rule": "FE302", "path": "$.pages[0]", "reason": "Asked together on paper"}]}
    path = write(tmp_path, "bees.json", data)
    quiet = lint(path)
    assert quiet.exit_code == 0
    assert quiet.output.splitlines() == [f"{path}: 0 errors, 0 warnings, 1 silenced"]
    verbose = lint("--verbose", "--strict", path)
    assert verbose.exit_code == 0
    assert verbose.output.splitlines()[0].startswith(
        f"{path}: $.pages[0].components: FE302 silenced: this page"
    )
    assert verbose.output.splitlines()[0].endswith("(reason: Asked together on paper)")


def test_json_output_lists_every_file_with_counts_and_findings(tmp_path: Path) -> None:
    warned = write(tmp_path, "warned.json", mutated(_two_questions))
    failing = write(tmp_path, "failing.json", mutated(_never_sent))
    result = lint("--format", "json", warned, failing)
    assert result.exit_code == 1
    report = json.loads(result.output)
    assert report["errors"] == 1 and report["warnings"] == 1 and report["failed"] is True
    assert [f["file"] for f in report["files"]] == [str(warned), str(failing)]
    first, second = report["files"]
    assert first["valid"] is True and first["errors"] == 0 and first["warnings"] == 1
    assert first["findings"] == [
        {
            "rule": "FE302",
            "level": "warning",
            "category": "content",
            "path": "$.pages[0].components",
            "message": first["findings"][0]["message"],
            "fix": first["findings"][0]["fix"],
            "silenced": None,
        }
    ]
    assert [(f["rule"], f["level"]) for f in second["findings"]] == [("FE203", "error")]
    only_warnings = json.loads(lint("--format", "json", warned).output)
    assert only_warnings["failed"] is False


def test_lint_needs_a_path_and_checks_the_examples_without_errors() -> None:
    assert lint().exit_code == 2
    result = lint(*EXAMPLES)
    assert result.exit_code == 0, result.output
    assert all(" error: " not in line for line in result.output.splitlines())


def test_lint_is_a_forms_engine_command(tmp_path: Path) -> None:
    path = write(tmp_path, "bees.json", mutated(_two_questions))
    result = CliRunner().invoke(main, ["lint", "--strict", str(path)])
    assert result.exit_code == 1, result.output
    assert result.output.splitlines()[-1] == f"{path}: 0 errors, 1 warning"
    assert "content and accessibility" in CliRunner().invoke(main, ["lint", "--help"]).output


def test_routes_through_a_long_chain_of_conditions_are_explored_and_reasoned_about() -> None:
    """15 radios questions, each page asked when any earlier answer is 'v1': far too many answer
    combinations to try one by one, yet lint still sees that the last page can never be reached
    (when q0 is v1 the q13 page is asked, so q13 cannot be unanswered)."""

    def chain(data: Data) -> None:
        items = [{"text": f"Option {i}", "value": f"v{i}"} for i in range(5)]
        data["lists"].append({"id": "five", "items": items})
        for k in range(15):
            page_data = extra_page(
                f"p{k}",
                [
                    question(
                        f"q{k}",
                        f"Which option is number {k}?",
                        "RadiosField",
                        list="five",
                        shortTitle=f"Option {k}",
                    )
                ],
            )
            if k:
                page_data["condition"] = {
                    "any": [{"component": f"q{j}", "op": "is", "value": "v1"} for j in range(k)]
                }
            data["pages"].append(page_data)
        data["pages"].append(
            extra_page(
                "never",
                [content("never", "You will not see this.")],
                condition={
                    "all": [
                        {"component": "q0", "op": "is", "value": "v1"},
                        {"component": "q13", "op": "notAnswered"},
                    ]
                },
            )
        )

    findings = findings_for(chain)
    assert [(f.rule, f.path) for f in findings] == [("FE201", "$.pages[20].condition")]
